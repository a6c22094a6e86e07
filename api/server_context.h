#pragma once
// What the HTTP/WebSocket transport needs from the process it serves, in
// either role: limits, the stream source for WebSockets, the REST routes,
// and the counters /health and /metrics report. Owned by main(); outlives
// the server.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>

#include <boost/asio/awaitable.hpp>

#include "api/cors.h"
#include "api/http_message.h"
#include "api/stream_source.h"
#include "eventlog/prometheus.h"  // append_metric

namespace oee::api {

struct ServerConfig {
  std::string bind = "127.0.0.1";
  std::uint16_t port = 3000;
  std::size_t max_connections = 10'000;
  std::size_t body_limit = 64 * 1024;
  // The header section, and with it the trailer section of a chunked body.
  // Kept far below 64 KiB: Beast throws on a single field that large.
  std::size_t header_limit = 8 * 1024;
  std::size_t ws_message_limit = 4 * 1024;
  std::size_t ws_queue_limit = 1'024;  // queued messages before a slow reader is dropped
  std::size_t ws_subscriptions_limit = 1'000;
  std::chrono::seconds ws_idle_timeout{60};  // a ping goes out at half of it; no pong closes
  std::chrono::seconds http_idle_timeout{60};  // for the next request on a kept-alive connection
  CorsPolicy cors = CorsPolicy::loopback();
};

using RequestHandler = std::function<boost::asio::awaitable<HttpResponse>(const HttpRequest&)>;

struct ServerContext {
  ServerContext(ServerConfig c, StreamSource& s) : config(std::move(c)), stream(s) {}

  ServerConfig config;
  StreamSource& stream;
  RequestHandler handler;
  std::atomic<std::int64_t> connections{0};
  std::atomic<std::int64_t> ws_clients{0};
  std::atomic<std::uint64_t> ws_dropped_slow{0};
  std::atomic<std::uint64_t> http_requests{0};
  std::atomic<std::uint64_t> http_malformed{0};  // requests refused before routing (framing, limits)
  std::atomic<std::uint64_t> session_errors{0};  // exceptions caught at a connection's boundary
  std::atomic<std::uint64_t> accept_errors{0};
};

/// Counts one open connection, HTTP or WebSocket, toward --max-connections
/// for as long as it lives: a WebSocket session keeps the slot its HTTP
/// session was accepted with, until the last of its coroutines ends.
class ConnectionSlot {
 public:
  explicit ConnectionSlot(ServerContext& ctx) : ctx_(&ctx) { ctx.connections.fetch_add(1); }
  ConnectionSlot(ConnectionSlot&& other) noexcept : ctx_(std::exchange(other.ctx_, nullptr)) {}
  ConnectionSlot& operator=(ConnectionSlot&&) = delete;
  ~ConnectionSlot() {
    if (ctx_ != nullptr) ctx_->connections.fetch_sub(1);
  }

 private:
  ServerContext* ctx_;
};

/// The Prometheus lines for the counters above, shared by both roles.
void append_connection_metrics(std::string& out, const ServerContext& ctx);

}  // namespace oee::api
