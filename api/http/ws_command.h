#pragma once
// What a WebSocket client asks for, parsed from one text message of the
// oee sub-protocol: {"type":"subscribe","orderId","fromSeq"}, "unsubscribe",
// "ping", {"type":"subscribe","all":true,"fromSeq"} for every order the
// client may see, {"type":"submit","requestId","order","idempotencyKey"}
// to submit an order and follow it; on the bare-id path, an order id alone.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/system/result.hpp>

#include "api/http/api_error.h"
#include "api/http/request_target.h"
#include "eventlog/types.h"

namespace oee::api {

struct WsCommand {
  enum class Kind { subscribe, unsubscribe, ping, submit };
  Kind kind = Kind::ping;
  OrderId order;
  std::uint64_t from_seq = 0;
  /// Every order's fromSeq given as text: a cluster's position
  /// ("p:seq,p:seq"), read by the session, which knows the log.
  std::optional<std::string> from_position;
  bool all = false;  // every order, not `order`
  /// submit: the client's name for it, echoed in the answer; the order as
  /// POST /api/orders/execute takes it (its JSON text); the key that makes
  /// a resubmission the same order.
  std::string request_id{};
  std::string order_body{};
  std::string idempotency_key{};
};

/// A submit's requestId is a string of at most this many characters.
inline constexpr std::size_t kMaxRequestId = 128;

/// A refused command: the error the client gets, and the submit's
/// requestId when the message gave a readable one (the error names it).
struct WsRefusal {
  ApiError error;
  std::string request_id{};
};

/// Parses one message. `bare_ids`: a message that is not JSON is an order
/// id to follow (/api/orders/status). The session stays open on an error.
[[nodiscard]] boost::system::result<WsCommand, WsRefusal> parse_ws_command(std::string_view text, bool bare_ids);

}  // namespace oee::api
