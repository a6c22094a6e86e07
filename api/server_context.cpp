#include "api/server_context.h"

#include <fmt/format.h>

namespace oee::api {

void append_connection_metrics(std::string& out, const ServerContext& ctx) {
  out += "# HELP oee_websocket_clients Connected WebSocket clients.\n# TYPE oee_websocket_clients gauge\n";
  out += fmt::format("oee_websocket_clients {}\n", ctx.ws_clients.load());
  out += "# HELP oee_websocket_dropped_slow_total WebSocket clients dropped for reading too slowly.\n";
  out += "# TYPE oee_websocket_dropped_slow_total counter\n";
  out += fmt::format("oee_websocket_dropped_slow_total {}\n", ctx.ws_dropped_slow.load());
  out += "# HELP oee_http_requests_total HTTP requests answered by the REST routes.\n";
  out += "# TYPE oee_http_requests_total counter\n";
  out += fmt::format("oee_http_requests_total {}\n", ctx.http_requests.load());
  out += "# HELP oee_http_connections Open HTTP connections.\n# TYPE oee_http_connections gauge\n";
  out += fmt::format("oee_http_connections {}\n", ctx.connections.load());
}

}  // namespace oee::api
