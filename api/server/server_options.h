#pragma once
// oee-server's options: the command line and the environment (every flag
// has an OEE_* variable, or REDIS_URL / DATABASE_URL), parsed and checked
// before anything starts.

#include <cstddef>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "api/http/server_context.h"
#include "api/redis/redis_url.h"
#include "api/routes/default_pair.h"
#include "core/engine/executor.h"
#include "eventlog/event_log.h"

namespace oee::api {

enum class Role { core, gateway };
enum class SimClockKind { wall, virtual_clock };
[[nodiscard]] std::string_view sim_clock_name(SimClockKind k);  // "wall", "virtual"

struct ServerOptions {
  std::string data_dir = "./data";
  Role role = Role::core;
  std::string core_url = "http://127.0.0.1:3000";
  std::string database_url;
  std::optional<RedisEndpoint> redis;  // --redis-url, parsed
  core::SimProfile sim = core::SimProfile::realistic;
  std::size_t concurrency = 10'000;
  eventlog::Durability durability = eventlog::Durability::sync;
  double fail_rate = -1;  // below 0 until parsed: the profile's default
  unsigned threads = 2;
  std::string log_level = "info";
  double latency_scale = 1.0;
  bool sim_control = false;  // POST /api/sim/prices and /api/sim/launches
  /// Seeds every random choice of the simulation (docs/audit.md); unset: each run its own.
  std::optional<std::uint64_t> sim_seed;
  SimClockKind sim_clock = SimClockKind::wall;
  /// A market or fired limit order splits across the venues when that beats
  /// the best one by more than this many basis points, after the second
  /// transaction's fee.
  std::uint32_t split_min_gain_bps = 10;
  /// Active recurring orders one API key tree may have (0: no cap).
  std::size_t max_recurring_per_key = 100;
  /// Keys that may be made under one key the admin key made, at any depth (0: no cap).
  std::size_t max_keys_per_key = 100;
  /// How long a transaction can land after its attempt is decided
  /// (simulated time); below 0 until parsed: the profile's default.
  std::chrono::milliseconds tx_validity{-1};
  /// What a market order whose body names neither token trades; unset: such
  /// a body is refused (400 missing_field).
  std::optional<TokenPair> default_pair;
  std::chrono::milliseconds watch_interval{100};
  std::chrono::milliseconds launch_every{30'000};  // the simulated market's token launches; 0: none
  int priority_boost = 0;
  std::size_t log_memory_mib = 160;
  /// Turns authentication on (docs/security.md); empty: off.
  std::string admin_key;
  /// A bearer token that may read /metrics and nothing else (a scraper's).
  std::string metrics_token;
  /// Authentication off on purpose, even on a non-loopback address.
  bool auth_off = false;
  /// A gateway's trust in an https:// core (--ca-file, or the system's CAs).
  TlsContext core_tls;
  ServerConfig server;  // .tls: --tls-cert and --tls-key, loaded
  /// Cluster mode (docs/SCALING.md): the NATS servers, parsed; empty: the
  /// embedded log.
  std::vector<std::string> nats_urls;
  std::string nats_creds;
  std::string nats_ca;  // PEM CA certificates for tls:// URLs; empty: the system's
  std::string node;  // this node's name in the cluster; default: the host name
  std::uint32_t partitions = 8;
  std::chrono::milliseconds lease_ttl{5000};
  std::chrono::milliseconds append_timeout{10000};
  /// Every partition folded here, not only those this node executes (what
  /// nodes did before; for comparing the two).
  bool fold_all_partitions = false;
  /// Faults a test injects into a cluster node (docs/testing.md); none
  /// unless a test sets them.
  struct FaultProbes {
    /// This node drops the acknowledgment of its first `lose_acks` appends
    /// of events of stored type `lose_ack_type`, as if each were lost on
    /// its way back.
    std::uint8_t lose_ack_type = 0;
    std::uint32_t lose_acks = 0;
    /// This node's first `fail_resumes` partition resumes fail, as an
    /// unreachable cluster makes them fail.
    std::uint32_t fail_resumes = 0;
  };
  FaultProbes faults;
};

/// Parses argv and the environment into `options`. Returns the exit status
/// when the process should end now (0 after --help; non-zero after saying
/// what is wrong on stderr), nullopt to go on.
[[nodiscard]] std::optional<int> parse_server_options(int argc, char** argv, ServerOptions& options);

/// 127.0.0.0/8, ::1 or localhost: only this machine can connect.
[[nodiscard]] bool is_loopback_address(std::string_view bind);

}  // namespace oee::api
