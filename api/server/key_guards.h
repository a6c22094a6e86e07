#pragma once
// What an API key still allows the orders it set going (docs/security.md):
// a revoked or expired key's waiting and recurring orders are cancelled,
// naming why, as the revocation is folded or the expiry passes, and each
// is asked again as it begins to wait, fires, or starts a slice; each
// slice takes one write from the key's bucket, as a submit does, waiting
// while the bucket is empty.

#include <atomic>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "api/auth/key_ring.h"
#include "api/auth/rate_limit.h"
#include "core/engine/recurring_orders.h"
#include "core/engine/waiting_orders.h"

namespace oee::api {

/// Both must outlive the gate's use (the executor's).
[[nodiscard]] core::SliceGate slice_gate(const KeyRing& keys, RateLimiter& limits);
/// `keys` must outlive the check's use (the executor's).
[[nodiscard]] core::KeyCheck key_check(const KeyRing& keys);

/// Every key revoked or expired by `now`, each with why its orders end.
[[nodiscard]] std::vector<std::pair<core::KeyId, std::string>> dead_keys(const KeyRing& keys, TimestampNs now);

/// Calls `cancel` for each key that expires, as it expires (looked at each
/// second), and, at its first look, for every key already revoked or
/// expired; revocations come through revoked(). `cancel` asks each
/// executor this process runs to cancel the key's orders.
class DeadKeyWatch {
 public:
  using Cancel = std::function<void(const core::KeyId&, const std::string& why)>;
  DeadKeyWatch(boost::asio::io_context& ioc, const KeyRing& keys, Cancel cancel);
  void start();
  void stop();
  /// From KeyRing::on_revoked (any thread).
  void revoked(const core::KeyId& id) const;

 private:
  void look();

  boost::asio::steady_timer timer_;
  const KeyRing& keys_;
  Cancel cancel_;
  std::optional<TimestampNs> looked_;  // keys expired by then are done with
  std::atomic<bool> started_{false};
};

}  // namespace oee::api
