#include "api/server_context.h"

namespace oee::api {

void append_connection_metrics(std::string& out, const ServerContext& ctx) {
  append_metric(out, "oee_websocket_clients", "gauge", "Connected WebSocket clients.", ctx.ws_clients.load());
  append_metric(out, "oee_websocket_dropped_slow_total", "counter",
                "WebSocket clients dropped for reading too slowly.", ctx.ws_dropped_slow.load());
  append_metric(out, "oee_http_requests_total", "counter",
                "HTTP requests answered by the REST routes.", ctx.http_requests.load());
  append_metric(out, "oee_http_connections", "gauge", "Open connections, HTTP and WebSocket.",
                ctx.connections.load());
  append_metric(out, "oee_http_malformed_total", "counter",
                "Requests refused before routing: bad framing, over a limit, unmet expectations.",
                ctx.http_malformed.load());
  append_metric(out, "oee_http_session_errors_total", "counter",
                "Connections closed because an unexpected error escaped them (each is logged).",
                ctx.session_errors.load());
  append_metric(out, "oee_accept_errors_total", "counter",
                "Failed accepts, e.g. out of file descriptors (the listener backs off).", ctx.accept_errors.load());
}

}  // namespace oee::api
