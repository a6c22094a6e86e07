#include "api/http/ws_route.h"

#include <string>
#include <vector>

#include <boost/beast/http/rfc7230.hpp>

#include "api/http/request_target.h"

namespace oee::api {

WsDialect ws_dialect(std::string_view requested_subprotocols) {
  for (const auto& token : boost::beast::http::token_list(requested_subprotocols)) {
    if (token == kV1Subprotocol) return WsDialect::v1;  // subprotocols are case-sensitive
  }
  return WsDialect::compat;
}

std::optional<WsRoute> ws_route(std::string_view target) {
  auto parsed = parse_request_target(target);
  if (!parsed) return WsRoute{WsProtocol::json, std::nullopt, 0, parsed.error()};
  const std::vector<std::string>& seg = parsed->segments;
  auto param = [&](std::string_view key) { return query_param(*parsed, key); };
  auto parse_order = [](WsRoute& r, std::string_view text) {
    r.order = OrderId::parse(text);
    if (!r.order) r.error = ApiError{400, "invalid_order_id", "orderId must be a UUID", "orderId"};
  };
  WsRoute r{WsProtocol::json, std::nullopt, 0, std::nullopt};
  if (auto f = param("fromSeq")) {
    auto from = parse_from_seq(*f);
    if (from) {
      r.from_seq = *from;
    } else {
      r.error = from.error();
    }
  }
  if (seg == std::vector<std::string>{"ws"}) {
    if (auto id = param("orderId")) parse_order(r, *id);
    return r;
  }
  if (seg == std::vector<std::string>{"api", "orders", "status"}) {
    r.protocol = WsProtocol::bare_id;
    if (auto id = param("orderId")) parse_order(r, *id);
    return r;
  }
  if (seg == std::vector<std::string>{"api", "orders", "execute"}) {
    // With ?orderId, that one order; without, the reference clients send
    // each order id to follow as a text frame, as on /api/orders/status.
    auto id = param("orderId");
    r.protocol = id ? WsProtocol::fixed : WsProtocol::bare_id;
    if (id) parse_order(r, *id);
    return r;
  }
  if (seg.size() == 2 && seg[0] == "order") {
    r.protocol = WsProtocol::fixed;
    parse_order(r, seg[1]);
    return r;
  }
  return std::nullopt;
}

}  // namespace oee::api
