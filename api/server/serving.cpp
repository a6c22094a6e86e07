#include "api/server/serving.h"

#include "api/auth/key_log.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace oee::api {

// Orders move on only as fast as the log writer and the executor get a
// core. Under load, every thread of the machine competes for one, and an
// append then waits on the scheduler, not on the disk. With a boost these
// two run that many nice levels above the rest: accepted orders progress
// before new ones are taken in. Off by default, because it is taken from
// everything else on the machine too (a gateway beside the core answers
// far later). Raising a priority needs CAP_SYS_NICE; without it they run
// like every other thread, and we say so once.
void boost_this_thread(const char* name, int boost) {
  if (boost <= 0) return;
  errno = 0;
  const int current = ::getpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()));
  if (current == -1 && errno != 0) return;
  const int wanted = std::max(-20, current - boost);
  if (::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), wanted) != 0) {
    static std::atomic<bool> warned{false};
    if (!warned.exchange(true)) {
      spdlog::warn("cannot raise the {} thread's priority ({}): it needs CAP_SYS_NICE; running without the boost",
                   name, std::strerror(errno));
    }
    return;
  }
  spdlog::debug("{} thread at nice {}", name, wanted);
}

void end_cut_connections(boost::asio::io_context& ioc, const ServerContext& ctx) {
  if (ctx.connections.load() == 0) return;
  ioc.restart();
  while (ctx.connections.load() > 0 && ioc.poll() > 0) {
  }
}

std::thread start_executor_thread(boost::asio::io_context& ioc, int priority_boost) {
  return std::thread([&ioc, priority_boost] {
    boost_this_thread("executor", priority_boost);
    pthread_setname_np(pthread_self(), "oee-executor");  // once set up, like the log writer
    ioc.run();
  });
}

void announce(const ServerConfig& config, const HttpServer& server) {
  // A machine-readable line for scripts and tests that start us on port 0.
  std::printf("LISTENING %s:%u\n", config.bind.c_str(), static_cast<unsigned>(server.port()));
  std::fflush(stdout);
}

Consumers add_consumers(const ServerOptions& o, eventlog::EventLogReader& log, App& app) {
  Consumers c;
  if (!o.database_url.empty()) {
    c.projector = std::make_unique<projections::Projector>(log, projections::ProjectorOptions{o.database_url});
    c.history = std::make_unique<projections::HistoryStore>(o.database_url);
    app.projector = c.projector.get();
    app.history = c.history.get();
  }
  return c;
}

void add_publisher(const ServerOptions& o, eventlog::LogPartitionWriter& log, App& app, Consumers& into) {
  if (!o.redis) return;
  into.publisher = std::make_unique<Publisher>(log, PublisherOptions{*o.redis});
  app.publishing = [p = into.publisher.get()] { return p->status(); };
}

bool open_to_network(const ServerOptions& o) { return o.auth_off && !is_loopback_address(o.server.bind); }

Authenticator authenticator(const ServerOptions& o, KeyRing& keys, ServerContext& ctx) {
  keys.on_revoked([&ctx](const core::KeyId& id) { ctx.close_sessions_of(id); });
  if (open_to_network(o)) {
    spdlog::warn("authentication is off on {}: anyone who reaches this port can submit and read orders", o.server.bind);
  }
  return o.admin_key.empty() ? Authenticator() : Authenticator(o.admin_key, keys, o.metrics_token);
}

const char* scheme(const ServerOptions& o) { return o.server.tls ? "https" : "http"; }

std::optional<eventlog::CommitSubscription> open_keys(eventlog::EventLogWriter& log, KeyRing& keys,
                                                     KeyLoading order) {
  std::optional<eventlog::CommitSubscription> feed;
  if (order == KeyLoading::follow_then_list) feed.emplace(follow_keys(log, keys));
  if (auto loaded = load_keys(log, keys); !loaded) {
    spdlog::error("cannot read the API keys from the log: {}", loaded.error().message());
    return std::nullopt;
  }
  keys.mark_complete();
  if (order == KeyLoading::list_then_follow) feed.emplace(follow_keys(log, keys));
  return feed;
}

std::unique_ptr<RecurringCount> configure_app(const ServerOptions& o, App& app, eventlog::EventLogWriter& log,
                                              const KeyRing& keys, core::OrderStore& store) {
  app.split_min_gain_bps = o.split_min_gain_bps;
  app.max_keys_per_key = o.max_keys_per_key;
  app.default_pair = o.default_pair;
  auto count = std::make_unique<RecurringCount>(log, o.max_recurring_per_key,
                                                [&keys](const core::KeyId& key) { return keys.tree_of(key); });
  if (auto counted = count->load(store); !counted) {
    spdlog::error("cannot count the active recurring orders: {}", counted.error().message());
    return nullptr;
  }
  app.recurring_count = count.get();
  return count;
}

void say_listening(const ServerOptions& o, const HttpServer& server) {
  if (o.default_pair) {
    spdlog::info("a market order that names neither token trades {} (--default-pair)", pair_name(*o.default_pair));
  }
  spdlog::info("dashboard: open {}://{}:{}/ in a browser; API description: /openapi.json", scheme(o), o.server.bind,
               server.port());
}

core::ExecutorOptions executor_options(const ServerOptions& o) {
  core::ExecutorOptions options;
  options.profile = o.sim;
  options.concurrency = o.concurrency;
  options.retry_base = o.sim == core::SimProfile::fast ? std::chrono::milliseconds(5) : std::chrono::milliseconds(500);
  options.latency_scale = o.latency_scale;
  options.watch_interval = o.watch_interval;
  options.split_min_gain_bps = o.split_min_gain_bps;
  options.tx_validity = o.tx_validity;
  return options;
}

}  // namespace oee::api
