// oee-server: the core process (owns the event log, its only writer; serves
// the REST API and WebSocket streams; runs the executor and, with REDIS_URL,
// the publisher) or, with --role gateway, a WebSocket edge fed by Redis.
//
// The composition root: every thread but RocksDB's and the log writer is
// started and joined here. Which thread runs and owns what, and how they
// talk: docs/architecture.md, "Threads".
//   oee-http (--threads)  the API io_context (the hub's strand, catch-up, a share of the
//                         connections) and the HTTP server's own loops (the other connections)
//   oee-log-writer        group commits; commit listeners copy and post
//   oee-executor          executor io_context: the running orders, stepped in batches; the limit
//                         order book, its watcher, and every trigger, cancel and expiry
//   oee-projector         log -> PostgreSQL          (with --database-url)
//   oee-publisher         log -> Redis PUBLISH       (with --redis-url)
//   oee-redis-feed        Redis SUBSCRIBE -> hub     (gateway)
//   blocking pool (2)     PostgreSQL history queries
//   main                  wiring, signals, the stop in order, joins

#include <malloc.h>
#include <sys/stat.h>
#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>

#include <CLI/CLI.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/thread_pool.hpp>
#include <spdlog/spdlog.h>

#include "api/auth/key_log.h"
#include "api/gateway/gateway.h"
#include "api/gateway/key_sync.h"
#include "api/server/server_options.h"
#include "api/server/serving.h"
#include "api/server/key_guards.h"
#include "api/server/cluster_node.h"
#include "api/server/simulation.h"
#include "core/domain/mix.h"
#include "api/http/http_server.h"
#include "api/redis/redis_publisher.h"
#include "api/routes/app.h"
#include "api/routes/handlers.h"
#include "api/stream/hub.h"
#include "core/engine/executor.h"
#include "core/engine/launch_journal.h"
#include "core/engine/sim_launches.h"
#include "core/engine/landed_journal.h"
#include "core/wire/event_codec.h"
#include "core/engine/log_audit.h"
#include "projections/history.h"
#include "projections/projector.h"
#include "eventlog/rocksdb/rocksdb_log.h"
#include "eventlog/rocksdb/rocksdb_store.h"

namespace asio = boost::asio;
using namespace oee;
using api::Role;
using api::ServerOptions;

using api::authenticator;
using api::boost_this_thread;
using api::executor_options;
using api::open_to_network;
using api::scheme;
using api::serve_until_signal;

namespace {

int run_gateway(ServerOptions& o) {
  const auto& redis = o.redis;
  if (!redis) {
    std::fprintf(stderr, "oee-server: --role gateway needs --redis-url (or REDIS_URL): it is fed by Redis\n");
    return 2;
  }
  auto core_endpoint = api::parse_core_url(o.core_url);
  if (!core_endpoint) {
    std::fprintf(stderr, "oee-server: %s\n", core_endpoint.error().c_str());
    return 2;
  }
  asio::io_context ioc;
  api::Hub hub(ioc.get_executor());
  auto core = std::make_shared<const api::CoreClient>(*core_endpoint, o.admin_key, o.core_tls);
  api::CoreStreamSource source(hub, core, ioc.get_executor());
  api::ServerContext ctx(o.server, source);
  // The keys are the core's: listed from it, kept current by the feed.
  api::KeyRing keys;
  const api::Authenticator auth = authenticator(o, keys, ctx);
  api::KeySync key_sync(keys, core, ioc.get_executor());
  api::FeedHooks hooks;
  if (auth.enabled()) {
    hooks.key_event = [&key_sync](const core::KeyMessage& m) { key_sync.apply(m); };
    hooks.keys_missed = [&key_sync] { key_sync.refresh(); };
  }
  api::RedisFeed feed(hub, *redis, std::move(hooks));
  api::Gateway gateway{ctx, *core, feed, hub, auth};
  ctx.router = api::gateway_router(gateway);
  api::HttpServer server(ioc, ctx, o.threads);
  try {
    server.start();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "oee-server: %s\n", e.what());
    return 2;
  }
  feed.start();
  source.learn_log_shape();
  spdlog::info("oee-server gateway listening on {}://{}:{} (redis {}, core {})", scheme(o), o.server.bind,
               server.port(), api::redacted(*redis), core->endpoint().url());
  serve_until_signal(ioc, server, o.server, o.threads, [&] { feed.stop(); });
  api::end_cut_connections(ioc, ctx);
  spdlog::info("gateway stopped");
  return 0;
}

// What the core stands on, opened and checked before anything starts.
struct Storage {
  std::unique_ptr<eventlog::LogPartitionWriter> log;
  std::unique_ptr<eventlog::KeyValueStore> ledger;
  std::size_t imported = 0;   // landed txs taken over from simchain/landed.txt
  std::vector<core::OrderSnapshot> resumable;  // the orders the executor resumes
};

// Refuses to start on anything it cannot read, with what to do about it.
std::optional<Storage> open_storage(const ServerOptions& o) {
  Storage s;
  try {
    const std::filesystem::path root(o.data_dir);
    std::filesystem::create_directories(root);
    // Orders, idempotency keys and key hashes are nobody else's: a
    // directory an older version made readable to all is closed too.
    std::error_code private_ec;
    std::filesystem::permissions(root, std::filesystem::perms::owner_all, std::filesystem::perm_options::replace,
                                 private_ec);
    if (private_ec) {
      spdlog::warn("cannot make the data directory {} private (mode 0700): {}", root.string(), private_ec.message());
    }
    s.log = eventlog::open_primary(
        eventlog::Options{.path = eventlog::log_directory(o.data_dir),
                          .durability = o.durability,
                          .memtable_bytes = (o.log_memory_mib << 20) / 5 * 4,
                          .block_cache_bytes = (o.log_memory_mib << 20) / 5,
                          .on_writer_start = [boost = o.priority_boost] { boost_this_thread("log writer", boost); },
                          .fold = core::fold_for_log});
    s.resumable = core::check_resumable(*s.log, std::max(1U, std::thread::hardware_concurrency()));
    s.ledger = eventlog::open_rocksdb_store(eventlog::StoreOptions{.path = (root / "simchain" / "ledger").string()});
    s.imported = core::import_landed_journal(root / "simchain" / "landed.txt", *s.ledger);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "oee-server: %s\n", e.what());
    return std::nullopt;
  }
  return s;
}

int run_core(ServerOptions& o) {
  const auto& redis = o.redis;
  auto storage = open_storage(o);
  if (!storage) return 2;
  auto& log = storage->log;
  // Before anything reads the time or draws a number: the timers and the
  // market take the clock they are made with.
  api::Simulation sim;
  try {
    sim = api::start_simulation(o, *log);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "oee-server: %s\n", e.what());
    return 2;
  }
  if (!api::record_simulation(o, sim, *log)) return 2;

  asio::io_context api_ioc;
  asio::io_context exec_ioc(1);
  auto exec_work = asio::make_work_guard(exec_ioc);

  core::Market market(sim.seed.value_or(core::Market::kDefaultSeed));
  std::optional<core::LaunchJournal> launch_journal;
  try {
    launch_journal.emplace(std::filesystem::path(o.data_dir) / "simchain" / "launches.txt", market);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "oee-server: %s\n", e.what());
    return 2;
  }
  core::SimChain chain(market, o.fail_rate, *storage->ledger,
                       sim.seed ? core::mix(*sim.seed) : core::SimChain::kDefaultSeed);
  core::OrderStore store(*log);
  core::EngineMetrics metrics;
  api::Hub hub(api_ioc.get_executor());
  core::ExecutorOptions run_options = executor_options(o);
  run_options.seed = sim.seed;
  // The keys and the limits come after the executor: its slices ask them
  // through this, set below.
  auto gate = std::make_shared<core::SliceGate>();
  run_options.slice_gate = [gate](const core::OrderState& parent) {
    return *gate ? (*gate)(parent) : core::SliceClearance{};
  };
  api::KeyRing keys;
  run_options.key_check = api::key_check(keys);
  core::Executor executor(exec_ioc, store, market, chain, run_options, metrics);
  api::DeadKeyWatch key_watch(api_ioc, keys, [&executor](const core::KeyId& id, const std::string& why) {
    executor.cancel_orders_of(id, why);
  });
  keys.on_revoked([&key_watch](const core::KeyId& id) { key_watch.revoked(id); });

  api::LogStreamSource source(hub, *log);
  api::ServerContext ctx(o.server, source);
  *gate = api::slice_gate(keys, ctx.limits);
  const api::Authenticator auth = authenticator(o, keys, ctx);
  const auto key_feed = api::open_keys(*log, keys, api::KeyLoading::list_then_follow);
  if (!key_feed) return 2;
  api::App app{ctx, api::EngineInfo{o.durability, o.sim, open_to_network(o)}, *log, store, market, metrics, hub, keys, auth};
  const auto recurring_count = api::configure_app(o, app, *log, keys, store);
  if (!recurring_count) return 2;
  app.executor = &executor;
  if (o.sim_control) app.sim_changes = &*launch_journal;
  app.sim_clock = sim.clock.get();
  if (sim.seed_given) app.new_order_id = api::seeded_order_ids(*sim.seed, log->head());
  ctx.router = api::core_router(app);
  api::HttpServer server(api_ioc, ctx, o.threads);

  api::Consumers consumers = api::add_consumers(o, *log, app);
  api::add_publisher(o, *log, app, consumers);
  asio::thread_pool blocking(2);  // history queries: declared after the store they query, so it goes first
  if (consumers.history) app.blocking = &blocking;
  app.scans = &blocking;
  // An advance of the virtual clock waits on the engine: a thread of its own,
  // not the history queries'.
  std::optional<asio::thread_pool> clock_runner;
  if (sim.clock) app.sim_clock_runner = &clock_runner.emplace(1);
  const auto& projector = consumers.projector;
  const auto& publisher = consumers.publisher;

  hub.attach(*log);
  const std::size_t resumed = storage->resumable.size();
  try {
    executor.start(std::move(storage->resumable));
    if (projector) projector->start();
    if (publisher) publisher->start();
    server.start();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "oee-server: %s\n", e.what());
    return 2;
  }
  key_watch.start();
  core::SimLaunches launches(*launch_journal, o.launch_every, sim.seed);
  launches.start();
  std::thread exec_thread = api::start_executor_thread(exec_ioc, o.priority_boost);

  if (launch_journal->restored() > 0) {
    spdlog::info("the simulated market took back {} launches from simchain/launches.txt", launch_journal->restored());
  }
  if (storage->imported > 0) {
    spdlog::info("the simulated chain's ledger took over {} landed transactions from simchain/landed.txt",
                 storage->imported);
  }
  spdlog::info(
      "oee-server listening on {}://{}:{} (data {}, sim {}, durability {}, fail-rate {}, redis {}, head seq {}, "
      "resuming {} orders)",
      scheme(o), o.server.bind, server.port(), o.data_dir, core::sim_profile_name(o.sim), eventlog::durability_name(o.durability),
      o.fail_rate, redis ? api::redacted(*redis) : "off", log->head().value, resumed);
  if (sim.seed) {
    spdlog::info("simulation: seed {} ({}), clock {}{}", *sim.seed, sim.seed_given ? "given" : "drawn",
                 api::sim_clock_name(o.sim_clock),
                 sim.clock ? " at " + std::to_string(sim.clock->now().value / 1'000'000) + " ms: POST /api/sim/clock moves it"
                           : "");
  }
  api::say_listening(o, server);
  serve_until_signal(api_ioc, server, o.server, o.threads, [&] {
    spdlog::info("finishing in-flight steps");
    key_watch.stop();
    launches.stop();
    const bool drained = executor.stop(std::chrono::seconds(10));
    if (!drained) spdlog::warn("some orders were still mid-step; they resume from the log on the next start");
    if (projector) projector->stop();
    if (publisher) publisher->stop();
    if (const auto ec = log->close()) {
      spdlog::error("the event log did not close cleanly ({}: {}); the next start replays its WAL",
                    ec.message(), log->write_error());
    }
  });
  exec_work.reset();
  exec_ioc.stop();
  exec_thread.join();
  if (clock_runner) clock_runner->join();
  blocking.join();
  api::end_cut_connections(api_ioc, ctx);
  spdlog::info("stopped cleanly at seq {}", log->head().value);
  return 0;
}

// Each connection is a descriptor: let --max-connections, not the default
// soft limit, decide how many clients fit, and say so at start when the
// hard limit cannot hold them (past it, the listener pauses accepting).
void raise_descriptor_limit(std::size_t max_connections) {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return;
  if (lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &lim) != 0) spdlog::warn("could not raise the open-file limit");
    getrlimit(RLIMIT_NOFILE, &lim);
  }
  // The log's table files, the data directory, Redis and PostgreSQL
  // connections and the threads' eventfds need descriptors too.
  constexpr rlim_t kOwnDescriptors = 256;
  if (lim.rlim_cur != RLIM_INFINITY && lim.rlim_cur < max_connections + kOwnDescriptors) {
    spdlog::warn("the open-file limit is {}, below --max-connections {} plus {} for the engine itself: clients past "
                 "it wait until descriptors free up (raise it with ulimit -n, or lower --max-connections)",
                 lim.rlim_cur, max_connections, kOwnDescriptors);
  }
}

}  // namespace

int main(int argc, char** argv) {
  // The log's memtables take memory in blocks of megabytes and free them
  // all at once at a flush, among the small blocks the cache keeps. By
  // default malloc serves such blocks from its heaps once it has seen one
  // freed, and what the cache keeps there pins the pages around it; with a
  // fixed threshold each block is a mapping of its own, handed back whole
  // when freed. docs/performance.md: memory against orders processed.
  mallopt(M_MMAP_THRESHOLD, 256 << 10);
  // Every file and directory the server makes is its user's alone (0600,
  // 0700): the log holds orders, idempotency keys and API keys' hashes.
  ::umask(S_IRWXG | S_IRWXO);
  ServerOptions o;
  if (auto exit_status = parse_server_options(argc, argv, o)) return *exit_status;
  spdlog::set_level(spdlog::level::from_str(o.log_level));
  raise_descriptor_limit(o.server.max_connections);
  if (o.role == Role::gateway) return run_gateway(o);
  return o.nats_urls.empty() ? run_core(o) : api::run_cluster_node(o);
}
