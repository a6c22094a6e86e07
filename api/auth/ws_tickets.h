#pragma once
// Short-lived WebSocket tickets (POST /api/ws-ticket): a browser cannot set
// an Authorization header on a WebSocket, and a key in the URL outlives the
// connection in histories and proxy logs. A ticket opens one WebSocket, as
// the key that asked for it, within 30 s; then it is spent. Only its hash is
// kept, in this process's memory. A key and the keys made under it (its
// tree, KeyRing::tree_of) share a quota of unspent tickets, so no key can
// keep tickets from keys outside its tree; the admin key has its own.
// Thread-safe.

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/domain/api_key.h"

namespace oee::api {

class WsTickets {
 public:
  static constexpr std::chrono::seconds kLifetime{30};
  /// Unspent tickets of one key tree at most: past it, issue() refuses the
  /// tree's keys until some are spent or expire.
  static constexpr std::size_t kPerKeyTree = 100;
  /// The admin key's, apart from every tree's.
  static constexpr std::size_t kAdminOutstanding = 10'000;

  struct Issued {
    std::string text;
    TimestampNs expires_at;
  };
  /// Who a ticket was issued to: the admin key (no id) or an API key, and
  /// the root of that key's tree.
  struct Holder {
    std::optional<core::KeyId> key;
    core::KeyId tree{};
  };

  /// A new ticket for `holder`, or nothing while its tree (or the admin
  /// key) holds its most.
  [[nodiscard]] std::optional<Issued> issue(const Holder& holder, TimestampNs now);
  /// Spends the ticket: its holder if it was issued here, unspent and
  /// unexpired at `now`; nothing otherwise.
  [[nodiscard]] std::optional<Holder> redeem(std::string_view text, TimestampNs now);

 private:
  struct Outstanding {
    Holder holder;
    TimestampNs expires_at;
  };
  void forget_expired(TimestampNs now);  // under mu_
  void forget(std::unordered_map<std::string, Outstanding>::iterator it);  // under mu_
  /// The count of unspent tickets `holder` is held to (the admin key's: apart).
  [[nodiscard]] std::size_t& count_of(const Holder& holder);  // under mu_

  std::mutex mu_;
  std::unordered_map<std::string, Outstanding> by_hash_;  // SHA-256 of the text, as bytes
  std::unordered_map<core::KeyId, std::size_t, OrderIdHash> per_tree_;  // unspent, per tree root
  std::size_t admins_ = 0;                                              // unspent, the admin key's
};

}  // namespace oee::api
