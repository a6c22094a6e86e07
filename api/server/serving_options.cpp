// oee-server's options by role (option_roles.h): the HTTP and WebSocket server.
#include "api/server/option_roles.h"

#include "api/http/cors.h"
#include "api/tls/tls_context.h"

namespace oee::api::options {

namespace {

constexpr auto kHeading = "Serving";

class ServingOptions final : public OptionRole {
 public:
  void add(CLI::App& cli, ServerOptions& o) override {
    cli.option_defaults()->group(kHeading);
    auto& s = o.server;
    cli.add_option("--bind", s.bind, "Address to listen on")->envname("OEE_BIND")->capture_default_str();
    cli.add_option("--port", s.port, "TCP port to listen on (0 picks a free one)")->envname("OEE_PORT")->capture_default_str();
    cli.add_option("--threads", o.threads,
                   "HTTP/WebSocket threads; connections are dealt to them in turn, and each stays on its thread")->envname("OEE_THREADS")->check(CLI::Range(1u, 64u))
        ->capture_default_str();
    cli.add_option("--log-level", o.log_level, "Least severe messages logged: trace, debug, info, warn, error")
        ->envname("OEE_LOG_LEVEL")->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}))
        ->capture_default_str();
    cli.add_option("--max-connections", s.max_connections, "Open HTTP/WebSocket connections; more are refused")
        ->envname("OEE_MAX_CONNECTIONS")->check(CLI::Range(std::size_t{1}, std::size_t{1'000'000}))->capture_default_str();
    per_address_ =
        cli.add_option("--max-connections-per-address", s.max_connections_per_address,
                       "Connections one client address (an IPv6 one per /64) may hold open at once, HTTP and "
                       "WebSocket; more are refused (0: no cap). Loopback clients are not capped unless this is given")
            ->envname("OEE_MAX_CONNECTIONS_PER_ADDRESS")
            ->capture_default_str();
    cli.add_option("--max-websockets-per-key", s.max_websockets_per_key,
                   "WebSockets one API key may hold open at once; another upgrade gets 429 too_many_websockets "
                   "(0: no cap)")
        ->envname("OEE_MAX_WEBSOCKETS_PER_KEY")
        ->capture_default_str();
    cli.add_option("--ws-queue-limit", s.ws_queue_limit,
                   "Messages queued for one WebSocket before the reader counts as slow and is closed (1008)")
        ->envname("OEE_WS_QUEUE_LIMIT")->check(CLI::Range(std::size_t{1}, std::size_t{1'000'000}))->capture_default_str();
    cli.add_option("--header-timeout", header_seconds_,
                   "Seconds a connection has to send a request's whole head (from the accept, or from its first "
                   "byte on a kept-alive connection); a partial head then gets 408, and nothing at all is closed")
        ->envname("OEE_HEADER_TIMEOUT")->check(CLI::Range(1, 3600))->capture_default_str();
    cli.add_option("--ws-idle-timeout", ws_idle_seconds_,
                   "Seconds a WebSocket may stay silent: the server pings after half of it, and closes a client "
                   "that has sent nothing (not even the pong) for all of it")
        ->envname("OEE_WS_IDLE_TIMEOUT")->check(CLI::Range(2u, 3600u))->capture_default_str();
    cli.add_option("--cors-origins", cors_origins_,
                   "Browser origins that may call the API and open WebSockets: * for any, or a comma list of "
                   "scheme://host[:port] (port * for any). Other origins get no CORS headers, and their POSTs, "
                   "DELETEs and WebSocket upgrades are refused (403); requests without an Origin (curl, scripts) "
                   "are unaffected")
        ->envname("OEE_CORS_ORIGINS")->capture_default_str();
    cli.add_option("--allowed-host", allowed_hosts_,
                   "While authentication is off, the server answers only requests for localhost, an IP address or "
                   "a name given here (repeatable, or a comma list in OEE_ALLOWED_HOSTS); others get 403 "
                   "host_not_allowed, so that a site re-pointed at this machine (DNS rebinding) cannot read it")
        ->envname("OEE_ALLOWED_HOSTS")->delimiter(',');
    cli.add_option("--tls-cert", tls_cert_,
                   "Serve HTTPS and WSS (TLS 1.2 or 1.3) on the port, and nothing else: the certificate chain, PEM, "
                   "the server's certificate first")
        ->envname("OEE_TLS_CERT");
    cli.add_option("--tls-key", tls_key_, "With --tls-cert: the certificate's private key, PEM, unencrypted")
        ->envname("OEE_TLS_KEY");
  }

  std::optional<std::string> finish(const CLI::App&, ServerOptions& o) override {
    auto& s = o.server;
    s.cap_loopback = per_address_->count() > 0;  // given, on the command line or in the environment
    s.ws_idle_timeout = std::chrono::seconds(ws_idle_seconds_);
    s.header_timeout = std::chrono::seconds(header_seconds_);
    std::string cors_error;
    auto cors = CorsPolicy::parse(cors_origins_, &cors_error);
    if (!cors) return "--cors-origins: " + cors_error;
    s.cors = std::move(*cors);
    if (o.admin_key.empty()) s.hosts = HostPolicy::loopback_and(std::move(allowed_hosts_));
    if (tls_cert_.empty() != tls_key_.empty()) return std::string("--tls-cert and --tls-key go together: give both, or neither");
    if (!tls_cert_.empty()) {
      auto context = server_tls_context(tls_cert_, tls_key_);
      if (!context) return "--tls-cert/--tls-key: " + context.error();
      s.tls = *context;
    }
    return std::nullopt;
  }

 private:
  unsigned ws_idle_seconds_ = 60;
  std::int64_t header_seconds_ = 10;
  std::string cors_origins_{CorsPolicy::kLoopback};
  std::vector<std::string> allowed_hosts_;
  std::string tls_cert_, tls_key_;
  CLI::Option* per_address_ = nullptr;
};

}  // namespace

std::unique_ptr<OptionRole> serving_options() { return std::make_unique<ServingOptions>(); }

}  // namespace oee::api::options
