// oee-server --nats: a node of a cluster (docs/SCALING.md). The log is the
// cluster's: each partition is folded here while this node executes it and
// read from its owner otherwise (every partition, with
// --fold-all-partitions), so any node serves any order; this node executes
// the partitions it holds a lease on, one executor each
// (partition_executors.h), started when the cluster hands it a partition
// and stopped when it takes it back.
//
// Threads, beside those of the embedded core (server_main.cpp): per
// partition, a follower, an appender, a forwarder and a checkpointer
// (eventlog/jetstream); two that take partitions over and give them up (the
// executors start on the first and stop on the second); the executors
// share the one oee-executor thread; with Redis, a publisher per partition
// executed here; one that applies the market's changes (oee-journal) and
// the market lease's keeper, whose holder runs oee-sim-launch; a pool of
// four for the reads of the log that may wait on another node.

#include "api/server/cluster_node.h"
#include "api/server/chain_writing.h"
#include "api/server/key_guards.h"
#include "api/server/partition_executors.h"

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
#include "core/engine/shared_market.h"
#include "core/engine/sim_launches.h"
#include "core/wire/event_codec.h"
#include "eventlog/jetstream/cluster.h"
#include "eventlog/jetstream/cluster_log.h"
#include "eventlog/jetstream/chain_ledger.h"
#include "eventlog/jetstream/journal_stream.h"
#include "eventlog/jetstream/layout.h"
#include "eventlog/jetstream/leases.h"
#include "eventlog/partition_id_format.h"

namespace oee::api {

namespace asio = boost::asio;
namespace js = eventlog::jetstream;

namespace {

constexpr std::chrono::seconds kMarketCatchUp{30};
// Threads that wait on other nodes' answers to reads: most of a read is
// waiting, so a few serve many clients.
constexpr std::size_t kReadThreads = 4;

/// The lose-acks fault probe (ServerOptions::FaultProbes): none, nothing dropped.
std::function<bool(const eventlog::AppendCommand&)> lose_acks_probe(const ServerOptions::FaultProbes& faults) {
  if (faults.lose_acks == 0) return {};
  auto left = std::make_shared<std::atomic<long>>(faults.lose_acks);
  return [type = faults.lose_ack_type, left](const eventlog::AppendCommand& c) {
    return c.type == type && left->fetch_sub(1) > 0;
  };
}

/// How long a node waits for the chain's writer to answer a transaction:
/// its slot, then its block's store. Short: the executor's thread waits,
/// and one not answered in time is sent again (answered then from the
/// writer's cache if it was stored).
std::chrono::milliseconds chain_wait(const ServerOptions& o) {
  return chain_slot(o.sim == core::SimProfile::fast) + std::chrono::seconds(2);
}

/// What a node keeps in the NATS cluster: its partitions, the chain's
/// ledger, the market's journal and the leases.
struct ClusterParts {
  std::unique_ptr<js::Cluster> cluster;
  std::unique_ptr<eventlog::KeyValueStore> ledger;
  std::unique_ptr<eventlog::SharedJournal> market_journal;
  std::optional<js::KvBucket> leases;
};

/// Opens them (none on failure, said on stderr). Other nodes' forwards
/// are judged by `keys`, which must outlive the cluster.
std::optional<ClusterParts> open_cluster_parts(const ServerOptions& o, KeyRing& keys) {
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
    ClusterParts parts;
    parts.cluster = js::Cluster::open(std::move(co));
    parts.ledger = js::open_chain_ledger(parts.cluster->connection(), chain_wait(o));
    parts.market_journal = js::open_journal_stream(
        parts.cluster->connection(), js::JournalSpec{js::kMarketStream, js::kMarketSubject, o.append_timeout});
    parts.leases.emplace(parts.cluster->bucket(js::kLeaseBucket, o.lease_ttl));
    return parts;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "oee-server: %s\n", e.what());
    return std::nullopt;
  }
}

/// GET /api/cluster and /health's view of this node.
ClusterView cluster_view(const ServerOptions& o, js::Cluster& cluster, const PartitionExecutors& executors,
                         js::KvBucket& leases, const core::SharedMarket& shared_market, bool with_partitions) {
  ClusterView v;
  v.node = o.node;
  v.reachable = cluster.connection().connected();
  for (const PartitionId p : cluster.owned()) v.executed_here.push_back(p.value);
  for (const PartitionId p : each_partition(cluster.partitions())) {
    v.illegal_events += cluster.partition(p).stats().illegal_events.load(std::memory_order_relaxed);
    v.forwarded_writes += cluster.partition(p).forwarded_appends();
    v.answered_reads += cluster.partition(p).answered_reads();
    const auto refused = cluster.partition(p).refused_messages();
    v.refused_live_batches += refused.live_batches;
    v.refused_forwards += refused.forwards;
  }
  v.problems = executors.problems();
  if (with_partitions) {
    for (const auto& p : cluster.view())
      v.partitions.push_back(
          ClusterPartitionView{p.partition.value, p.owner, p.last_seq.value, p.lag_events, p.folded_here, p.refused_appends});
    if (auto holder = js::lease_holder(leases, js::kMarketLease); holder && *holder) v.market_holder = (*holder)->node;
    v.market_changes = shared_market.applied().value;
  }
  return v;
}

}  // namespace

int run_cluster_node(ServerOptions& o) {
  // Before the cluster, which judges other nodes' forwards by it.
  KeyRing keys;
  core::Market market;
  auto parts = open_cluster_parts(o, keys);
  if (!parts) return 2;
  auto& cluster = parts->cluster;
  auto& leases = parts->leases;
  auto log = js::open_cluster_log(*cluster);

  asio::io_context api_ioc;
  asio::io_context exec_ioc(1);
  auto exec_work = asio::make_work_guard(exec_ioc);
  core::SimChain chain(market, o.fail_rate, *parts->ledger);
  // Launches and prices set by hand are the cluster's: every node applies
  // them, whichever node made them.
  core::SharedMarket shared_market(market, *parts->market_journal, o.append_timeout);
  core::OrderStore store(*log);
  core::EngineMetrics metrics;
  Hub hub(api_ioc.get_executor());
  // Reads of partitions another node owns wait on its answer: the routes
  // and the WebSocket catch-ups that read the log run here, never on a
  // network thread.
  asio::thread_pool reads(kReadThreads);
  LogStreamSource source(hub, *log, &reads);
  ServerContext ctx(o.server, source);
  PartitionExecutors executors({o, *cluster, keys, ctx.limits, exec_ioc, market, chain, metrics});
  // A dead key's orders are cancelled by the node that executes them.
  DeadKeyWatch key_watch(api_ioc, keys,
                         [&](const core::KeyId& id, const std::string& why) { executors.cancel_orders_of(id, why); });
  keys.on_revoked([&key_watch](const core::KeyId& id) { key_watch.revoked(id); });
  const Authenticator auth = authenticator(o, keys, ctx);
  // The keys are events in the partitions, which every node hears: one
  // created or revoked on any node is folded here as it is acknowledged.
  const auto key_feed = open_keys(*log, keys, KeyLoading::follow_then_list);
  if (!key_feed) return 2;
  App app{ctx, EngineInfo{o.durability, o.sim, open_to_network(o)}, *log, store, market, metrics, hub, keys, auth};
  const auto recurring_count = configure_app(o, app, *log, keys, store);
  if (!recurring_count) return 2;
  app.executor_of = [&](const OrderId& id) {
    return executors.executor_of(log->partition_of(id));  // a slice's partition is its parent's
  };
  // A new order lands where it is submitted: its id's partition is one this
  // node executes, so its first event is not forwarded to another node.
  app.new_order_id = [&] { return executors.new_order_id(); };
  app.cluster = [&](bool with_partitions) {
    return cluster_view(o, *cluster, executors, *leases, shared_market, with_partitions);
  };
  if (o.sim_control) app.sim_changes = &shared_market;
  ctx.router = core_router(app);
  HttpServer server(api_ioc, ctx, o.threads);
  // Every node may project: each batch is committed under the partitions'
  // rows in PostgreSQL, so two projectors write each event once.
  const Consumers consumers = add_consumers(o, *log, app);
  if (o.redis) {
    // Each partition is published by its owner, from a cursor kept in the
    // cluster, so a takeover goes on where the last owner stopped.
    app.publishing = [&] { return executors.publishing(cluster->owned().size()); };
  }
  asio::thread_pool blocking(2);  // history queries: declared after the store they query, so it goes first
  if (consumers.history) app.blocking = &blocking;
  app.scans = &blocking;
  app.reads = &reads;
  hub.attach(*log);

  // The market comes in before any partition is executed, so a sniper
  // resumed here finds the pools it fired on.
  try {
    shared_market.start(
        [&] { executors.poke(); },
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
  cluster->start(executors.listener());
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
  // The chain's blocks are written by one node at a time: the chain lease's
  // holder; every node sends its transactions there.
  js::ChainWriterOptions chain_writer;
  chain_writer.slot = chain_slot(o.sim == core::SimProfile::fast);
  chain_writer.max_validity = o.tx_validity + js::kChainGrace;
  ChainWriting chain_writing(cluster->connection(), cluster->bucket(js::kLeaseBucket, o.lease_ttl), o.node,
                             o.lease_ttl, chain_writer);
  chain_writing.start();
  key_watch.start();
  std::thread exec_thread = start_executor_thread(exec_ioc, o.priority_boost);
  spdlog::info("oee-server cluster node {} listening on {}://{}:{} ({} partitions, lease {} ms, sim {}, fail-rate {})",
               o.node, scheme(o), o.server.bind, server.port(), o.partitions, o.lease_ttl.count(),
               core::sim_profile_name(o.sim), o.fail_rate);
  say_listening(o, server);
  serve_until_signal(api_ioc, server, o.server, o.threads, [&] {
    spdlog::info("giving the partitions back to the cluster");
    key_watch.stop();
    market_lease.stop(true);
    launches.stop();
    cluster->stop();  // each partition's executor stops as its lease goes
    chain_writing.stop();  // once no executor here sends
    shared_market.stop();
    if (consumers.projector) consumers.projector->stop();
  });
  exec_work.reset();
  exec_ioc.stop();
  exec_thread.join();
  blocking.join();
  reads.join();
  end_cut_connections(api_ioc, ctx);
  spdlog::info("stopped cleanly");
  return 0;
}

}  // namespace oee::api
