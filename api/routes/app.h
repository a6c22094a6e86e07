#pragma once
// What the HTTP and WebSocket handlers share: configuration and references
// to the engine's parts. Owned by main(); outlives the server.

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "api/auth/access.h"
#include "api/auth/key_ring.h"
#include "api/http/server_context.h"
#include "api/redis/redis_publisher.h"
#include "api/routes/default_pair.h"
#include "api/routes/recurring_count.h"
#include "api/stream/hub.h"
#include "core/domain/market.h"
#include "core/engine/engine_metrics.h"
#include "core/engine/executor.h"
#include "core/engine/market_changes.h"
#include "core/engine/order_store.h"
#include "core/engine/virtual_clock.h"

namespace boost::asio {
class thread_pool;
}
namespace oee::projections {
class HistoryStore;
class Projector;
}  // namespace oee::projections

namespace oee::api {

struct EngineInfo {
  eventlog::Durability durability = eventlog::Durability::sync;
  core::SimProfile sim = core::SimProfile::realistic;
  bool open_to_network = false;  // --auth off on an address other machines reach
};

/// A cluster node's partitions as GET /api/cluster shows them.
struct ClusterPartitionView {
  std::uint32_t partition = 0;
  std::string owner;  // the node executing it; empty while none holds it
  std::uint64_t last_seq = 0;
  std::uint64_t lag_events = 0;  // stored in the cluster, not yet read here
  bool folded_here = true;        // owned here (a node reads the others from their owners)
  std::uint64_t refused_appends = 0;  // this node's appends the partition refused (it had moved on)
};
struct ClusterView {
  std::string node;
  bool reachable = false;  // connected to a NATS server now
  std::vector<ClusterPartitionView> partitions;
  std::vector<std::uint32_t> executed_here;
  // What keeps this node from executing partitions it was given (a resume
  // that failed): /health is degraded while there is any.
  std::vector<std::string> problems;
  // Events of the partitions' logs that were illegal in their order's
  // state and skipped for it (written by an older build).
  std::uint64_t illegal_events = 0;
  // Writes this node sent to their partition's owner, its only writer.
  std::uint64_t forwarded_writes = 0;
  // Reads of its partitions this node answered, as owner, for other nodes.
  std::uint64_t answered_reads = 0;
  // Messages on the partitions' subjects this node refused: batches heard
  // live that were not their owner's, forwards it would not store as owner.
  std::uint64_t refused_live_batches = 0;
  std::uint64_t refused_forwards = 0;
  // With partitions: the market's lease holder (empty: none) and the
  // market changes this node applied.
  std::string market_holder;
  std::uint64_t market_changes = 0;
};

struct App {
  App(ServerContext& sc, EngineInfo i, eventlog::EventLogWriter& l, core::OrderStore& s, const core::Market& m,
      core::EngineMetrics& em, Hub& h, KeyRing& k, const Authenticator& a)
      : server(sc), info(std::move(i)), log(l), store(s), market(m), metrics(em), hub(h), keys(k), auth(a) {}

  ServerContext& server;  // limits and connection counters
  EngineInfo info;
  eventlog::EventLogWriter& log;
  core::OrderStore& store;
  const core::Market& market;
  core::EngineMetrics& metrics;
  Hub& hub;
  KeyRing& keys;              // every API key, from the log
  const Authenticator& auth;  // disabled without --admin-key
  // What a split must gain (--split-min-gain-bps): quotes show the split the executor would make.
  std::uint32_t split_min_gain_bps = 10;
  // Keys that may be made under one key the admin key made (0: no cap).
  std::size_t max_keys_per_key = 100;
  // --default-pair: what a market order naming neither token trades; unset, it is refused.
  std::optional<TokenPair> default_pair;
  // Set when PostgreSQL is configured (--database-url).
  projections::HistoryStore* history = nullptr;
  projections::Projector* projector = nullptr;
  boost::asio::thread_pool* blocking = nullptr;  // runs PostgreSQL calls off the network threads
  // Where an asOf page reads the log back, off the network threads (set by
  // every server role that serves the REST API).
  boost::asio::thread_pool* scans = nullptr;
  // A cluster node's: where the routes that read the log run, for such a
  // read may wait on another node's answer. Null where reads are this
  // process's own memory and disk (the embedded log).
  boost::asio::thread_pool* reads = nullptr;
  // Set when REDIS_URL is configured: how the publishing goes (a cluster
  // node's, over the partitions it publishes).
  std::function<PublisherStatus()> publishing;
  // Active recurring orders per key, against --max-recurring-per-key.
  RecurringCount* recurring_count = nullptr;
  // The core's executor: cancels go through it.
  core::Executor* executor = nullptr;
  // A cluster node: the executor of an order's partition while this node
  // executes it, else null, and then a cancel is appended here (the log
  // refuses it if the order moved on meanwhile).
  std::function<std::shared_ptr<core::Executor>(const OrderId&)> executor_of;
  // A cluster node: where its partitions stand. `with_partitions` false:
  // only what this node knows without asking the cluster (for /health).
  std::function<ClusterView(bool with_partitions)> cluster;
  // Set with --sim-control: how tests and demos steer the market (kept on
  // this machine's disk, or in the cluster for every node).
  core::MarketChanges* sim_changes = nullptr;
  // With --sim-clock virtual: the clock POST /api/sim/clock moves.
  core::VirtualClock* sim_clock = nullptr;
  boost::asio::thread_pool* sim_clock_runner = nullptr;  // where an advance waits, off the network threads
  // The id of a new order without an idempotency key: random, or from the
  // seed's sequence with --sim-seed (the same run gives the same ids).
  std::function<OrderId()> new_order_id = [] { return OrderId::random(); };
  // Failed orders an operator action (retry, dismissal) is being recorded
  // for: one writer per order.
  std::mutex operator_mu;
  std::unordered_set<OrderId, OrderIdHash> operator_busy;
};

}  // namespace oee::api
