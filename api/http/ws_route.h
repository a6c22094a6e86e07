#pragma once
// What a WebSocket upgrade asks for: which orders to stream (from its
// target) and in which dialect (from its subprotocol). No Beast here.

#include <cstdint>
#include <optional>
#include <string_view>

#include "api/auth/access.h"
#include "api/http/api_error.h"
#include "api/http/http_message.h"
#include "eventlog/types.h"

namespace oee::api {

// How a WebSocket connection learns which orders to stream.
enum class WsProtocol {
  json,     // /ws: {"type":"subscribe","orderId","fromSeq"} and "unsubscribe"
  bare_id,  // /api/orders/status, /api/orders/execute without ?orderId: each text frame is an order id
  fixed,    // /api/orders/execute?orderId=, /order/{id}: one order, closed when terminal
};

// What the server writes to a WebSocket client (docs/clients.md).
enum class WsDialect {
  v1,      // subprotocol "oee.v1": control messages, amounts as exact decimal strings
  compat,  // no subprotocol: status messages only, amounts as numbers, snake_case names too
};

/// The subprotocol a client asks for oee.v1 with.
inline constexpr std::string_view kV1Subprotocol = "oee.v1";

/// The dialect a client asked for in its Sec-WebSocket-Protocol header.
[[nodiscard]] WsDialect ws_dialect(std::string_view requested_subprotocols);

// What an upgrade's target asks for; `error` when it asks wrongly. The
// paths that serve one: add_order_streams (router.h).
struct WsRoute {
  WsProtocol protocol;
  std::optional<OrderId> order;
  std::uint64_t from_seq = 0;
  std::optional<ApiError> error;
  Principal principal;  // who asked, once authenticated
  std::optional<HttpResponse> refusal{};  // not authenticated, or over a rate limit: the whole answer
};

}  // namespace oee::api
