#include "api/http/server_context.h"

#include <algorithm>
#include <vector>

#include <spdlog/spdlog.h>

namespace oee::api {

// A connection left now would count itself out of a context that is gone.
ServerContext::~ServerContext() {
  if (const auto left = connections.load(); left != 0) {
    spdlog::error("{} connections outlived the server's context", left);
  }
}

std::optional<ServerContext::Added> ServerContext::add_connection(const boost::asio::ip::address& peer) {
  const std::size_t cap = config.max_connections_per_address;
  const bool capped = cap > 0 && (config.cap_loopback || !peer.is_loopback());
  const auto client = client_of(peer);
  std::lock_guard lock(closers_mu_);
  if (capped) {
    auto& held = per_address_[client];
    if (held >= cap) {
      refused_per_address.fetch_add(1);
      return std::nullopt;
    }
    ++held;
  }
  connections.fetch_add(1);
  const auto id = next_connection_.fetch_add(1);
  Open& open = closers_[id];  // a node of the map: it stays where it is until the connection goes
  if (capped) open.client = client;
  return Added{id, &open.idle_since};
}

void ServerContext::set_closer(std::uint64_t id, Closer closer) {
  std::lock_guard lock(closers_mu_);
  auto& open = closers_[id];
  if (closing_ != Closing::none) {
    closer(closing_);
  } else if (open.holder && revoked_.contains(*open.holder)) {
    // Revoked between the upgrade and this closer: no one else will close it.
    closer(Closing::revoked);
  }
  open.closer = std::move(closer);
}

bool ServerContext::set_holder(std::uint64_t id, const core::KeyId& key) {
  std::lock_guard lock(closers_mu_);
  auto& open = closers_[id];
  if (open.holder) return open.holder == key;
  auto& held = per_key_[key];
  if (config.max_websockets_per_key > 0 && held >= config.max_websockets_per_key) {
    refused_per_key.fetch_add(1);
    return false;
  }
  ++held;
  open.holder = key;
  if (revoked_.contains(key) && open.closer) open.closer(Closing::revoked);
  return true;
}

void ServerContext::close_sessions_of(const core::KeyId& key) {
  std::lock_guard lock(closers_mu_);
  revoked_.insert(key);
  for (auto& [id, open] : closers_) {
    if (open.holder == key && open.closer) open.closer(Closing::revoked);
  }
}

std::size_t ServerContext::shed_idle(std::size_t n) {
  std::lock_guard lock(closers_mu_);
  std::vector<std::pair<std::int64_t, Open*>> idle;
  for (auto& [id, open] : closers_) {
    const auto since = open.idle_since.load(std::memory_order_relaxed);
    if (since != 0 && open.closer) idle.emplace_back(since, &open);
  }
  const std::size_t candidates = std::min(n, idle.size());
  std::partial_sort(idle.begin(), idle.begin() + static_cast<std::ptrdiff_t>(candidates), idle.end(),
                    [](const auto& a, const auto& b) { return a.first < b.first; });
  std::size_t shed = 0;
  for (std::size_t i = 0; i < candidates; ++i) {
    // Taken from idle first: a request that began meanwhile keeps it.
    if (idle[i].second->idle_since.exchange(0, std::memory_order_relaxed) == 0) continue;
    idle[i].second->closer(Closing::cut);
    ++shed;
  }
  shed_idle_connections.fetch_add(shed);
  return shed;
}

void ServerContext::remove_connection(std::uint64_t id) {
  std::lock_guard lock(closers_mu_);
  if (const auto it = closers_.find(id); it != closers_.end()) {
    // Counts that reach 0 are dropped: a scan of many addresses leaves no
    // trace once its connections are gone.
    const auto release = [](auto& counts, const auto& who) {
      const auto c = counts.find(who);
      if (c != counts.end() && --c->second == 0) counts.erase(c);
    };
    if (!it->second.client.is_unspecified()) release(per_address_, it->second.client);
    if (it->second.holder) release(per_key_, *it->second.holder);
    closers_.erase(it);
  }
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
  metrics::append_header(out, "oee_connections_refused_total", "counter",
                         "Connections refused for a per-client cap: per_address (--max-connections-per-address), "
                         "per_key (WebSockets over --max-websockets-per-key).");
  metrics::append_sample(out, "oee_connections_refused_total", R"(cap="per_address")", ctx.refused_per_address.load());
  metrics::append_sample(out, "oee_connections_refused_total", R"(cap="per_key")", ctx.refused_per_key.load());
  metrics::append_metric(out, "oee_connections_shed_total", "counter",
                         "Idle connections (no request under way, no stream) closed to free descriptors for newcomers.",
                         ctx.shed_idle_connections.load());
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
