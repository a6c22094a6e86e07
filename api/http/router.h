#pragma once
// Every path one role serves, REST and WebSocket, in one table. The core
// (api/routes) and a gateway (api/gateway) each build one; the transport
// asks it what a request or an upgrade is for.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "api/http/http_message.h"
#include "api/http/request_target.h"
#include "api/http/ws_route.h"

namespace oee::api {

using RestHandler = std::function<boost::asio::awaitable<HttpResponse>(const HttpRequest&, const RequestTarget&)>;
/// What an upgrade to a stream path asks for, read from its target.
using StreamHandler = std::function<WsRoute(const RequestTarget&)>;

class Router {
 public:
  /// `method`: GET (which answers HEAD too), POST or DELETE. `path`: its
  /// segments joined by '/', "*" matching any one segment, "" the root.
  /// The first path registered that matches a request decides which
  /// methods it takes; any other method gets 405 with Allow.
  Router& on(std::string_view method, std::string_view path, RestHandler handler);
  Router& stream(std::string_view path, StreamHandler handler);
  /// What answers a path no REST route matches; a 404 naming it otherwise.
  Router& otherwise(RestHandler handler);

  [[nodiscard]] boost::asio::awaitable<HttpResponse> handle(const HttpRequest& request) const;
  /// The stream an upgrade to `target` asks for (its `error` set when it
  /// asks wrongly), or nullopt for a path that serves no WebSocket.
  [[nodiscard]] std::optional<WsRoute> websocket(std::string_view target) const;

 private:
  struct Rest {
    std::vector<std::string> path;
    std::string method;
    RestHandler handler;
  };
  struct Stream {
    std::vector<std::string> path;
    StreamHandler handler;
  };
  std::vector<Rest> rest_;
  std::vector<Stream> streams_;
  RestHandler otherwise_;
};

/// A route whose answer needs no waiting: `answer(request, target)`
/// returns the HttpResponse itself.
template <class Answer>
[[nodiscard]] RestHandler at_once(Answer answer) {
  return [answer](const HttpRequest& request, const RequestTarget& target) -> boost::asio::awaitable<HttpResponse> {
    co_return answer(request, target);
  };
}

/// The order streams both roles serve (docs/streaming.md): /ws,
/// /api/orders/status, /api/orders/execute and /order/{id}.
void add_order_streams(Router& router);

}  // namespace oee::api
