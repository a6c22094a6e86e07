#pragma once
// The session that serves a WebSocket connection. Included by the HTTP
// server only: it brings Beast with it.

#include <cstdint>
#include <memory>
#include <optional>

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "api/http/server_context.h"
#include "api/http/ws_route.h"
#include "api/tls/transport.h"

namespace oee::api {

/// Accepts the upgrade and serves the WebSocket until it closes. `fixed`:
/// the one order a fixed-protocol path streams, or the order a subscription
/// starts with. The request comes in a box: [gcc12-coro].
boost::asio::awaitable<void> serve_websocket(Transport stream, ConnectionSlot slot, ServerContext& ctx,
                                             std::unique_ptr<boost::beast::http::request<boost::beast::http::string_body>> upgrade,
                                             WsProtocol protocol, std::optional<OrderId> fixed, std::uint64_t from_seq,
                                             Principal principal);

}  // namespace oee::api
