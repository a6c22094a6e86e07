// oee-server's options by role (option_roles.h): what this process is and where its data lives.
#include "api/server/option_roles.h"

#include "api/gateway/core_client.h"
#include "api/tls/tls_context.h"

namespace oee::api::options {

namespace {

constexpr auto kHeading = "Storage and roles";

std::string_view role_name(Role r) { return r == Role::gateway ? "gateway" : "core"; }

class StorageOptions final : public OptionRole {
 public:
  void add(CLI::App& cli, ServerOptions& o) override {
    cli.option_defaults()->group(kHeading);
    cli.add_option("--data-dir", o.data_dir, "Data directory: the event log (log/) and the simulated chain (simchain/)")
        ->envname("OEE_DATA_DIR")->capture_default_str();
    add_choice(cli, "--role", o.role, {Role::core, Role::gateway}, role_name,
               "core (owns the log) or gateway (WebSocket edge fed by Redis, no log)")
        ->envname("OEE_ROLE");
    cli.add_option("--core-url", o.core_url, "Gateway role: the core's URL, http:// or https:// (see --ca-file), for past events and API keys")
        ->envname("OEE_CORE_URL")->capture_default_str();
    cli.add_option("--ca-file", ca_file_,
                   "Gateway role, with an https:// --core-url: the CA certificates (PEM) the core's certificate is "
                   "checked against (default: the system's)")
        ->envname("OEE_CA_FILE");
    cli.add_option("--redis-url", redis_url_,
                   "Redis for the live stream, redis://[[user]:password@]host[:port][/db]. Core: publishes every event "
                   "(a cluster node: those of the partitions it executes); gateway: subscribes (required). Unset core: "
                   "in-process fan-out only")
        ->envname("REDIS_URL");
    cli.add_option("--database-url", o.database_url,
                   "PostgreSQL for order history, e.g. postgresql://user@127.0.0.1:5432/oee (unset: no projection)")
        ->envname("DATABASE_URL");
    add_choice(cli, "--durability", o.durability, {eventlog::Durability::sync, eventlog::Durability::async},
               eventlog::durability_name,
               "sync: fsync before acknowledging; async: WAL without fsync")
        ->envname("OEE_DURABILITY");
    cli.add_option("--log-memory", o.log_memory_mib,
                   "MiB the event log's storage may hold in memory: 4/5 for writes not yet in table files "
                   "(appends wait when they are full), 1/5 for cached table blocks")
        ->envname("OEE_LOG_MEMORY")->check(CLI::Range(std::size_t{10}, std::size_t{1} << 20))->capture_default_str();
  }

  std::optional<std::string> finish(const CLI::App&, ServerOptions& o) override {
    if (o.role == Role::gateway) {
      auto endpoint = parse_core_url(o.core_url);
      if (endpoint && endpoint->tls) {
        auto context = client_tls_context(ca_file_);
        if (!context) return "--ca-file: " + context.error();
        o.core_tls = *context;
      }
    }
    if (!redis_url_.empty()) {
      auto parsed = parse_redis_url(redis_url_);
      if (!parsed) return parsed.error();
      o.redis = *parsed;
    }
    return std::nullopt;
  }

 private:
  std::string redis_url_;
  std::string ca_file_;
};

}  // namespace

std::unique_ptr<OptionRole> storage_options() { return std::make_unique<StorageOptions>(); }

}  // namespace oee::api::options
