#pragma once
// What the HTTP/WebSocket transport needs from the process it serves, in
// either role: limits, the stream source for WebSockets, the role's routes,
// and the counters /health and /metrics report. Owned by main(); outlives
// the server.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include <boost/asio/post.hpp>

#include "api/http/cors.h"
#include "api/http/host_policy.h"
#include "api/http/http_message.h"
#include "api/http/router.h"
#include "api/stream/stream_source.h"
#include "api/tls/tls_context.h"
#include "eventlog/prometheus.h"  // append_metric

namespace oee::api {

struct ServerConfig {
  std::string bind = "127.0.0.1";
  std::uint16_t port = 3000;
  std::size_t max_connections = 10'000;
  // Per client address (an IPv6 one per /64): connections open at once,
  // HTTP and WebSocket; 0: no cap. Loopback clients are not capped unless
  // `cap_loopback` (the cap was asked for explicitly).
  std::size_t max_connections_per_address = 256;
  bool cap_loopback = false;
  // WebSockets one API key holds open at once (0: no cap).
  std::size_t max_websockets_per_key = 256;
  std::size_t body_limit = 64 * 1024;
  // The header section, and with it the trailer section of a chunked body.
  // Kept far below 64 KiB: Beast throws on a single field that large.
  std::size_t header_limit = 8 * 1024;
  std::size_t ws_message_limit = 4 * 1024;
  std::size_t ws_queue_limit = 1'024;  // queued messages before a slow reader is dropped
  std::size_t ws_subscriptions_limit = 1'000;
  std::chrono::seconds ws_idle_timeout{60};  // a ping goes out at half of it; no pong closes
  std::chrono::seconds http_idle_timeout{60};  // for the next request on a kept-alive connection
  std::chrono::seconds header_timeout{10};     // for a request's whole head, from its first byte (or the accept)
  CorsPolicy cors = CorsPolicy::loopback();
  HostPolicy hosts = HostPolicy::any();  // checked while authentication is off
  // When set, the port speaks HTTPS and WSS only (api/tls).
  TlsContext tls;
  std::chrono::seconds tls_handshake_timeout{10};
};

struct ServerContext {
  ServerContext(ServerConfig c, StreamSource& s) : config(std::move(c)), stream(s) {}
  /// Every connection references it until its end (ConnectionSlot): one
  /// left by then is a bug, and logged as one.
  ~ServerContext();
  ServerContext(const ServerContext&) = delete;
  ServerContext& operator=(const ServerContext&) = delete;

  ServerConfig config;
  StreamSource& stream;
  Router router;  // every path the role serves
  RateLimiter limits;  // the router's, and /metrics reads its counters
  std::atomic<std::int64_t> connections{0};
  std::atomic<std::int64_t> ws_clients{0};
  std::atomic<std::uint64_t> ws_dropped_slow{0};
  std::atomic<std::uint64_t> http_requests{0};
  std::atomic<std::uint64_t> http_malformed{0};  // requests refused before routing (framing, limits)
  std::atomic<std::uint64_t> session_errors{0};  // exceptions caught at a connection's boundary
  std::atomic<std::uint64_t> accept_errors{0};
  std::atomic<std::uint64_t> tls_failures{0};  // plain HTTP on a TLS port, failed handshakes
  std::atomic<std::uint64_t> refused_per_address{0};  // over --max-connections-per-address
  std::atomic<std::uint64_t> refused_per_key{0};      // WebSockets over --max-websockets-per-key
  std::atomic<std::uint64_t> shed_idle_connections{0};  // closed to free descriptors for newcomers

  /// How a stop ends a connection: `close` lets it finish what it is
  /// answering and say goodbye; `cut` closes its socket. `revoked`: the
  /// API key it was opened with no longer works (close_sessions_of).
  enum class Closing { none, close, cut, revoked };
  using Closer = std::function<void(Closing)>;

  /// Ends every open connection so, and each one opened from now on as
  /// soon as it says how (ConnectionSlot::on_close). Thread-safe.
  void close_connections(Closing how);
  /// Ends, with Closing::revoked, every open connection held by `key`
  /// (ConnectionSlot::held_by). Thread-safe.
  void close_sessions_of(const core::KeyId& key);
  /// Cuts up to `n` idle connections (waiting for a request, nothing of it
  /// read; never a WebSocket), the longest idle first; how many. Thread-safe.
  std::size_t shed_idle(std::size_t n);
  /// Waits until no connection is open (true) or `deadline` passes.
  bool wait_for_no_connections(std::chrono::steady_clock::time_point deadline);

 private:
  friend class ConnectionSlot;
  struct Added {
    std::uint64_t id;
    // Steady-clock nanoseconds since it began waiting for a request with
    // nothing of one read, 0 while not: written by its session without the
    // lock (twice a request), read by shed_idle under it.
    std::atomic<std::int64_t>* idle_since;
  };
  // Nullopt when `peer` holds its cap of connections already.
  std::optional<Added> add_connection(const boost::asio::ip::address& peer);
  void set_closer(std::uint64_t id, Closer closer);
  bool set_holder(std::uint64_t id, const core::KeyId& key);
  void remove_connection(std::uint64_t id);

  struct Open {
    Closer closer;
    std::optional<core::KeyId> holder;
    boost::asio::ip::address client;
    std::atomic<std::int64_t> idle_since{0};  // see Added
  };

  std::atomic<std::uint64_t> next_connection_{0};
  std::mutex closers_mu_;
  std::condition_variable none_open_;  // under closers_mu_
  Closing closing_ = Closing::none;
  std::unordered_map<std::uint64_t, Open> closers_;
  std::unordered_map<boost::asio::ip::address, std::size_t, ClientAddressHash> per_address_;  // capped clients only
  std::unordered_map<core::KeyId, std::size_t, OrderIdHash> per_key_;
  // Every key revoked while serving: a WebSocket that was admitted just
  // before its key's revocation and registers just after is closed too.
  std::unordered_set<core::KeyId, OrderIdHash> revoked_;
};

/// Counts one open connection, HTTP or WebSocket, toward --max-connections
/// for as long as it lives: a WebSocket session keeps the slot its HTTP
/// session was accepted with, until the last of its coroutines ends. The
/// slot also holds how the server's stop() closes the connection.
class ConnectionSlot {
 public:
  /// A slot for a connection from `peer`, or nullopt if `peer` holds
  /// --max-connections-per-address already.
  [[nodiscard]] static std::optional<ConnectionSlot> open(ServerContext& ctx, const boost::asio::ip::address& peer) {
    const auto added = ctx.add_connection(peer);
    if (!added) return std::nullopt;
    return ConnectionSlot(ctx, *added);
  }
  ConnectionSlot(ConnectionSlot&& other) noexcept
      : ctx_(std::exchange(other.ctx_, nullptr)), id_(other.id_), idle_since_(other.idle_since_) {}
  ConnectionSlot& operator=(ConnectionSlot&&) = delete;
  ~ConnectionSlot() {
    if (ctx_ != nullptr) ctx_->remove_connection(id_);
  }

  /// The API key the connection's WebSocket was opened with: revoking the
  /// key ends the connection. False, and not held, if the key holds
  /// --max-websockets-per-key already.
  [[nodiscard]] bool held_by(const core::KeyId& key) { return ctx_->set_holder(id_, key); }
  /// Whether it waits for a request with nothing of it read: idle ones may
  /// be shed when descriptors run out (ServerContext::shed_idle).
  void idle(bool idle) {
    if (!idle) {
      idle_since_->store(0, std::memory_order_relaxed);
      return;
    }
    std::int64_t not_idle = 0;  // the first moment counts, not the latest
    idle_since_->compare_exchange_strong(
        not_idle, std::chrono::steady_clock::now().time_since_epoch().count(), std::memory_order_relaxed);
  }

  /// How the server's stop() ends this connection, replacing what was set
  /// before: `end(*target, how)` runs on the connection's `strand`, if
  /// `target` is still there by then.
  template <class Strand, class Target, class End>
  void on_close(Strand strand, std::weak_ptr<Target> target, End end) {
    ctx_->set_closer(id_, [strand, target = std::move(target), end = std::move(end)](ServerContext::Closing how) {
      boost::asio::post(strand, [target, end, how] {
        if (const auto alive = target.lock()) end(*alive, how);
      });
    });
  }

 private:
  ConnectionSlot(ServerContext& ctx, ServerContext::Added added)
      : ctx_(&ctx), id_(added.id), idle_since_(added.idle_since) {}
  ServerContext* ctx_;
  std::uint64_t id_;
  std::atomic<std::int64_t>* idle_since_;
};

/// The Prometheus lines for the counters above, shared by both roles.
void append_connection_metrics(std::string& out, const ServerContext& ctx);

}  // namespace oee::api
