#include "api/http/ws_route.h"

#include <optional>
#include <string_view>

#include <boost/beast/http/rfc7230.hpp>

#include "api/http/request_target.h"
#include "api/http/router.h"

namespace oee::api {

WsDialect ws_dialect(std::string_view requested_subprotocols) {
  for (const auto& token : boost::beast::http::token_list(requested_subprotocols)) {
    if (token == kV1Subprotocol) return WsDialect::v1;  // subprotocols are case-sensitive
  }
  return WsDialect::compat;
}

namespace {

// A stream of `protocol` from the target's query (fromSeq) and an order id
// given as `order_text`, if any.
WsRoute stream_route(WsProtocol protocol, const RequestTarget& target, std::optional<std::string_view> order_text) {
  WsRoute r{protocol, std::nullopt, 0, std::nullopt, {}};
  if (auto f = query_param(target, "fromSeq")) {
    auto from = parse_from_seq(*f);
    if (from) {
      r.from_seq = *from;
    } else {
      r.error = from.error();
    }
  }
  if (order_text) {
    r.order = OrderId::parse(*order_text);
    if (!r.order) r.error = ApiError{400, "invalid_order_id", "orderId must be a UUID", "orderId"};
  }
  return r;
}

}  // namespace

void add_order_streams(Router& router) {
  router
      .stream("ws", [](const RequestTarget& t) { return stream_route(WsProtocol::json, t, query_param(t, "orderId")); })
      .stream("api/orders/status",
              [](const RequestTarget& t) { return stream_route(WsProtocol::bare_id, t, query_param(t, "orderId")); })
      // With ?orderId, that one order; without, the reference clients send
      // each order id to follow as a text frame, as on /api/orders/status.
      .stream("api/orders/execute",
              [](const RequestTarget& t) {
                const auto id = query_param(t, "orderId");
                return stream_route(id ? WsProtocol::fixed : WsProtocol::bare_id, t, id);
              })
      .stream("order/*", [](const RequestTarget& t) {
        return stream_route(WsProtocol::fixed, t, std::string_view(t.segments[1]));
      });
}

}  // namespace oee::api
