#include "api/server/server_options.h"

#include <algorithm>
#include <charconv>
#include <optional>
#include <string_view>
#include <tuple>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <boost/asio/ip/address.hpp>

#include "api/auth/key_secret.h"
#include "api/gateway/core_client.h"
#include "api/tls/tls_context.h"
#include "eventlog/position.h"
#include "api/http/cors.h"
#include "eventlog/jetstream/connection.h"

namespace oee::api {

namespace {

std::string_view role_name(Role r) { return r == Role::gateway ? "gateway" : "core"; }

// An option that takes one of a few values by the name `name_of` gives it,
// the one spelling the server also logs and reports; the help shows the
// names and the default by name.
template <class Enum>
CLI::Option* add_choice(CLI::App& cli, const std::string& flag, Enum& target, std::vector<Enum> values,
                        std::string_view (*name_of)(Enum), const std::string& help) {
  std::vector<std::string> names;
  for (const Enum value : values) names.emplace_back(name_of(value));
  return cli
      .add_option_function<std::string>(
          flag,
          [&target, values, name_of](const std::string& text) {
            for (const Enum value : values) {
              if (name_of(value) == text) target = value;
            }
          },
          help)
      ->check(CLI::IsMember(names))
      ->default_str(std::string(name_of(target)));
}

// A key kept in a file: its first line, without the line's end or blanks
// around it; nullopt and `error` set if there is none.
std::optional<std::string> read_key_file(const std::string& path, std::string& error) {
  std::ifstream in(path);
  if (!in) {
    error = fmt::format("cannot read {}: {}", path, std::strerror(errno));
    return std::nullopt;
  }
  std::string line;
  std::getline(in, line);
  const auto first = line.find_first_not_of(" \t\r");
  if (first == std::string::npos) {
    error = fmt::format("{} holds no key on its first line", path);
    return std::nullopt;
  }
  return line.substr(first, line.find_last_not_of(" \t\r") - first + 1);
}

// Why the access options cannot start a server, if they cannot.
std::optional<std::string> check_access_options(const ServerOptions& o) {
  if (!o.admin_key.empty()) {
    if (o.auth_off) return std::string("--auth off and --admin-key contradict each other; give one of them");
    if (auto weak = admin_key_weakness(o.admin_key)) return "--admin-key: " + *weak;
    if (!o.metrics_token.empty()) {
      if (auto weak = admin_key_weakness(o.metrics_token)) return "--metrics-token: " + *weak;
      if (o.metrics_token == o.admin_key) return std::string("--metrics-token must not be the admin key");
    }
    return std::nullopt;
  }
  if (!o.metrics_token.empty()) return std::string("--metrics-token needs --admin-key: without it /metrics is open");
  if (o.sim_control && !is_loopback_address(o.server.bind)) {
    return "--sim-control lets whoever reaches the server set prices: without --admin-key it is for a loopback "
           "--bind only";
  }
  if (!o.auth_off && !is_loopback_address(o.server.bind)) {
    return "--bind " + o.server.bind +
           " is reachable from other machines, and without --admin-key (OEE_ADMIN_KEY) anyone who reaches it could "
           "submit and read orders. Give --admin-key, or --auth off to serve without authentication on purpose";
  }
  return std::nullopt;
}

/// OEE_TEST_LOSE_ACKS's TYPE:N: an event type and how many of its
/// acknowledgments to drop; nothing if it is not that.
std::optional<std::pair<std::uint8_t, std::uint32_t>> parse_lose_acks(std::string_view spec) {
  const auto colon = spec.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  unsigned type = 0;
  std::uint32_t count = 0;
  const auto t = spec.substr(0, colon);
  const auto n = spec.substr(colon + 1);
  const auto [t_end, t_ec] = std::from_chars(t.data(), t.data() + t.size(), type);
  const auto [n_end, n_ec] = std::from_chars(n.data(), n.data() + n.size(), count);
  if (t.empty() || n.empty() || t_ec != std::errc{} || n_ec != std::errc{} || t_end != t.data() + t.size() ||
      n_end != n.data() + n.size() || type > 255 || count == 0)
    return std::nullopt;
  return std::pair{static_cast<std::uint8_t>(type), count};
}

}  // namespace

std::string_view sim_clock_name(SimClockKind k) { return k == SimClockKind::virtual_clock ? "virtual" : "wall"; }

bool is_loopback_address(std::string_view bind) {
  if (bind == "localhost") return true;
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(bind, ec);
  return !ec && address.is_loopback();
}

// One statement per option, so the flags read as a table in the order
// --help lists them: longer than 80 lines on purpose.
std::optional<int> parse_server_options(int argc, char** argv, ServerOptions& o) {
  CLI::App cli{"oee-server: durable, event-sourced order execution engine (REST + WebSocket)"};
  cli.footer("A browser opening the server's address (http://127.0.0.1:3000/ by default) gets the dashboard: live "
             "orders, a submit form, timelines, dead letters, charts and health; a gateway's shows its streams. "
             "GET /openapi.json describes every REST route (OpenAPI 3.1).");
  auto& s = o.server;
  unsigned ws_idle_seconds = 60;
  int watch_ms = 100;
  double launch_seconds = 30;
  std::string cors_origins{CorsPolicy::kLoopback};
  std::vector<std::string> allowed_hosts;
  std::string redis_url;
  cli.add_option("--data-dir", o.data_dir, "Data directory: the event log (log/) and the simulated chain (simchain/)")
      ->envname("OEE_DATA_DIR")->capture_default_str();
  cli.add_option("--bind", s.bind, "Address to listen on")->envname("OEE_BIND")->capture_default_str();
  cli.add_option("--port", s.port, "TCP port to listen on (0 picks a free one)")->envname("OEE_PORT")->capture_default_str();
  add_choice(cli, "--role", o.role, {Role::core, Role::gateway}, role_name,
             "core (owns the log) or gateway (WebSocket edge fed by Redis, no log)")
      ->envname("OEE_ROLE");
  cli.add_option("--core-url", o.core_url, "Gateway role: the core's URL, http:// or https:// (see --ca-file), for past events and API keys")
      ->envname("OEE_CORE_URL")->capture_default_str();
  cli.add_option("--redis-url", redis_url,
                 "Redis for the live stream, redis://[[user]:password@]host[:port][/db]. Core: publishes every event "
                 "(a cluster node: those of the partitions it executes); gateway: subscribes (required). Unset core: "
                 "in-process fan-out only")
      ->envname("REDIS_URL");
  cli.add_option("--database-url", o.database_url,
                 "PostgreSQL for order history, e.g. postgresql://user@127.0.0.1:5432/oee (unset: no projection)")
      ->envname("DATABASE_URL");
  add_choice(cli, "--sim", o.sim, {core::SimProfile::realistic, core::SimProfile::fast}, core::sim_profile_name,
             "Latency profile: realistic (quotes ~200 ms, execution 2-3 s) or fast (no sleeps)")
      ->envname("OEE_SIM");
  cli.add_option("--concurrency", o.concurrency, "Orders in flight at once; more wait in the queue")
      ->envname("OEE_CONCURRENCY")->check(CLI::Range(std::size_t{1}, std::size_t{1'000'000}))->capture_default_str();
  add_choice(cli, "--durability", o.durability, {eventlog::Durability::sync, eventlog::Durability::async},
             eventlog::durability_name,
             "sync: fsync before acknowledging; async: WAL without fsync")
      ->envname("OEE_DURABILITY");
  cli.add_option("--fail-rate", o.fail_rate,
                 "Share of transactions the simulated chain drops [0,1] (default 0.02 realistic, 0 fast)")
      ->envname("OEE_FAIL_RATE")->check(CLI::Range(0.0, 1.0));
  cli.add_flag("--sim-control", o.sim_control,
               "Let clients on this machine steer the simulated market: POST /api/sim/prices sets a pool's price, "
               "POST /api/sim/launches launches a new token's pool (tests and demos); with --nats, for every node of the cluster")
      ->envname("OEE_SIM_CONTROL");
  cli.add_option("--sim-seed", o.sim_seed,
                 "Seed every random choice of the simulation (prices' drift, launches, latencies, dropped "
                 "transactions, order ids), so the same requests give the same decisions; recorded in the log at start")
      ->envname("OEE_SIM_SEED");
  cli.add_option("--split-min-gain-bps", o.split_min_gain_bps,
                 "Split a market (or fired limit) order across both venues when that returns more than the best "
                 "single venue by more than this many basis points, after the second transaction's fee (default 10; "
                 "10000 never splits)")
      ->envname("OEE_SPLIT_MIN_GAIN_BPS")->check(CLI::Range(0, 10'000));
  double tx_validity_seconds = -1;
  cli.add_option("--sim-tx-validity", tx_validity_seconds,
                 "Seconds of simulated time a transaction can land after its attempt was decided, as a real "
                 "transaction's blockhash expires (default 60 realistic, times --sim-latency-scale above 1; 5 fast); "
                 "the chain refuses and records a later one as expired, and only then, or once it has an outcome, is "
                 "a new attempt signed")
      ->envname("OEE_SIM_TX_VALIDITY")->check(CLI::Range(0.1, 86'400.0));
  std::string default_pair;
  cli.add_option("--default-pair", default_pair,
                 "IN/OUT, e.g. SOL/USDC: the pair a market order trades when its body names neither token (for "
                 "clients written for a service that traded one pair). Unset: such an order is refused (400 "
                 "missing_field), as is one that names one token without the other")
      ->envname("OEE_DEFAULT_PAIR");
  add_choice(cli, "--sim-clock", o.sim_clock, {SimClockKind::wall, SimClockKind::virtual_clock}, sim_clock_name,
             "wall: the simulation runs on real time; virtual: time stands still until POST /api/sim/clock "
             "{advanceMs} moves it (needs --sim-control), firing what falls due in order (docs/audit.md)")
      ->envname("OEE_SIM_CLOCK");
  cli.add_option("--sim-launch-every", launch_seconds,
                 "Seconds between new tokens launching pools on the simulated market, on average (0: none); "
                 "with --nats, launched by one node at a time (the holder of lease market)")
      ->envname("OEE_SIM_LAUNCH_EVERY")->check(CLI::Range(0.0, 86'400.0))->capture_default_str();
  cli.add_option("--watch-interval", watch_ms,
                 "Milliseconds between the watcher's looks at the pools and launches for limit and sniper orders "
                 "(and their expiries)")
      ->envname("OEE_WATCH_INTERVAL")->check(CLI::Range(1, 60'000))->capture_default_str();
  cli.add_option("--sim-latency-scale", o.latency_scale,
                 "Multiplies the realistic profile's latencies (0.1: quotes ~20 ms, execution ~250 ms)")
      ->envname("OEE_SIM_LATENCY_SCALE")->check(CLI::Range(0.0, 100.0))->capture_default_str();
  cli.add_option("--priority-boost", o.priority_boost,
                 "Nice levels the log writer and executor threads run above the rest, so accepted orders "
                 "progress before new ones are taken in; it slows other processes on the machine "
                 "(needs CAP_SYS_NICE; 0: off)")
      ->envname("OEE_PRIORITY_BOOST")->check(CLI::Range(0, 20))->capture_default_str();
  cli.add_option("--log-memory", o.log_memory_mib,
                 "MiB the event log's storage may hold in memory: 4/5 for writes not yet in table files "
                 "(appends wait when they are full), 1/5 for cached table blocks")
      ->envname("OEE_LOG_MEMORY")->check(CLI::Range(std::size_t{10}, std::size_t{1} << 20))->capture_default_str();
  cli.add_option("--threads", o.threads,
                 "HTTP/WebSocket threads; connections are dealt to them in turn, and each stays on its thread")->envname("OEE_THREADS")->check(CLI::Range(1u, 64u))
      ->capture_default_str();
  cli.add_option("--log-level", o.log_level, "Least severe messages logged: trace, debug, info, warn, error")
      ->envname("OEE_LOG_LEVEL")->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}))
      ->capture_default_str();
  cli.add_option("--max-connections", s.max_connections, "Open HTTP/WebSocket connections; more are refused")
      ->envname("OEE_MAX_CONNECTIONS")->check(CLI::Range(std::size_t{1}, std::size_t{1'000'000}))->capture_default_str();
  auto* per_address =
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
  std::int64_t header_seconds = 10;
  cli.add_option("--header-timeout", header_seconds,
                 "Seconds a connection has to send a request's whole head (from the accept, or from its first "
                 "byte on a kept-alive connection); a partial head then gets 408, and nothing at all is closed")
      ->envname("OEE_HEADER_TIMEOUT")->check(CLI::Range(1, 3600))->capture_default_str();
  cli.add_option("--ws-idle-timeout", ws_idle_seconds,
                 "Seconds a WebSocket may stay silent: the server pings after half of it, and closes a client "
                 "that has sent nothing (not even the pong) for all of it")
      ->envname("OEE_WS_IDLE_TIMEOUT")->check(CLI::Range(2u, 3600u))->capture_default_str();
  cli.add_option("--cors-origins", cors_origins,
                 "Browser origins that may call the API and open WebSockets: * for any, or a comma list of "
                 "scheme://host[:port] (port * for any). Other origins get no CORS headers, and their POSTs, "
                 "DELETEs and WebSocket upgrades are refused (403); requests without an Origin (curl, scripts) "
                 "are unaffected")
      ->envname("OEE_CORS_ORIGINS")->capture_default_str();
  cli.add_option("--allowed-host", allowed_hosts,
                 "While authentication is off, the server answers only requests for localhost, an IP address or "
                 "a name given here (repeatable, or a comma list in OEE_ALLOWED_HOSTS); others get 403 "
                 "host_not_allowed, so that a site re-pointed at this machine (DNS rebinding) cannot read it")
      ->envname("OEE_ALLOWED_HOSTS")->delimiter(',');
  cli.add_option("--admin-key", o.admin_key,
                 "Turns authentication on: the key that may do everything, and create scoped API keys "
                 "(POST /api/keys). 32 random bytes as 64 hex digits (openssl rand -hex 32) or base64; runs, repeats "
                 "and other patterns are refused. Prefer OEE_ADMIN_KEY or a file to the command line, which ps "
                 "shows. A gateway takes its core's, "
                 "to learn the core's API keys")
      ->envname("OEE_ADMIN_KEY");
  std::string admin_key_file;
  cli.add_option("--admin-key-file", admin_key_file,
                 "Reads the admin key from this file (its first line), out of sight of ps and the shell's "
                 "history; instead of --admin-key")
      ->envname("OEE_ADMIN_KEY_FILE");
  cli.add_option("--metrics-token", o.metrics_token,
                 "With --admin-key: a bearer token that may read /metrics and nothing else, for a Prometheus "
                 "scraper (besides the admin key: /metrics shows every key's figures); as strong as an admin key")
      ->envname("OEE_METRICS_TOKEN");
  cli.add_option("--max-recurring-per-key", o.max_recurring_per_key,
                 "Active recurring orders one API key may have at once, together with the keys made under the same "
                 "key the admin key made; another gets 429 too_many_recurring (0: no cap). Each of their slices is "
                 "also one write of the key's rate limit")
      ->envname("OEE_MAX_RECURRING_PER_KEY")
      ->capture_default_str();
  cli.add_option("--max-keys-per-key", o.max_keys_per_key,
                 "Keys a key with keys:admin may make, together with every key made under it, revoked ones "
                 "included (each is kept in every node's memory); another gets 429 too_many_keys (0: no cap). The "
                 "admin key may make any number")
      ->envname("OEE_MAX_KEYS_PER_KEY")
      ->capture_default_str();
  std::string auth = "auto";
  cli.add_option("--auth", auth,
                 "auto: authentication is on with --admin-key; off: serve without it even on a non-loopback "
                 "--bind (anyone who reaches the port can trade)")
      ->envname("OEE_AUTH")->check(CLI::IsMember({"auto", "off"}))->capture_default_str();
  std::string tls_cert, tls_key, ca_file;
  cli.add_option("--tls-cert", tls_cert,
                 "Serve HTTPS and WSS (TLS 1.2 or 1.3) on the port, and nothing else: the certificate chain, PEM, "
                 "the server's certificate first")
      ->envname("OEE_TLS_CERT");
  cli.add_option("--tls-key", tls_key, "With --tls-cert: the certificate's private key, PEM, unencrypted")
      ->envname("OEE_TLS_KEY");
  std::string nats;
  double lease_seconds = 5, append_seconds = 10;
  cli.add_option("--nats", nats,
                 "Cluster mode: the NATS JetStream servers, nats://user:password@host:port[,...] (tls:// for TLS); "
                 "the log lives in the cluster instead of --data-dir (docs/SCALING.md). The URLs carry the nodes' "
                 "password: give them in OEE_NATS_URL, which other local users cannot read, not on the command line")
      ->envname("OEE_NATS_URL");
  cli.add_option("--nats-ca", o.nats_ca,
                 "Cluster mode, with tls:// URLs: the CA certificates (PEM) the NATS servers' certificates are checked "
                 "against (default: the system's)")
      ->envname("OEE_NATS_CA");
  cli.add_option("--nats-creds", o.nats_creds, "Cluster mode: a NATS credentials file (JWT and seed) instead of the "
                 "URLs' user and password")
      ->envname("OEE_NATS_CREDS");
  cli.add_option("--node", o.node, "Cluster mode: this node's name, unique in the cluster (default: the host name)")
      ->envname("OEE_NODE");
  cli.add_option("--partitions", o.partitions,
                 "Cluster mode: partitions the orders are spread over; fixed by the cluster's first node")
      ->envname("OEE_PARTITIONS")->check(CLI::Range(1u, eventlog::kMaxPartitions))->capture_default_str();
  cli.add_option("--lease-ttl", lease_seconds,
                 "Cluster mode: seconds a node's hold on a partition lasts without renewal; another node takes over "
                 "after it")
      ->envname("OEE_LEASE_TTL")->check(CLI::Range(0.3, 600.0))->capture_default_str();
  cli.add_option("--append-timeout", append_seconds,
                 "Cluster mode: seconds a submit waits for the cluster's acknowledgment before answering 503")
      ->envname("OEE_APPEND_TIMEOUT")->check(CLI::Range(0.1, 600.0))->capture_default_str();
  cli.add_flag("--fold-all-partitions", o.fold_all_partitions,
               "Cluster mode: fold every partition here, not only those this node executes (the others are read "
               "from their owners); costs every node every partition's work, for comparing the two")
      ->envname("OEE_FOLD_ALL_PARTITIONS");
  // Test hooks, kept out of --help (docs/testing.md).
  std::string lose_acks;
  cli.add_option("--test-lose-acks", lose_acks,
                 "Tests only: TYPE:N drops the acknowledgment of this cluster node's first N appends of stored "
                 "event type TYPE")
      ->envname("OEE_TEST_LOSE_ACKS")
      ->group("");
  cli.add_option("--test-fail-resumes", o.faults.fail_resumes,
                 "Tests only: this cluster node's first N partition resumes fail")
      ->envname("OEE_TEST_FAIL_RESUMES")
      ->group("");
  cli.add_option("--ca-file", ca_file,
                 "Gateway role, with an https:// --core-url: the CA certificates (PEM) the core's certificate is "
                 "checked against (default: the system's)")
      ->envname("OEE_CA_FILE");
  CLI11_PARSE(cli, argc, argv);
  if (!lose_acks.empty()) {
    const auto spec = parse_lose_acks(lose_acks);
    if (!spec) {
      std::fprintf(stderr,
                   "oee-server: --test-lose-acks (OEE_TEST_LOSE_ACKS) is TYPE:N, an event type from 0 to 255 and a "
                   "count from 1, not '%s'\n",
                   lose_acks.c_str());
      return 2;
    }
    std::tie(o.faults.lose_ack_type, o.faults.lose_acks) = *spec;
  }
  s.cap_loopback = per_address->count() > 0;  // given, on the command line or in the environment
  o.auth_off = auth == "off";
  if (!admin_key_file.empty()) {
    if (!o.admin_key.empty()) {
      std::fprintf(stderr, "oee-server: --admin-key and --admin-key-file: give one of them\n");
      return 2;
    }
    std::string error;
    auto key = read_key_file(admin_key_file, error);
    if (!key) {
      std::fprintf(stderr, "oee-server: --admin-key-file: %s\n", error.c_str());
      return 2;
    }
    o.admin_key = std::move(*key);
  }
  if (o.sim_clock == SimClockKind::virtual_clock && !o.sim_control) {
    std::fprintf(stderr, "oee-server: --sim-clock virtual needs --sim-control: only POST /api/sim/clock moves its time\n");
    return 2;
  }
  if ((o.sim_seed || o.sim_clock == SimClockKind::virtual_clock) && (!nats.empty() || o.role == Role::gateway)) {
    std::fprintf(stderr, "oee-server: --sim-seed and --sim-clock virtual are for one core node with its embedded "
                         "log (a cluster's market and timers are shared by its nodes)\n");
    return 2;
  }
  if (cli.count("--default-pair") > 0) {
    auto pair = parse_token_pair(default_pair);
    if (!pair) {
      std::fprintf(stderr, "oee-server: --default-pair: %s\n", pair.error().c_str());
      return 2;
    }
    o.default_pair = *pair;
  }
  if (o.fail_rate < 0) o.fail_rate = o.sim == core::SimProfile::fast ? 0.0 : 0.02;
  if (tx_validity_seconds < 0) {
    // A slowed simulation keeps the realistic ratio of validity to latency.
    tx_validity_seconds = o.sim == core::SimProfile::fast ? 5 : 60 * std::max(1.0, o.latency_scale);
  }
  o.tx_validity = std::chrono::milliseconds(static_cast<std::int64_t>(tx_validity_seconds * 1000));
  o.lease_ttl = std::chrono::milliseconds(static_cast<std::int64_t>(lease_seconds * 1000));
  o.append_timeout = std::chrono::milliseconds(static_cast<std::int64_t>(append_seconds * 1000));
  if (!nats.empty()) {
    try {
      o.nats_urls = eventlog::jetstream::parse_urls(nats);
    } catch (const std::invalid_argument& e) {
      std::fprintf(stderr, "oee-server: --nats: %s\n", e.what());
      return 2;
    }
    if (o.node.empty()) {
      char host[256] = {};
      if (::gethostname(host, sizeof host - 1) == 0) o.node = host;
    }
    if (o.node.empty() || o.node.find_first_of(" .*>\t") != std::string::npos) {
      std::fprintf(stderr, "oee-server: --node: give this node a name without spaces, dots, * or > (got '%s')\n",
                   o.node.c_str());
      return 2;
    }
  }
  if (tls_cert.empty() != tls_key.empty()) {
    std::fprintf(stderr, "oee-server: --tls-cert and --tls-key go together: give both, or neither\n");
    return 2;
  }
  if (!tls_cert.empty()) {
    auto context = server_tls_context(tls_cert, tls_key);
    if (!context) {
      std::fprintf(stderr, "oee-server: --tls-cert/--tls-key: %s\n", context.error().c_str());
      return 2;
    }
    s.tls = *context;
  }
  if (o.role == Role::gateway) {
    auto endpoint = parse_core_url(o.core_url);
    if (endpoint && endpoint->tls) {
      auto context = client_tls_context(ca_file);
      if (!context) {
        std::fprintf(stderr, "oee-server: --ca-file: %s\n", context.error().c_str());
        return 2;
      }
      o.core_tls = *context;
    }
  }
  if (auto refused = check_access_options(o)) {
    std::fprintf(stderr, "oee-server: %s\n", refused->c_str());
    return 2;
  }

  s.ws_idle_timeout = std::chrono::seconds(ws_idle_seconds);
  s.header_timeout = std::chrono::seconds(header_seconds);
  o.watch_interval = std::chrono::milliseconds(watch_ms);
  o.launch_every = std::chrono::milliseconds(static_cast<std::int64_t>(launch_seconds * 1000));
  std::string cors_error;
  auto cors = CorsPolicy::parse(cors_origins, &cors_error);
  if (!cors) {
    std::fprintf(stderr, "oee-server: --cors-origins: %s\n", cors_error.c_str());
    return 2;
  }
  s.cors = std::move(*cors);
  if (o.admin_key.empty()) s.hosts = HostPolicy::loopback_and(std::move(allowed_hosts));
  if (!redis_url.empty()) {
    auto parsed = parse_redis_url(redis_url);
    if (!parsed) {
      std::fprintf(stderr, "oee-server: %s\n", parsed.error().c_str());
      return 2;
    }
    o.redis = *parsed;
  }
  return std::nullopt;
}

}  // namespace oee::api
