// Cluster nodes (eventlog/jetstream/cluster.h) against a real 3-server NATS
// JetStream cluster: partitions spread over the nodes and move when one
// leaves, a node name runs once, the partition count is the cluster's, and
// the simulated chain kept in the cluster lands a transaction once
// whichever node sends it.

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <set>
#include <mutex>
#include <thread>

#include "core/domain/market.h"
#include "core/engine/sim_chain.h"
#include "core/wire/event_codec.h"
#include "eventlog/jetstream/cluster.h"
#include "eventlog/jetstream/cluster_log.h"
#include "eventlog/jetstream/chain_blocks.h"
#include "eventlog/jetstream/chain_ledger.h"
#include "eventlog/jetstream/chain_writer.h"
#include "eventlog/jetstream/layout.h"
#include "eventually.h"
#include "memory_store.h"
#include "nats_cluster.h"
#include "order_lifecycle.h"

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
  std::map<PartitionId, std::unique_ptr<LogPartitionWriter>> writers;
  OwnershipListener listener() {
    return {[this](PartitionId p, std::unique_ptr<LogPartitionWriter> w) {
              std::lock_guard lock(mu);
              writers[p] = std::move(w);
            },
            [this](PartitionId p) {
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

// Ownership changes do not queue behind each other: while the engine is
// still resuming one partition it gained (slowly: here, until the test
// lets it go), another partition this node releases is lost at once.
TEST(ClusterNode, ASlowGainDoesNotDelayTheLossOfAnotherPartition) {
  NatsCluster nats;
  std::mutex mu;
  std::condition_variable changed;
  std::vector<PartitionId> gained;
  std::set<PartitionId> lost;
  bool let_go = false;
  OwnershipListener listener{[&](PartitionId p, std::unique_ptr<LogPartitionWriter>) {
                               std::unique_lock lock(mu);
                               gained.push_back(p);
                               changed.notify_all();
                               // The second partition gained resumes until let go.
                               if (gained.size() == 2) changed.wait(lock, [&] { return let_go; });
                             },
                             [&](PartitionId p) {
                               std::lock_guard lock(mu);
                               lost.insert(p);
                               changed.notify_all();
                             }};
  auto a = Cluster::open(options(nats, "a", 2));
  a->start(listener);
  std::unique_lock lock(mu);
  ASSERT_TRUE(changed.wait_for(lock, 20s, [&] { return gained.size() == 2; })) << "a did not gain both partitions";
  const PartitionId quick = gained.front();
  lock.unlock();
  a->release(quick, 10s);
  lock.lock();
  EXPECT_TRUE(changed.wait_for(lock, 10s, [&] { return lost.contains(quick); }))
      << "the loss of partition " << quick << " waited for another partition's resume";
  let_go = true;
  changed.notify_all();
  lock.unlock();
  a->stop();
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

core::TxRequest one_sol_for_usdc(const OrderId& order) {
  core::TxRequest tx;
  tx.tx_id = core::SimChain::tx_id(order, 1);
  tx.venue = core::Venue::raydium;
  tx.input = core::token_id("SOL");
  tx.output = core::token_id("USDC");
  tx.amount_in = core::Amount{1'000'000'000};
  tx.min_out = core::Amount{1};
  return tx;
}

ChainWriterOptions writer_options(const std::string& name) {
  ChainWriterOptions o;
  o.writer = name;
  o.slot = 20ms;
  o.max_validity = 60s;
  return o;
}

std::unique_ptr<ChainWriter> start_writer(Cluster& node, const std::string& name, std::atomic<int>* fenced = nullptr) {
  auto started = ChainWriter::start(node.connection(), writer_options(name), [fenced] {
    if (fenced != nullptr) ++*fenced;
  });
  if (!started) throw std::runtime_error("the chain's writer did not start: " + started.error().message());
  return std::move(*started);
}

// Sends `tx` until the chain answers it: a writer just started may not be
// heard of yet on another server (no responders), and one fenced out
// answers "unknown".
core::TxResult submit_until_answered(core::SimChain& chain, const core::TxRequest& tx,
                                     std::chrono::system_clock::time_point now) {
  core::TxResult result;
  (void)eventually_true([&] {
    result = chain.submit(tx, now);
    return result.outcome != core::TxOutcome::unavailable;
  }, 20s);
  return result;
}

// Two nodes' simulated chains on one cluster's ledger, whose blocks a
// writer on node a stores (as the holder of lease `chain` would).
struct TwoNodesChains {
  NatsCluster nats;
  std::unique_ptr<Cluster> a = Cluster::open(options(nats, "a"));
  std::unique_ptr<Cluster> b = Cluster::open(options(nats, "b"));
  std::unique_ptr<ChainWriter> writer = start_writer(*a, "a");
  std::unique_ptr<eventlog::KeyValueStore> ledger_a = open_chain_ledger(a->connection(), 5s);
  std::unique_ptr<eventlog::KeyValueStore> ledger_b = open_chain_ledger(b->connection(), 5s);
  core::Market market;
  std::pair<core::SimChain, core::SimChain> chains{core::SimChain(market, 0.0, *ledger_a),
                                                   core::SimChain(market, 0.0, *ledger_b)};

  TwoNodesChains() {
    // Once both nodes' servers know of the writer, it answers them.
    if (!eventually_true([&] { return ledger_a->get("probe") && ledger_b->get("probe"); }, 10s))
      throw std::runtime_error("the chain's writer answers no node");
  }
};

TEST(ChainBlocks, ATransactionLandsOnceWhicheverNodeSendsIt) {
  TwoNodesChains nodes;
  auto& [chain_a, chain_b] = nodes.chains;
  const auto order = OrderId::random();
  const auto tx = one_sol_for_usdc(order);
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

// Two nodes send the same transactions at once (a partition that moved
// while its orders were mid-step), at different prices: each lands once,
// and both nodes are answered with that landing.
TEST(ChainBlocks, TransactionsSentByTwoNodesAtOnceLandOnceInAFewBlocksAndBothAgree) {
  TwoNodesChains nodes;
  auto& [chain_a, chain_b] = nodes.chains;
  auto& market = nodes.market;
  std::vector<core::TxRequest> txs;
  for (int i = 0; i < 100; ++i) txs.push_back(one_sol_for_usdc(OrderId::random()));
  const auto now = std::chrono::system_clock::now();
  std::vector<core::TxResult> from_a, from_b;
  std::thread ta([&] { from_a = chain_a.submit_all(txs, now); });
  std::thread tb([&] { from_b = chain_b.submit_all(txs, now + std::chrono::minutes(30)); });
  ta.join();
  tb.join();
  testing::MemoryStore fresh_then, fresh_later;
  ASSERT_NE(core::SimChain(market, 0.0, fresh_then).submit(txs[0], now).amount_out,
            core::SimChain(market, 0.0, fresh_later).submit(txs[0], now + std::chrono::minutes(30)).amount_out)
      << "one price at both times: the test cannot tell the two nodes' landings apart";
  for (std::size_t i = 0; i < txs.size(); ++i) {
    ASSERT_EQ(from_a[i].outcome, core::TxOutcome::landed) << from_a[i].error;
    ASSERT_EQ(from_b[i].outcome, core::TxOutcome::landed) << from_b[i].error;
    EXPECT_EQ(from_a[i].amount_out, from_b[i].amount_out) << "tx " << i << " landed twice";
    const auto found = chain_b.find(txs[i].tx_id);
    ASSERT_TRUE(found);
    EXPECT_EQ(found->amount_out, from_a[i].amount_out);
  }
  // A block per slot, not a message per signature.
  auto ledger = read_chain(nodes.a->connection());
  ASSERT_TRUE(ledger) << ledger.error().message();
  EXPECT_EQ(ledger->outcomes.size(), txs.size());
  EXPECT_TRUE(ledger->twice.empty());
  EXPECT_LE(ledger->blocks, 1 + 4u) << "the writer's fence, then a few slots' blocks";
}

// A writer that another one replaced (its lease ran out while it was
// paused, say) stores nothing more: the new writer's first block fences it
// out. What it was sent is answered "unknown" and sent again; each
// signature lands once, and the new writer knows what the old one stored.
TEST(ChainBlocks, ANewWriterFencesTheOldOneOutAndKnowsWhatItStored) {
  NatsCluster nats;
  auto a = Cluster::open(options(nats, "a"));
  auto b = Cluster::open(options(nats, "b"));
  std::atomic<int> a_fenced{0};
  auto old_writer = start_writer(*a, "a", &a_fenced);
  auto ledger = open_chain_ledger(b->connection(), 5s);
  core::Market market;
  core::SimChain chain(market, 0.0, *ledger);
  const auto before = one_sol_for_usdc(OrderId::random());
  const auto now = std::chrono::system_clock::now();
  const auto landed = submit_until_answered(chain, before, now);
  ASSERT_EQ(landed.outcome, core::TxOutcome::landed) << landed.error;

  auto new_writer = start_writer(*b, "b");  // both serve the chain's subject now
  std::vector<core::TxRequest> txs;
  for (int i = 0; i < 20; ++i) txs.push_back(one_sol_for_usdc(OrderId::random()));
  std::vector<core::TxResult> results(txs.size());
  for (std::size_t i = 0; i < txs.size(); ++i) {
    results[i] = submit_until_answered(chain, txs[i], now);
    EXPECT_EQ(results[i].outcome, core::TxOutcome::landed) << results[i].error;
  }
  EXPECT_TRUE(eventually_true([&] { return a_fenced.load() == 1; }, 10s))
      << "the old writer did not learn it was fenced out";
  // The landing stored by the old writer is the one the new writer answers.
  const auto again = submit_until_answered(chain, before, now + std::chrono::minutes(1));
  ASSERT_EQ(again.outcome, core::TxOutcome::landed) << again.error;
  EXPECT_EQ(again.amount_out, landed.amount_out);
  auto stored = read_chain(a->connection());
  ASSERT_TRUE(stored) << stored.error().message();
  EXPECT_TRUE(stored->twice.empty()) << stored->twice.size() << " signatures landed twice";
  EXPECT_EQ(stored->outcomes.size(), txs.size() + 1);
}

// A cluster whose chain kept its ledger as a key per signature (bucket
// oee-chain, before blocks) is refused, naming it: the blocks would not
// know the signatures it holds, and one sent again could land twice.
TEST(ChainBlocks, AClusterWithTheLedgerOfTheFormatBeforeBlocksIsRefused) {
  NatsCluster nats;
  auto a = Cluster::open(options(nats, "a"));
  auto old = KvBucket::open(a->connection(), BucketSpec{"oee-chain"}, 10s);
  ASSERT_TRUE(old) << old.error().message();
  ASSERT_TRUE(old->create("5Kd3sig", "1500000"));
  try {
    auto ledger = open_chain_ledger(a->connection(), 5s);
    ADD_FAILURE() << "a chain of the older format was opened";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("oee-chain"), std::string::npos) << e.what();
  }
}

// A signature sent again long after its validity ended is answered from
// the blocks of its validity, not from the status cache (which forgot it):
// one that landed is still landed, one never sent is expired and stored
// nowhere.
TEST(ChainBlocks, ASignatureSentAgainLongAfterItsValidityIsAnsweredFromTheBlocks) {
  NatsCluster nats;
  auto a = Cluster::open(options(nats, "a"));
  auto ledger = open_chain_ledger(a->connection(), 5s);
  core::Market market;
  core::SimChain chain(market, 0.0, *ledger);
  const auto now = std::chrono::system_clock::now();
  // Valid until 2 s ago: still judged, within the grace after its validity.
  auto tx = one_sol_for_usdc(OrderId::random());
  tx.last_valid_at = TimestampNs{std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     (now - 2s).time_since_epoch()).count()};
  std::optional<core::TxResult> landed;
  {
    auto writer = start_writer(*a, "a");
    landed = submit_until_answered(chain, tx, now - 3s);  // decided by a sender whose clock says it was still valid
    ASSERT_EQ(landed->outcome, core::TxOutcome::landed) << landed->error;
  }
  // Past the grace, a new writer's cache does not hold it.
  std::this_thread::sleep_until(now - 2s + kChainGrace + 500ms);
  auto writer = start_writer(*a, "a2");
  EXPECT_EQ(writer->cached(), 0u);
  const auto again = submit_until_answered(chain, tx, now + 1min);
  ASSERT_EQ(again.outcome, core::TxOutcome::landed) << again.error;
  EXPECT_EQ(again.amount_out, landed->amount_out);

  auto never_sent = tx;
  never_sent.tx_id = core::SimChain::tx_id(OrderId::random(), 1);
  const auto late = submit_until_answered(chain, never_sent, now + 1min);
  EXPECT_EQ(late.outcome, core::TxOutcome::expired) << late.error;
  auto stored = read_chain(a->connection());
  ASSERT_TRUE(stored) << stored.error().message();
  EXPECT_FALSE(stored->outcomes.contains(never_sent.tx_id)) << "a signature too late to judge was stored";
  EXPECT_EQ(stored->outcomes.size(), 1u);
}

TEST(ClusterLog, EachOrderLivesInItsPartitionAndReadsBackThroughOneLog) {
  NatsCluster nats;
  Engine engine;  // before the cluster, which calls it until it stops
  auto a = Cluster::open(options(nats, "a"));
  // The partitions' owner: the only node that appends to them.
  a->start(engine.listener());
  ASSERT_TRUE(eventually_true([&] { return engine.count() == 4; }, 10s));
  auto log = open_cluster_log(*a);
  const std::uint64_t taken = log->head().value;  // the PartitionTaken events, before anyone listened
  std::atomic<std::uint64_t> heard{0};
  const auto listening = log->on_commit([&](std::span<const Record> records) { heard += records.size(); });
  core::OrderStore store(*log);
  const auto driven = testing::drive_orders(store, 40, 5, 6);

  std::set<PartitionId> used;
  for (std::size_t i = 0; i < driven.ids.size(); ++i) {
    const auto& id = driven.ids[i];
    const auto p = a->partition_of(id);
    used.insert(p);
    const auto expected = core::encode_snapshot(driven.states[i]);
    auto through_log = log->snapshot(id);
    auto in_partition = a->partition(p).snapshot(id);
    ASSERT_TRUE(through_log && *through_log && in_partition && *in_partition);
    EXPECT_EQ((*through_log)->snapshot, expected);
    EXPECT_EQ((*in_partition)->snapshot, expected);
    auto elsewhere = a->partition(PartitionId{(p.value + 1) % a->partitions()}).read_order(id, Seq{0});
    ASSERT_TRUE(elsewhere);
    EXPECT_TRUE(elsewhere->empty()) << "order " << id.str() << " is in two partitions";
  }
  EXPECT_EQ(used.size(), 4u) << "40 orders all in fewer than 4 partitions";

  std::uint64_t total = 0;
  std::size_t active = 0;
  for (const PartitionId p : each_partition(a->partitions())) {
    total += a->partition(p).head().value;
    auto members = a->partition(p).members(OrderSet::active, 1000);
    ASSERT_TRUE(members);
    active += members->size();
  }
  EXPECT_EQ(log->head().value, total);
  EXPECT_TRUE(eventually_true([&] { return heard.load() == total - taken; }, 5s)) << heard.load() << " of " << total - taken;
  auto members = log->members(OrderSet::active, 1000);
  ASSERT_TRUE(members);
  EXPECT_EQ(members->size(), active);
  EXPECT_EQ(log->wait_beyond(Seq{total - 1}, 5s), Seq{total});
  // What reads in position order goes partition by partition: the
  // partitions' log is no log of one sequence of positions.
  EXPECT_EQ(dynamic_cast<const LogPartitionReader*>(log.get()), nullptr);
  std::uint64_t read = 0;
  for (const PartitionId p : each_partition(log->partition_count())) {
    auto records = log->partition(p).read(Seq{1}, total + 1);
    ASSERT_TRUE(records) << records.error().message();
    read += records->size();
  }
  EXPECT_EQ(read, total);
}

}  // namespace
}  // namespace oee::eventlog::jetstream
