// oee-server --nats: a node of a cluster (docs/SCALING.md). The log is the
// cluster's: each partition is folded here while this node executes it and
// read from its owner otherwise (every partition, with
// --fold-all-partitions), so any node serves any order; this node executes
// the partitions it holds a lease on, one executor each, started when the
// cluster hands it a partition and stopped when it takes it back.
//
// Threads, beside those of the embedded core (server_main.cpp): per
// partition, a follower, an appender, a forwarder and a checkpointer
// (eventlog/jetstream); two that take partitions over and give them up (the
// executors start on the first and stop on the second); the executors
// share the one oee-executor thread; with Redis, a publisher per partition
// executed here; one that applies the market's changes (oee-journal) and
// the market lease's keeper, whose holder runs oee-sim-launch.

#include "api/server/cluster_node.h"
#include "api/server/key_guards.h"

#include <atomic>
#include <functional>
#include <memory>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <spdlog/spdlog.h>

#include "api/auth/forwarded_write.h"
#include "api/auth/key_log.h"
#include "api/http/http_server.h"
#include "api/routes/app.h"
#include "api/routes/handlers.h"
#include "api/server/serving.h"
#include "api/stream/hub.h"
#include "api/stream/stream_source.h"
#include "core/engine/executor.h"
#include "core/engine/log_audit.h"
#include "core/engine/shared_market.h"
#include "core/engine/sim_launches.h"
#include "core/wire/event_codec.h"
#include "eventlog/jetstream/cluster.h"
#include "eventlog/jetstream/cluster_log.h"
#include "eventlog/jetstream/cluster_store.h"
#include "eventlog/jetstream/journal_stream.h"
#include "eventlog/jetstream/layout.h"
#include "eventlog/jetstream/leases.h"

namespace oee::api {

namespace asio = boost::asio;
namespace js = eventlog::jetstream;

namespace {

constexpr std::chrono::seconds kExecutorStop{5};
constexpr std::chrono::seconds kMarketCatchUp{30};
// A takeover reads each unfinished order of the partition from the
// cluster, a network round trip each: many at once.
constexpr unsigned kResumeReaders = 16;
constexpr std::size_t kResumeOrdersPerReader = 4;

/// One partition this node executes, and publishes to Redis.
struct Executing {
  std::unique_ptr<eventlog::EventLogWriter> writer;  // the owner's: fenced once another node takes over
  std::unique_ptr<core::OrderStore> store;
  std::unique_ptr<core::Executor> executor;
  std::unique_ptr<Publisher> publisher;  // with --redis-url
};

/// How long a node waits before it takes again a partition whose orders
/// it failed to resume `failures` times in a row: a lease, doubling up to
/// eight, so that a cause that lasts costs little and a passing one little
/// time.
std::chrono::milliseconds resume_backoff(std::chrono::milliseconds lease_ttl, unsigned failures) {
  return lease_ttl * (1U << std::min(failures - 1, 3U));
}

/// The lose-acks fault probe (ServerOptions::FaultProbes): none, nothing dropped.
std::function<bool(const eventlog::AppendCommand&)> lose_acks_probe(const ServerOptions::FaultProbes& faults) {
  if (faults.lose_acks == 0) return {};
  auto left = std::make_shared<std::atomic<long>>(faults.lose_acks);
  return [type = faults.lose_ack_type, left](const eventlog::AppendCommand& c) {
    return c.type == type && left->fetch_sub(1) > 0;
  };
}

/// How publishing goes over the partitions this node publishes.
PublisherStatus combined(const std::vector<PublisherStatus>& each) {
  PublisherStatus out;
  out.connected = true;
  for (const auto& s : each) {
    out.connected = out.connected && s.connected;
    out.lag_events += s.lag_events;
    out.messages += s.messages;
    out.reconnects += s.reconnects;
    if (out.last_error.empty()) out.last_error = s.last_error;
  }
  return out;
}

}  // namespace

int run_cluster_node(ServerOptions& o) {
  // Before the cluster, which judges other nodes' forwards by it.
  KeyRing keys;
  std::unique_ptr<js::Cluster> cluster;
  std::unique_ptr<eventlog::KeyValueStore> ledger;
  core::Market market;
  std::unique_ptr<eventlog::SharedJournal> market_journal;
  std::optional<js::KvBucket> leases;
  try {
    js::ClusterOptions co;
    co.connect.urls = o.nats_urls;
    co.connect.creds_file = o.nats_creds;
    co.connect.ca_file = o.nats_ca;
    co.node = o.node;
    co.partitions = o.partitions;
    co.lease_ttl = o.lease_ttl;
    co.append_timeout = o.append_timeout;
    co.fold = core::fold_for_log;
    co.lose_ack = lose_acks_probe(o.faults);
    co.heard_everywhere = core::heard_everywhere;
    co.check_forwarded = [&keys](const eventlog::Record& r, bool begins) { return check_forwarded_write(keys, r, begins); };
    cluster = js::Cluster::open(std::move(co));
    ledger = js::open_cluster_store(cluster->bucket(js::kChainBucket));
    market_journal = js::open_journal_stream(cluster->connection(),
                                             js::JournalSpec{js::kMarketStream, js::kMarketSubject, o.append_timeout});
    leases.emplace(cluster->bucket(js::kLeaseBucket, o.lease_ttl));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "oee-server: %s\n", e.what());
    return 2;
  }
  auto log = js::open_cluster_log(*cluster);

  asio::io_context api_ioc;
  asio::io_context exec_ioc(1);
  auto exec_work = asio::make_work_guard(exec_ioc);
  core::SimChain chain(market, o.fail_rate, *ledger);
  // Launches and prices set by hand are the cluster's: every node applies
  // them, whichever node made them.
  core::SharedMarket shared_market(market, *market_journal, o.append_timeout);
  core::OrderStore store(*log);
  core::EngineMetrics metrics;
  Hub hub(api_ioc.get_executor());
  LogStreamSource source(hub, *log);
  ServerContext ctx(o.server, source);
  // The keys are events in the partitions, which every node hears: one
  // created or revoked on any node is folded here as it is acknowledged.
  // Other nodes append meanwhile, so the feed starts before the listing
  // (a key event folded twice changes nothing).
  std::mutex executing_mu;
  // Shared with a cancel in progress: the partition may move meanwhile.
  std::map<std::uint32_t, std::shared_ptr<Executing>> executing;
  // A dead key's orders are cancelled by the node that executes them.
  DeadKeyWatch key_watch(api_ioc, keys, [&](const core::KeyId& id, const std::string& why) {
    std::lock_guard lock(executing_mu);
    for (const auto& [p, e] : executing) e->executor->cancel_orders_of(id, why);
  });
  keys.on_revoked([&key_watch](const core::KeyId& id) { key_watch.revoked(id); });
  const Authenticator auth = authenticator(o, keys, ctx);
  const auto key_feed = follow_keys(*log, keys);  // first of the log's listeners: see follow_keys
  if (auto loaded = load_keys(*log, keys); !loaded) {
    spdlog::error("cannot read the API keys from the cluster: {}", loaded.error().message());
    return 2;
  }
  keys.mark_complete();
  // Partitions given up while some of their orders were mid-step: kept
  // until those steps end, for they use the partition's store and writer.
  std::vector<std::shared_ptr<Executing>> retiring;  // under executing_mu
  // Partitions given up because their orders could not be resumed, and
  // why: /health is degraded while any is (under executing_mu); and how
  // often in a row each failed (only `gained` reads and writes it: one
  // thread of the cluster's, one call at a time).
  struct NotExecuted {
    std::string why;
    std::chrono::steady_clock::time_point until;  // by then it is executed again, here or elsewhere
  };
  std::map<std::uint32_t, NotExecuted> not_executed;
  std::map<std::uint32_t, unsigned> resume_failures;
  const auto reap_retired = [&] {  // under executing_mu
    std::erase_if(retiring, [](const std::shared_ptr<Executing>& e) { return e->executor->idle(); });
  };
  App app{ctx, EngineInfo{o.durability, o.sim, open_to_network(o)}, *log, store, market, metrics, hub, keys, auth};
  app.split_min_gain_bps = o.split_min_gain_bps;
  app.max_keys_per_key = o.max_keys_per_key;
  app.default_pair = o.default_pair;
  RecurringCount recurring_count(*log, o.max_recurring_per_key,
                                       [&keys](const core::KeyId& key) { return keys.tree_of(key); });
  if (auto counted = recurring_count.load(store); !counted) {
    spdlog::error("cannot count the active recurring orders: {}", counted.error().message());
    return 2;
  }
  app.recurring_count = &recurring_count;
  app.executor_of = [&](const OrderId& id) -> std::shared_ptr<core::Executor> {
    const auto partition = log->partition_of(id);  // a slice's is its parent's
    std::lock_guard lock(executing_mu);
    const auto it = executing.find(partition);
    if (it == executing.end()) return nullptr;
    return std::shared_ptr<core::Executor>(it->second, it->second->executor.get());
  };
  app.cluster = [&](bool with_partitions) {
    ClusterView v;
    v.node = o.node;
    v.reachable = cluster->connection().connected();
    v.executed_here = cluster->owned();
    for (std::uint32_t p = 0; p < cluster->partitions(); ++p) {
      v.illegal_events += cluster->partition(p).stats().illegal_events.load(std::memory_order_relaxed);
      v.forwarded_writes += cluster->partition(p).forwarded_appends();
      const auto refused = cluster->partition(p).refused_messages();
      v.refused_live_batches += refused.live_batches;
      v.refused_forwards += refused.forwards;
    }
    {
      std::lock_guard lock(executing_mu);
      const auto now = std::chrono::steady_clock::now();
      for (const auto& [p, failed] : not_executed) {
        if (now < failed.until) v.problems.push_back(failed.why);
      }
    }
    if (with_partitions) {
      for (const auto& p : cluster->view())
        v.partitions.push_back(
            ClusterPartitionView{p.partition, p.owner, p.last_seq.value, p.lag_events, p.folded_here, p.refused_appends});
      if (auto holder = js::lease_holder(*leases, js::kMarketLease); holder && *holder) v.market_holder = (*holder)->node;
      v.market_changes = shared_market.applied().value;
    }
    return v;
  };
  if (o.sim_control) app.sim_changes = &shared_market;
  ctx.router = core_router(app);
  HttpServer server(api_ioc, ctx, o.threads);
  // Every node may project: each batch is committed under the partitions'
  // rows in PostgreSQL, so two projectors write each event once.
  const Consumers consumers = add_consumers(o, *log, app, false);
  if (o.redis) {
    // Each partition is published by its owner, from a cursor kept in the
    // cluster, so a takeover goes on where the last owner stopped.
    app.publishing = [&] {
      const std::size_t held = cluster->owned().size();
      std::vector<PublisherStatus> each;
      std::lock_guard lock(executing_mu);
      for (const auto& [p, e] : executing) each.push_back(e->publisher->status());
      // A partition taken whose publisher has yet to start is not published.
      if (each.size() < held) each.emplace_back();
      return combined(each);
    };
  }
  asio::thread_pool blocking(2);  // history queries: declared after the store they query, so it goes first
  if (consumers.history) app.blocking = &blocking;
  app.scans = &blocking;
  hub.attach(*log);

  // The fail-resumes fault probe (ServerOptions::FaultProbes).
  std::atomic<long> resumes_to_fail{o.faults.fail_resumes};
  js::OwnershipListener ownership;
  ownership.gained = [&](std::uint32_t p, std::unique_ptr<eventlog::EventLogWriter> writer) {
    auto e = std::make_shared<Executing>();
    e->writer = std::move(writer);
    e->store = std::make_unique<core::OrderStore>(*e->writer);
    core::ExecutorOptions run_options = executor_options(o);
    run_options.slice_gate = api::slice_gate(keys, ctx.limits);
    run_options.key_check = api::key_check(keys);
    e->executor = std::make_unique<core::Executor>(exec_ioc, *e->store, market, chain, std::move(run_options), metrics);
    const auto* reader = e->writer.get();
    try {
      e->executor->start([reader, p, &resumes_to_fail] {
        if (resumes_to_fail.fetch_sub(1) > 0)
          throw std::runtime_error(fmt::format("a failure injected into partition {}'s resume", p));
        return core::check_resumable(*reader, kResumeReaders, kResumeOrdersPerReader, true);
      });
    } catch (const std::exception& ex) {
      // The executor is subscribed already and may have work posted: it
      // stops like one whose partition was lost, and its store and writer
      // stay until it is idle.
      const auto retire = [&] {
        const bool stopped = e->executor->stop(kExecutorStop);
        std::lock_guard lock(executing_mu);
        reap_retired();
        if (!stopped || !e->executor->idle()) retiring.push_back(std::move(e));
      };
      if (!cluster->partition(p).owned()) {
        // Taken over meanwhile (this node was paused, say): what the check
        // read came from two owners' states, and says nothing of the log.
        // The lost partition is given back as any other (`lost` follows).
        spdlog::warn("partition {}: another node took it over while this node resumed its orders; that node "
                     "resumes them",
                     p);
        retire();
        return;
      }
      // The partition goes back to the cluster, so that it is not held
      // without being executed. /health says why before the log does, so
      // whoever reads the log line finds the partition's problem there too.
      const auto pause = resume_backoff(o.lease_ttl, ++resume_failures[p]);
      const std::string why = fmt::format("partition {}: cannot resume its orders ({}); given up, taken again after {} ms "
                                          "at the earliest",
                                          p, ex.what(), pause.count());
      {
        std::lock_guard lock(executing_mu);
        not_executed[p] = NotExecuted{why, std::chrono::steady_clock::now() + pause + o.lease_ttl};
      }
      spdlog::error("{}", why);
      retire();
      cluster->give_up(p, pause);
      return;
    }
    resume_failures.erase(p);
    // Revoked or expired while another node executed the partition.
    for (const auto& [id, why] : dead_keys(keys, TimestampNs::now())) e->executor->cancel_orders_of(id, why);
    if (o.redis) {
      e->publisher = std::make_unique<Publisher>(cluster->partition(p), PublisherOptions{*o.redis});
      e->publisher->start();
    }
    std::lock_guard lock(executing_mu);
    reap_retired();
    not_executed.erase(p);
    executing[p] = std::move(e);
  };
  ownership.lost = [&](std::uint32_t p) {
    std::shared_ptr<Executing> e;
    {
      std::lock_guard lock(executing_mu);
      const auto it = executing.find(p);
      if (it == executing.end()) return;
      e = std::move(it->second);
      executing.erase(it);
    }
    const bool stopped = e->executor->stop(kExecutorStop);
    if (!stopped) spdlog::warn("partition {}: some orders were mid-step; whoever executes it next resumes them", p);
    if (e->publisher) e->publisher->stop();
    std::lock_guard lock(executing_mu);
    reap_retired();
    if (!stopped) retiring.push_back(std::move(e));
  };

  // The market comes in before any partition is executed, so a sniper
  // resumed here finds the pools it fired on.
  try {
    shared_market.start(
        [&] {
          std::lock_guard lock(executing_mu);
          for (const auto& [p, e] : executing) e->executor->poke();
        },
        kMarketCatchUp);
  } catch (const std::exception& e) {
    shared_market.stop();
    std::fprintf(stderr, "oee-server: %s\n", e.what());
    return 2;
  }
  try {
    server.start();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "oee-server: %s\n", e.what());
    return 2;
  }
  // Loaded and listening: from now on each partition is folded here only
  // while this node executes it, and read from its owner otherwise.
  if (!o.fold_all_partitions) cluster->stop_following();
  cluster->start(std::move(ownership));
  if (consumers.projector) consumers.projector->start();
  // New tokens launch from one node at a time: the market lease's holder.
  core::SimLaunches launches(shared_market, o.launch_every);
  js::LeaseOptions market_lease_options;
  market_lease_options.self = js::LeaseHolder{o.node, OrderId::random().str()};
  market_lease_options.ttl = o.lease_ttl;
  market_lease_options.keys = {js::kMarketLease};
  js::LeaseKeeper market_lease(*leases, std::move(market_lease_options), [&](const std::string&, bool held) {
    if (!held) return launches.stop();
    spdlog::info("this node ({}) launches the market's new tokens", o.node);
    launches.start();
  });
  market_lease.start();
  key_watch.start();
  std::thread exec_thread = start_executor_thread(exec_ioc, o.priority_boost);
  spdlog::info("oee-server cluster node {} listening on {}://{}:{} ({} partitions, lease {} ms, sim {}, fail-rate {})",
               o.node, scheme(o), o.server.bind, server.port(), o.partitions, o.lease_ttl.count(),
               core::sim_profile_name(o.sim), o.fail_rate);
  if (o.default_pair) {
    spdlog::info("a market order that names neither token trades {} (--default-pair)", pair_name(*o.default_pair));
  }
  serve_until_signal(api_ioc, server, o.server, o.threads, [&] {
    spdlog::info("giving the partitions back to the cluster");
    key_watch.stop();
    market_lease.stop(true);
    launches.stop();
    cluster->stop();  // each partition's executor stops as its lease goes
    shared_market.stop();
    if (consumers.projector) consumers.projector->stop();
  });
  exec_work.reset();
  exec_ioc.stop();
  exec_thread.join();
  blocking.join();
  end_cut_connections(api_ioc, ctx);
  spdlog::info("stopped cleanly");
  return 0;
}

}  // namespace oee::api
