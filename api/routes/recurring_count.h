#pragma once
// How many recurring orders each API key tree has active (a key the admin
// key made and every key made under it: KeyRing::tree_of), so that no key
// can schedule an unbounded number of children, nor make keys to schedule
// more (--max-recurring-per-key, docs/security.md): counted from the log's
// commits (every partition a cluster node follows) after a first count of
// the active orders, plus the submits on their way to the log here.
// Thread-safe.

#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <utility>
#include <unordered_map>

#include "core/domain/api_key.h"
#include "core/engine/order_store.h"
#include "eventlog/event_log.h"

namespace oee::api {

class RecurringCount {
 public:
  using TreeOf = std::function<core::KeyId(const core::KeyId&)>;
  /// `max`: active recurring orders a key tree may have (0: no cap);
  /// `tree_of`: the root of a key's tree. Follows `log` from here on; call
  /// load() once the log is open.
  RecurringCount(eventlog::EventLogWriter& log, std::size_t max, TreeOf tree_of);
  /// Counts the active recurring orders `store` holds now.
  eventlog::Result<std::size_t> load(core::OrderStore& store);

  /// A place for one more recurring order of `key` while its submit is on
  /// its way to the log, or none if the key's tree has its cap.
  class Slot {
   public:
    Slot(RecurringCount* count, core::KeyId key) : count_(count), key_(key) {}
    Slot(Slot&& other) noexcept : count_(std::exchange(other.count_, nullptr)), key_(other.key_) {}
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    Slot& operator=(Slot&&) = delete;
    ~Slot();

   private:
    RecurringCount* count_;
    core::KeyId key_;
  };
  [[nodiscard]] std::optional<Slot> reserve(const core::KeyId& key);
  [[nodiscard]] std::size_t max() const { return max_; }

 private:
  void committed(std::span<const eventlog::Record> records);
  void add(const OrderId& order, const core::KeyId& key);  // under mu_

  const std::size_t max_;
  const TreeOf tree_of_;
  mutable std::mutex mu_;
  std::unordered_map<OrderId, core::KeyId, OrderIdHash> orders_;      // active recurring order -> its key's tree
  std::unordered_map<core::KeyId, std::size_t, OrderIdHash> active_;  // per tree: in orders_
  std::unordered_map<core::KeyId, std::size_t, OrderIdHash> pending_;  // per tree: reserved, not yet committed
  eventlog::CommitSubscription subscription_;  // last: goes first
};

}  // namespace oee::api
