#include "api/http/server_context.h"

namespace oee::api {

std::uint64_t ServerContext::add_connection() {
  connections.fetch_add(1);
  return next_connection_.fetch_add(1);
}

void ServerContext::set_closer(std::uint64_t id, Closer closer) {
  std::lock_guard lock(closers_mu_);
  if (closing_ != Closing::none) closer(closing_);
  closers_[id].closer = std::move(closer);
}

void ServerContext::set_holder(std::uint64_t id, const core::KeyId& key) {
  std::lock_guard lock(closers_mu_);
  auto& open = closers_[id];
  open.holder = key;
  if (revoked_.contains(key) && open.closer) open.closer(Closing::revoked);
}

void ServerContext::close_sessions_of(const core::KeyId& key) {
  std::lock_guard lock(closers_mu_);
  revoked_.insert(key);
  for (auto& [id, open] : closers_) {
    if (open.holder == key && open.closer) open.closer(Closing::revoked);
  }
}

void ServerContext::remove_connection(std::uint64_t id) {
  std::lock_guard lock(closers_mu_);
  closers_.erase(id);
  if (connections.fetch_sub(1) == 1) none_open_.notify_all();
}

void ServerContext::close_connections(Closing how) {
  std::lock_guard lock(closers_mu_);
  closing_ = how;
  for (auto& [id, open] : closers_) {
    if (open.closer) open.closer(how);
  }
}

bool ServerContext::wait_for_no_connections(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(closers_mu_);
  return none_open_.wait_until(lock, deadline, [this] { return connections.load() == 0; });
}

void append_connection_metrics(std::string& out, const ServerContext& ctx) {
  metrics::append_metric(out, "oee_websocket_clients", "gauge", "Connected WebSocket clients.", ctx.ws_clients.load());
  metrics::append_metric(out, "oee_websocket_dropped_slow_total", "counter",
                         "WebSocket clients dropped for reading too slowly.", ctx.ws_dropped_slow.load());
  metrics::append_metric(out, "oee_http_requests_total", "counter", "HTTP requests answered by the REST routes.",
                         ctx.http_requests.load());
  metrics::append_metric(out, "oee_http_connections", "gauge", "Open connections, HTTP and WebSocket.",
                         ctx.connections.load());
  metrics::append_metric(out, "oee_http_malformed_total", "counter",
                         "Requests refused before routing: bad framing, over a limit, unmet expectations.",
                         ctx.http_malformed.load());
  metrics::append_metric(out, "oee_http_session_errors_total", "counter",
                         "Connections closed because an unexpected error escaped them (each is logged).",
                         ctx.session_errors.load());
  metrics::append_metric(out, "oee_accept_errors_total", "counter",
                         "Failed accepts, e.g. out of file descriptors (the listener backs off).",
                         ctx.accept_errors.load());
  metrics::append_metric(out, "oee_tls_failures_total", "counter",
                         "Connections to a TLS port that did not become TLS: plain HTTP, failed handshakes.",
                         ctx.tls_failures.load());
  metrics::append_header(out, "oee_auth_failures_total", "counter",
                         "Requests refused for their API key, by reason (missing, malformed, unknown, revoked, "
                         "expired, unavailable).");
  for (const AuthFailure why : kAuthFailures) {
    metrics::append_sample(out, "oee_auth_failures_total", "reason=\"" + std::string(auth_failure_name(why)) + "\"",
                           ctx.limits.failures(why));
  }
  metrics::append_metric(out, "oee_rate_limited_total", "counter",
                         "Requests refused with 429: over a key's rate limit, or an address's.",
                         ctx.limits.limited());
}

}  // namespace oee::api
