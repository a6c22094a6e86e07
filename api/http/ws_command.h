#pragma once
// What a WebSocket client asks for, parsed from one text message of the
// oee sub-protocol: {"type":"subscribe","orderId","fromSeq"}, "unsubscribe",
// "ping", {"type":"subscribe","all":true,"fromSeq"} for every order the
// client may see; on the bare-id path, an order id alone.

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
  enum class Kind { subscribe, unsubscribe, ping };
  Kind kind = Kind::ping;
  OrderId order;
  std::uint64_t from_seq = 0;
  /// Every order's fromSeq given as text: a cluster's position
  /// ("p:seq,p:seq"), read by the session, which knows the log.
  std::optional<std::string> from_position;
  bool all = false;  // every order, not `order`
};

/// Parses one message. `bare_ids`: a message that is not JSON is an order
/// id to follow (/api/orders/status). Errors are the `error` messages the
/// client gets; the session stays open.
[[nodiscard]] boost::system::result<WsCommand, ApiError> parse_ws_command(std::string_view text, bool bare_ids);

}  // namespace oee::api
