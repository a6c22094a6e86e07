#include "api/server_context.h"

namespace oee::api {

void append_connection_metrics(std::string& out, const ServerContext& ctx) {
  append_metric(out, "oee_websocket_clients", "gauge", "Connected WebSocket clients.", ctx.ws_clients.load());
  append_metric(out, "oee_websocket_dropped_slow_total", "counter",
                "WebSocket clients dropped for reading too slowly.", ctx.ws_dropped_slow.load());
  append_metric(out, "oee_http_requests_total", "counter",
                "HTTP requests answered by the REST routes.", ctx.http_requests.load());
  append_metric(out, "oee_http_connections", "gauge", "Open HTTP connections.", ctx.connections.load());
}

}  // namespace oee::api
