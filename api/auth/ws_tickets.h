#pragma once
// Short-lived WebSocket tickets (POST /api/ws-ticket): a browser cannot set
// an Authorization header on a WebSocket, and a key in the URL outlives the
// connection in histories and proxy logs. A ticket opens one WebSocket, as
// the key that asked for it, within 30 s; then it is spent. Only its hash is
// kept, in this process's memory. Thread-safe.

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
  /// Tickets outstanding at most: past it, issue() refuses until some are
  /// spent or expire (each key's read limit bounds how fast one key asks).
  static constexpr std::size_t kMaxOutstanding = 10'000;

  struct Issued {
    std::string text;
    TimestampNs expires_at;
  };
  /// Who a ticket was issued to: the admin key (no id) or an API key.
  struct Holder {
    std::optional<core::KeyId> key;
  };

  /// A new ticket for `holder`, or nothing while kMaxOutstanding are out.
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

  std::mutex mu_;
  std::unordered_map<std::string, Outstanding> by_hash_;  // SHA-256 of the text, as bytes
};

}  // namespace oee::api
