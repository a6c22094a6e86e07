// Cluster nodes (eventlog/jetstream/cluster.h) against a real 3-server NATS
// JetStream cluster: partitions spread over the nodes and move when one
// leaves, a node name runs once, the partition count is the cluster's, and
// the simulated chain kept in the cluster lands a transaction once
// whichever node sends it.

#include <gtest/gtest.h>

#include <map>
#include <mutex>

#include "core/domain/market.h"
#include "core/engine/sim_chain.h"
#include "core/wire/event_codec.h"
#include "eventlog/jetstream/cluster.h"
#include "eventlog/jetstream/cluster_store.h"
#include "eventlog/jetstream/layout.h"
#include "eventually.h"
#include "nats_cluster.h"

namespace oee::eventlog::jetstream {
namespace {

using namespace std::chrono_literals;
using testing::eventually_true;
using testing::NatsCluster;

ClusterOptions options(const NatsCluster& nats, const std::string& node, std::uint32_t partitions = 4) {
  ClusterOptions o;
  o.connect.urls = parse_urls(nats.urls());
  o.node = node;
  o.partitions = partitions;
  o.lease_ttl = 1500ms;
  o.fold = core::fold_for_log;
  return o;
}

/// What the engine would do: keep the owner writers it is handed.
struct Engine {
  std::mutex mu;
  std::map<std::uint32_t, std::unique_ptr<EventLogWriter>> writers;
  OwnershipListener listener() {
    return {[this](std::uint32_t p, std::unique_ptr<EventLogWriter> w) {
              std::lock_guard lock(mu);
              writers[p] = std::move(w);
            },
            [this](std::uint32_t p) {
              std::lock_guard lock(mu);
              writers.erase(p);
            }};
  }
  std::size_t count() {
    std::lock_guard lock(mu);
    return writers.size();
  }
};

TEST(ClusterNode, PartitionsSpreadOverTheNodesAndMoveWhenOneLeaves) {
  NatsCluster nats;
  Engine engine_a, engine_b;
  auto a = Cluster::open(options(nats, "a"));
  a->start(engine_a.listener());
  ASSERT_TRUE(eventually_true([&] { return engine_a.count() == 4; }, 10s)) << "a alone executes every partition";

  auto b = Cluster::open(options(nats, "b"));
  b->start(engine_b.listener());
  ASSERT_TRUE(eventually_true([&] { return engine_a.count() == 2 && engine_b.count() == 2; }, 20s))
      << "a: " << engine_a.count() << ", b: " << engine_b.count();
  // Never both at once: the two sets are apart.
  for (const auto p : a->owned()) {
    const auto theirs = b->owned();
    EXPECT_EQ(std::count(theirs.begin(), theirs.end(), p), 0) << "partition " << p << " executed twice";
  }
  auto view = b->view();
  ASSERT_EQ(view.size(), 4u);
  for (const auto& v : view) {
    EXPECT_TRUE(v.owner == "a" || v.owner == "b") << v.owner;
    EXPECT_GE(v.last_seq, Seq{1}) << "each owner's PartitionTaken is in its stream";
  }

  a->stop();
  EXPECT_EQ(engine_a.count(), 0u);
  ASSERT_TRUE(eventually_true([&] { return engine_b.count() == 4; }, 10s)) << "b takes over a's partitions";
}

TEST(ClusterNode, ANodeNameRunsOnce) {
  NatsCluster nats;
  Engine engine;
  auto a = Cluster::open(options(nats, "a"));
  a->start(engine.listener());
  ASSERT_TRUE(eventually_true([&] { return engine.count() == 4; }, 10s));
  try {
    (void)Cluster::open(options(nats, "a"));
    FAIL() << "a second node named a started";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("--node"), std::string::npos) << e.what();
  }
}

TEST(ClusterNode, AnotherPartitionCountIsRefused) {
  NatsCluster nats;
  auto a = Cluster::open(options(nats, "a", 4));
  try {
    (void)Cluster::open(options(nats, "b", 8));
    FAIL() << "a node with another partition count started";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("--partitions 4"), std::string::npos) << e.what();
  }
}

TEST(ClusterStore, ATransactionLandsOnceWhicheverNodeSendsIt) {
  NatsCluster nats;
  auto a = Cluster::open(options(nats, "a"));
  auto b = Cluster::open(options(nats, "b"));
  auto ledger_a = open_cluster_store(a->bucket(kChainBucket));
  auto ledger_b = open_cluster_store(b->bucket(kChainBucket));
  core::Market market;
  core::SimChain chain_a(market, 0.0, *ledger_a);
  core::SimChain chain_b(market, 0.0, *ledger_b);
  const auto order = OrderId::random();
  core::TxRequest tx;
  tx.tx_id = core::SimChain::tx_id(order, 1);
  tx.venue = core::Venue::raydium;
  tx.input = core::token_id("SOL");
  tx.output = core::token_id("USDC");
  tx.amount_in = core::Amount{1'000'000'000};
  tx.min_out = core::Amount{1};
  const auto now = std::chrono::system_clock::now();
  const auto first = chain_a.submit(tx, now);
  ASSERT_EQ(first.outcome, core::TxOutcome::landed) << first.error;
  // b sends it again later, at another price: the chain answers with the
  // landing it has, as a real chain refuses a signature twice.
  const auto again = chain_b.submit(tx, now + std::chrono::minutes(30));
  ASSERT_EQ(again.outcome, core::TxOutcome::landed) << again.error;
  EXPECT_EQ(again.amount_out, first.amount_out);
  const auto found = chain_b.find(tx.tx_id);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->amount_out, first.amount_out);
  EXPECT_FALSE(chain_b.find(core::SimChain::tx_id(order, 2)));
}

}  // namespace
}  // namespace oee::eventlog::jetstream
