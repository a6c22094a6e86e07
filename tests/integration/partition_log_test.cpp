// One partition of the cluster log (eventlog/jetstream/partition_log.h)
// against a real 3-server NATS JetStream cluster: orders driven through the
// real OrderStore read the same on every node; one order id lands once
// however many nodes are asked; the owner alone appends, other nodes' writes
// going into its pipeline, each judged on the state it was decided on; with
// no owner a write waits for one, and is refused with nothing stored when
// none comes; a takeover fences the old owner's writer.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <span>
#include <thread>

#include "core/engine/order_store.h"
#include "core/wire/event_codec.h"
#include "core/wire/key_codec.h"
#include "eventlog/jetstream/batch_codec.h"
#include "eventlog/jetstream/connection.h"
#include "eventlog/jetstream/layout.h"
#include "eventlog/jetstream/partition_log.h"
#include "eventlog/record_codec.h"
#include "eventually.h"
#include "log_futures.h"
#include "nats_cluster.h"
#include "order_lifecycle.h"

namespace oee::eventlog::jetstream {
namespace {

using namespace std::chrono_literals;
using testing::NatsCluster;

struct Node {
  std::unique_ptr<Connection> connection;
  std::shared_ptr<PartitionLog> log;
  std::atomic<int> fenced{0};
  std::atomic<bool> lease_fresh{true};  // what its lease keeper would say
};

using HeardEverywhere = std::function<bool(std::uint8_t, std::string_view, std::string_view)>;

std::unique_ptr<Node> open_node(const NatsCluster& cluster, const std::string& name,
                                std::uint64_t checkpoint_events = 100'000,
                                std::chrono::milliseconds append_timeout = 10s, bool follow_unowned = true,
                                HeardEverywhere heard_everywhere = {}) {
  auto node = std::make_unique<Node>();
  ConnectOptions c;
  c.urls = parse_urls(cluster.urls());
  c.name = name;
  node->connection = Connection::connect(c);
  PartitionLogOptions o;
  o.checkpoint_events = checkpoint_events;
  o.append_timeout = append_timeout;
  o.node = name;
  o.incarnation = std::string("1");  // assigned from a literal, GCC 12 warns falsely (-Wrestrict)
  o.fold = core::fold_for_log;
  o.on_fenced = [n = node.get()] { ++n->fenced; };
  o.follow_unowned = follow_unowned;
  o.lease_fresh = [n = node.get()] { return n->lease_fresh.load(); };
  o.heard_everywhere = std::move(heard_everywhere);
  node->log = open_partition(*node->connection, std::move(o));
  return node;
}

AppendCommand first_event(const OrderId& id, std::string fingerprint, std::uint64_t amount_in = 1'000'000'000) {
  core::OrderSubmitted submitted;
  submitted.input_token = core::token_id("SOL");
  submitted.output_token = core::token_id("USDC");
  submitted.amount_in = core::Amount{amount_in};
  submitted.slippage_bps = 50;
  auto prepared = core::OrderStore::prepare(id, core::OrderState{}, core::OrderEvent{submitted},
                                            IdempotencyClaim{"key-1", std::move(fingerprint)});
  return std::move(prepared.command);
}

void expect_same_orders(const testing::Driven& driven, PartitionLog& log) {
  for (std::size_t i = 0; i < driven.ids.size(); ++i) {
    auto snapshot = log.snapshot(driven.ids[i]);
    ASSERT_TRUE(snapshot) << snapshot.error().message();
    ASSERT_TRUE(*snapshot) << "order " << driven.ids[i].str() << " is missing";
    EXPECT_EQ((*snapshot)->snapshot, core::encode_snapshot(driven.states[i])) << "order " << i;
  }
}

// Every event of the order, in order, reads the same from both nodes;
// returns the last one's position.
Seq expect_same_events(const PartitionLog& a, const PartitionLog& b, const OrderId& id) {
  auto from_a = a.read_order(id, Seq{0});
  auto from_b = b.read_order(id, Seq{0});
  if (!from_a || !from_b || from_a->empty()) {
    ADD_FAILURE() << "order " << id.str() << " does not read from both nodes";
    return Seq{0};
  }
  EXPECT_EQ(from_a->size(), from_b->size()) << "order " << id.str();
  for (std::size_t k = 0; k < std::min(from_a->size(), from_b->size()); ++k) {
    EXPECT_EQ((*from_a)[k].seq, (*from_b)[k].seq);
    EXPECT_EQ((*from_a)[k].payload, (*from_b)[k].payload);
    if (k > 0) {
      EXPECT_LT((*from_a)[k - 1].seq, (*from_a)[k].seq);
    }
  }
  return from_a->back().seq;
}

std::vector<OrderId> open_orders(const PartitionLog& log) {
  auto members = log.members(OrderSet::active, 1000);
  if (!members) throw std::runtime_error("members: " + members.error().message());
  std::sort(members->begin(), members->end());
  return std::move(*members);
}

TEST(JetStreamPartitionLog, DrivenOrdersReadTheSameOnEveryNode) {
  NatsCluster cluster;
  auto a = open_node(cluster, "a");
  ASSERT_TRUE(a->log->take_over());
  core::OrderStore store(*a->log);
  const auto driven = testing::drive_orders(store, 30, 7, 12);
  expect_same_orders(driven, *a->log);

  // Another node, opened afterwards, folds the stream to the same states;
  // one that was open all along follows to them.
  auto b = open_node(cluster, "b");
  EXPECT_EQ(b->log->head(), a->log->head());
  expect_same_orders(driven, *b->log);
  const auto active = open_orders(*a->log);
  EXPECT_EQ(open_orders(*b->log), active);
  EXPECT_LT(active.size(), driven.ids.size()) << "the lifecycles finished none: a weak test";

  // Every event of an order, in order, from any node.
  for (const auto& id : driven.ids) (void)expect_same_events(*a->log, *b->log, id);
  auto all = b->log->read(Seq{1}, 100'000);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), a->log->head().value);
  for (std::size_t k = 0; k < all->size(); ++k) EXPECT_EQ((*all)[k].seq, Seq{k + 1}) << "seqs are dense";
}

TEST(JetStreamPartitionLog, OneOrderIdLandsOnceWhicheverNodesAreAsked) {
  NatsCluster cluster;
  auto a = open_node(cluster, "a");
  auto b = open_node(cluster, "b");
  ASSERT_TRUE(a->log->take_over());
  const auto id = OrderId::random();
  auto first = testing::append_wait(*a->log, first_event(id, "fingerprint-1"));
  ASSERT_TRUE(first) << first.error().message();
  EXPECT_FALSE(first->existing);
  EXPECT_GT(first->seq, Seq{0});

  // The same key at another node, which asks the owner: answered with the
  // order that holds it.
  auto again = testing::append_wait(*b->log, first_event(id, "fingerprint-2"));
  ASSERT_TRUE(again) << again.error().message();
  ASSERT_TRUE(again->existing);
  EXPECT_EQ(again->existing->order, id);
  EXPECT_EQ(again->existing->fingerprint, "fingerprint-1");

  // And at the same node again (a client's retry).
  auto at_a_again = testing::append_wait(*a->log, first_event(id, "fingerprint-1"));
  ASSERT_TRUE(at_a_again) << at_a_again.error().message();
  ASSERT_TRUE(at_a_again->existing);
  EXPECT_EQ(at_a_again->existing->fingerprint, "fingerprint-1");

  auto events = b->log->read_order(id, Seq{0});
  ASSERT_TRUE(events);
  EXPECT_EQ(events->size(), 1u);
  EXPECT_EQ(b->log->head(), first->seq);
}

// Both nodes write to one partition at once (other nodes' submits and
// operator actions do): the owner appends them all, and every order ends as
// its driver left it, on both nodes and on a third.
TEST(JetStreamPartitionLog, AnotherNodesWritesGoThroughTheOwnerAndLoseAndDoubleNothing) {
  NatsCluster cluster;
  auto a = open_node(cluster, "a");
  auto b = open_node(cluster, "b");
  ASSERT_TRUE(a->log->take_over());
  core::OrderStore store_a(*a->log);
  core::OrderStore store_b(*b->log);
  testing::Driven driven_a, driven_b;
  std::thread ta([&] { driven_a = testing::drive_orders(store_a, 15, 11, 10); });
  std::thread tb([&] { driven_b = testing::drive_orders(store_b, 15, 12, 10); });
  ta.join();
  tb.join();
  EXPECT_EQ(a->log->forwarded_appends(), 0u) << "the owner asked someone else";
  std::size_t b_events = 0;
  for (const auto& id : driven_b.ids) {
    auto e = a->log->read_order(id, Seq{0});
    ASSERT_TRUE(e);
    b_events += e->size();
  }
  EXPECT_EQ(b->log->forwarded_appends(), b_events) << "b appended some of its writes itself";
  auto c = open_node(cluster, "c");
  for (auto* log : {a->log.get(), b->log.get(), c->log.get()}) {
    ASSERT_TRUE(testing::eventually_true([&] { return log->head() == c->log->head(); }, 10s));
    expect_same_orders(driven_a, *log);
    expect_same_orders(driven_b, *log);
  }
  // Nothing stored twice: the stream holds exactly the events the drivers'
  // appends were answered with, and the owner's PartitionTaken.
  std::size_t events = 0;
  for (const auto* d : {&driven_a, &driven_b})
    for (const auto& id : d->ids) {
      auto e = c->log->read_order(id, Seq{0});
      ASSERT_TRUE(e);
      events += e->size();
    }
  EXPECT_EQ(events + 1, c->log->head().value);
}

// A write another node decided on a state the order has moved past (a
// cancel racing the owner's next step) is refused, and by then the asking
// node has folded what came, so deciding again sees it; decided on the
// order's last event, it lands.
TEST(JetStreamPartitionLog, AForwardedWriteDecidedOnAnOlderStateIsRefused) {
  NatsCluster cluster;
  auto a = open_node(cluster, "a");
  auto b = open_node(cluster, "b");
  auto owner = a->log->take_over();
  ASSERT_TRUE(owner) << owner.error().message();
  core::OrderStore store_a(**owner);
  core::OrderStore store_b(*b->log);
  const auto id = OrderId::random();
  auto first = testing::append_wait(**owner, first_event(id, "f"));
  ASSERT_TRUE(first) << first.error().message();
  auto submitted = store_a.load(id);
  ASSERT_TRUE(submitted && *submitted);
  const core::OrderSnapshot seen = **submitted;
  auto routing = testing::append_and_wait(store_a, id, seen.state, core::RoutingStarted{seen.state.attempt + 1});
  ASSERT_TRUE(routing) << routing.error().message();

  std::promise<eventlog::Result<core::AppendedEvent>> stale;
  store_b.append_on(id, seen.state, seen.last_seq, core::Cancelled{seen.state.attempt, "by a test"},
                    [&](eventlog::Result<core::AppendedEvent> r) { stale.set_value(std::move(r)); });
  auto stale_future = stale.get_future();
  auto refused = testing::await_result(stale_future);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), JsErrc::conflict) << refused.error().message();
  auto now = store_b.load(id);
  ASSERT_TRUE(now && *now);
  EXPECT_EQ((*now)->last_seq, routing->seq) << "refused before the asking node could see why";

  std::promise<eventlog::Result<core::AppendedEvent>> fresh;
  store_b.append_on(id, (*now)->state, (*now)->last_seq, core::OrderFailed{(*now)->state.attempt, "by a test"},
                    [&](eventlog::Result<core::AppendedEvent> r) { fresh.set_value(std::move(r)); });
  auto fresh_future = fresh.get_future();
  auto landed = testing::await_result(fresh_future);
  ASSERT_TRUE(landed) << landed.error().message();
  auto events = a->log->read_order(id, Seq{0});
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), 3u);
  EXPECT_EQ(events->back().seq, landed->seq);
  EXPECT_EQ(events->back().type, static_cast<std::uint8_t>(core::EventType::order_failed));
}

TEST(JetStreamPartitionLog, ATakeoverFencesTheOldOwnersWriter) {
  NatsCluster cluster;
  auto a = open_node(cluster, "a");
  auto b = open_node(cluster, "b");
  auto owner_a = a->log->take_over();
  ASSERT_TRUE(owner_a) << owner_a.error().message();
  EXPECT_TRUE(a->log->owned());
  core::OrderStore store_a(**owner_a);
  auto driven = testing::drive_orders(store_a, 5, 3, 4);
  const auto before_takeover = a->log->head();  // a has folded its own appends

  auto owner_b = b->log->take_over();
  ASSERT_TRUE(owner_b) << owner_b.error().message();
  EXPECT_TRUE(b->log->owned());

  // a's executor carries on as if nothing happened (a, the owner, does not
  // follow its stream, and no lease told it): refused, nothing lands, and
  // a learns that its ownership ended.
  const auto id = OrderId::random();
  auto refused = testing::append_wait(**owner_a, first_event(id, "f"));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), JsErrc::fenced);
  EXPECT_EQ(a->fenced, 1);
  EXPECT_FALSE(a->log->owned());
  // b's owner appends, and anyone's operator appends, go on.
  auto by_b = testing::append_wait(**owner_b, first_event(OrderId::random(), "f"));
  EXPECT_TRUE(by_b) << by_b.error().message();
  auto by_a_operator = testing::append_wait(*a->log, first_event(OrderId::random(), "f"));
  EXPECT_TRUE(by_a_operator) << by_a_operator.error().message();

  // The stream: after b's PartitionTaken, nothing from a's owner writer.
  auto records = b->log->read(before_takeover.next(), 1000);
  ASSERT_TRUE(records);
  ASSERT_FALSE(records->empty());
  EXPECT_EQ(records->front().type, kPartitionTakenType);
  auto events = b->log->read_order(id, Seq{0});
  ASSERT_TRUE(events);
  EXPECT_TRUE(events->empty());
}

// Every record of `order` the partition's stream holds, each with the
// batch that carries it.
std::vector<std::pair<Batch, BatchEntry>> stored_records(Node& node, const OrderId& order) {
  auto messages = node.connection->read(partition_stream(PartitionId{0}), "oee.p0.>", Seq{1}, std::numeric_limits<std::size_t>::max());
  if (!messages) throw std::runtime_error("cannot read the stream: " + messages.error().message());
  std::vector<std::pair<Batch, BatchEntry>> out;
  for (const auto& m : *messages) {
    auto batch = decode_batch(m.data, PartitionId{0});
    if (!batch) throw std::runtime_error("a message of the stream is not a batch");
    for (const auto& e : batch->entries)
      if (e.record.order == order) out.emplace_back(*batch, e);
  }
  return out;
}

// The first event of `order` as the stream stores it, with its batch.
std::pair<Batch, BatchEntry> stored_first(Node& node, const OrderId& order) {
  auto all = stored_records(node, order);
  if (all.empty() || !all.front().second.begins) throw std::runtime_error("no first event stored for " + order.str());
  return all.front();
}

// Appended by `owner` for another node: in a batch of the owner's, the
// request of the node that was asked.
bool via_owner(const std::pair<Batch, BatchEntry>& stored, std::string_view owner) {
  return stored.first.writer.starts_with(fmt::format("{}/", owner));
}
bool asked_of(const std::pair<Batch, BatchEntry>& stored, std::string_view node) {
  return stored.second.request.starts_with(fmt::format("{}/", node));
}

// Other nodes' submits go into the owner's pipeline: so they land once and
// never break it (no append of the owner's is refused for them), while the
// owner drives its own orders at the same time.
TEST(JetStreamPartitionLog, AnOwnerAppendsOtherNodesFirstEventsInItsOwnPipeline) {
  NatsCluster cluster;
  auto a = open_node(cluster, "a");
  auto b = open_node(cluster, "b");
  auto owner = a->log->take_over();
  ASSERT_TRUE(owner) << owner.error().message();
  // Once the servers b reaches know that a serves the partition.
  ASSERT_TRUE(testing::eventually_true(
      [&] {
        const auto id = OrderId::random();
        return testing::append_wait(*b->log, first_event(id, "warm-up")) && via_owner(stored_first(*a, id), "a");
      },
      10s));
  const auto refused_before = a->log->refused_appends();

  // One key asked of b twice, then of a: one order, found by both.
  const auto keyed = OrderId::random();
  auto made = testing::append_wait(*b->log, first_event(keyed, "fingerprint-1"));
  ASSERT_TRUE(made) << made.error().message();
  EXPECT_FALSE(made->existing);
  for (auto* log : {b->log.get(), a->log.get()}) {
    auto again = testing::append_wait(*log, first_event(keyed, "fingerprint-2"));
    ASSERT_TRUE(again) << again.error().message();
    ASSERT_TRUE(again->existing) << "a second order for one key";
    EXPECT_EQ(again->existing->fingerprint, "fingerprint-1");
  }

  core::OrderStore store(**owner);
  testing::Driven driven;
  std::thread owner_work([&] { driven = testing::drive_orders(store, 10, 31, 8); });
  std::vector<OrderId> from_b;
  std::vector<std::future<Result<AppendOutcome>>> answers;
  for (int i = 0; i < 200; ++i) {
    from_b.push_back(OrderId::random());
    answers.push_back(testing::append_future(*b->log, first_event(from_b.back(), "f")));
  }
  for (auto& f : answers) {
    auto outcome = testing::await_result(f);
    ASSERT_TRUE(outcome) << outcome.error().message();
    EXPECT_FALSE(outcome->existing);
  }
  owner_work.join();

  EXPECT_EQ(a->log->refused_appends(), refused_before) << "b's first events broke the owner's pipeline";
  for (const auto& id : from_b) {
    const auto m = stored_first(*a, id);
    EXPECT_TRUE(via_owner(m, "a")) << "b appended " << id.str() << " itself: " << m.first.writer;
    EXPECT_TRUE(asked_of(m, "b")) << m.second.request;
    auto events = a->log->read_order(id, Seq{0});
    ASSERT_TRUE(events);
    EXPECT_EQ(events->size(), 1u);
  }
  ASSERT_TRUE(testing::eventually_true([&] { return b->log->head() == a->log->head(); }, 10s));
  expect_same_orders(driven, *b->log);
}

// A key's replay that reaches the owner together with a later event of
// its order (the order's executor moving it on) is judged in the same run
// as that event: it is still answered with the order the key made, down to
// its fingerprint, and nothing of it is stored.
TEST(JetStreamPartitionLog, AKeysReplayInTheSameRunAsItsOrdersNextEventIsAnsweredWithTheOrder) {
  NatsCluster cluster;
  auto a = open_node(cluster, "a");
  auto owner = a->log->take_over();
  ASSERT_TRUE(owner) << owner.error().message();
  core::OrderStore store(**owner);
  constexpr std::size_t kOrders = 20;
  std::vector<OrderId> ids;
  std::vector<core::OrderSnapshot> submitted;
  for (std::size_t i = 0; i < kOrders; ++i) {
    ids.push_back(OrderId::random());
    auto made = testing::append_wait(**owner, first_event(ids.back(), fmt::format("fingerprint-{}", i)));
    ASSERT_TRUE(made) << made.error().message();
    auto loaded = store.load(ids.back());
    ASSERT_TRUE(loaded && *loaded);
    submitted.push_back(**loaded);
  }
  // Queued back to back, while the appender is busy with the ones before:
  // each order's next event and its key's replay go out in one run.
  std::vector<std::future<eventlog::Result<core::AppendedEvent>>> moved_on;
  std::vector<std::future<Result<AppendOutcome>>> replays;
  for (std::size_t i = 0; i < kOrders; ++i) {
    auto p = std::make_shared<std::promise<eventlog::Result<core::AppendedEvent>>>();
    moved_on.push_back(p->get_future());
    const auto& seen = submitted[i];
    store.append_on(ids[i], seen.state, seen.last_seq, core::RoutingStarted{seen.state.attempt + 1},
                    [p](eventlog::Result<core::AppendedEvent> r) { p->set_value(std::move(r)); });
    replays.push_back(testing::append_future(**owner, first_event(ids[i], "another-order")));
  }
  for (std::size_t i = 0; i < kOrders; ++i) {
    auto routed = testing::await_result(moved_on[i]);
    EXPECT_TRUE(routed) << routed.error().message();
    auto again = testing::await_result(replays[i]);
    ASSERT_TRUE(again) << again.error().message();
    ASSERT_TRUE(again->existing) << "order " << i << ": a second order for one key";
    EXPECT_EQ(again->existing->fingerprint, fmt::format("fingerprint-{}", i)) << "order " << i;
    auto events = a->log->read_order(ids[i], Seq{0});
    ASSERT_TRUE(events) << events.error().message();
    EXPECT_EQ(events->size(), 2u) << "order " << i;
  }
}

// With no owner (it gave the partition up), a write waits for one: none
// comes within the append timeout, and it is refused with nothing stored;
// one comes meanwhile, and the write lands through it.
TEST(JetStreamPartitionLog, WithNoOwnerAWriteWaitsForOneAndIsRefusedIfNoneComes) {
  NatsCluster cluster;
  auto a = open_node(cluster, "a");
  auto b = open_node(cluster, "b", 100'000, 2s);
  ASSERT_TRUE(a->log->take_over());
  a->log->release();
  // Until the servers b reaches know that nobody serves the forwards (a
  // request sent meanwhile to a's closing subscription goes unanswered,
  // and its outcome is then unknown).
  ASSERT_TRUE(testing::eventually_true(
      [&] {
        Publish probe;
        probe.subject = forward_subject(PartitionId{0});
        const auto answers = b->connection->request_all(std::span(&probe, 1), 500ms);
        return !answers.front() && answers.front().error() == JsErrc::not_found;
      },
      10s));
  const auto id = OrderId::random();
  auto refused = testing::append_wait(*b->log, first_event(id, "f"));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), Errc::no_owner) << refused.error().message();
  EXPECT_TRUE(stored_records(*a, id).empty()) << "a write refused for want of an owner was stored";

  auto waiting = testing::append_future(*b->log, first_event(id, "f"));
  ASSERT_TRUE(a->log->take_over());
  auto landed = testing::await_result(waiting);
  ASSERT_TRUE(landed) << landed.error().message();
  EXPECT_FALSE(landed->existing);
  const auto m = stored_first(*a, id);
  EXPECT_TRUE(via_owner(m, "a")) << m.first.writer;
  EXPECT_TRUE(asked_of(m, "b")) << m.second.request;
}

// An owner that takes forwards and never answers (paused by SIGSTOP, its
// connection still open): the node asked asks again until its append
// timeout, and then says the outcome is unknown; it never appends itself.
TEST(JetStreamPartitionLog, AWriteToAnOwnerThatDoesNotAnswerEndsUnknownAndTheNodeAskedStoresNothing) {
  NatsCluster cluster;
  auto b = open_node(cluster, "b", 100'000, 3s);
  auto silent = open_node(cluster, "silent");
  std::atomic<int> asked{0};
  const auto black_hole = silent->connection->serve(forward_subject(PartitionId{0}), "owner", [&](Request) { ++asked; });
  const auto id = OrderId::random();
  auto unknown = testing::append_wait(*b->log, first_event(id, "f"));
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error(), std::errc::timed_out) << unknown.error().message();
  EXPECT_GE(asked.load(), 2) << "b did not ask again";
  EXPECT_TRUE(stored_records(*b, id).empty()) << "b appended the write itself";
}

// A write forwarded to an owner that stopped answering (paused, its
// connection open and still in the owners' queue group) while the node
// asking takes the partition over: that node stores it itself, once,
// rather than asking on a queue group that may hand it to the paused one.
TEST(JetStreamPartitionLog, AWriteForwardedToAPausedOwnerLandsOnceItsNodeTakesThePartitionOver) {
  NatsCluster cluster;
  auto b = open_node(cluster, "b", 100'000, 4s);
  auto silent = open_node(cluster, "silent");
  std::atomic<int> asked{0};
  // Many members, so that a request the queue group hands out after the
  // takeover almost never reaches b's own.
  std::vector<std::unique_ptr<Service>> black_holes;
  for (int i = 0; i < 30; ++i)
    black_holes.push_back(silent->connection->serve(forward_subject(PartitionId{0}), "owner", [&](Request) { ++asked; }));
  const auto id = OrderId::random();
  auto waiting = testing::append_future(*b->log, first_event(id, "f"));
  ASSERT_TRUE(testing::eventually_true([&] { return asked.load() > 0; }, 3s)) << "b asked nobody";
  ASSERT_TRUE(b->log->take_over());
  auto landed = testing::await_result(waiting);
  ASSERT_TRUE(landed) << landed.error().message();
  EXPECT_FALSE(landed->existing);
  const auto stored = stored_records(*b, id);
  ASSERT_EQ(stored.size(), 1u) << "stored other than once";
  EXPECT_TRUE(via_owner(stored.front(), "b")) << stored.front().first.writer;
}

// A node that folds only what it owns (follow_unowned false).
std::unique_ptr<Node> open_owned_only(const NatsCluster& cluster, const std::string& name,
                                      std::chrono::milliseconds append_timeout = 10s) {
  return open_node(cluster, name, 100'000, append_timeout, false);
}

// Asked of a node that does not follow the partition, an order's state,
// events, set and finished record are the owner's; its writes go through
// the owner and read back at once; the log's records come from the stream.
TEST(JetStreamPartitionLog, ANodeThatFollowsOnlyWhatItOwnsReadsTheRestFromTheOwner) {
  NatsCluster cluster;
  auto a = open_owned_only(cluster, "a");
  auto b = open_owned_only(cluster, "b");
  auto owner = a->log->take_over();
  ASSERT_TRUE(owner) << owner.error().message();
  core::OrderStore store(**owner);
  const auto driven = testing::drive_orders(store, 20, 5, 8);
  EXPECT_EQ(b->log->stats().events.load(), 0U) << "b folded the partition it does not own";

  expect_same_orders(driven, *b->log);
  const auto active = open_orders(*a->log);
  EXPECT_EQ(open_orders(*b->log), active);
  std::size_t finished = 0;
  for (const auto& id : driven.ids) {
    const auto last = expect_same_events(*a->log, *b->log, id);
    auto later = b->log->read_order(id, last);
    ASSERT_TRUE(later);
    EXPECT_EQ(later->size(), 1U) << "read from a position on";
    auto done_a = a->log->finished_record(id);
    auto done_b = b->log->finished_record(id);
    ASSERT_TRUE(done_a && done_b);
    ASSERT_EQ(done_a->has_value(), done_b->has_value()) << "order " << id.str();
    if (*done_a) {
      ++finished;
      EXPECT_EQ((*done_a)->snapshot, (*done_b)->snapshot);
      EXPECT_EQ((*done_a)->seqs, (*done_b)->seqs);
    }
    auto held = b->log->holds(id);
    ASSERT_TRUE(held);
    EXPECT_TRUE(*held);
  }
  EXPECT_GT(finished, 0U) << "the lifecycles finished none: a weak test";
  EXPECT_LT(finished, driven.ids.size()) << "every order finished: a weak test";
  auto stranger = b->log->holds(OrderId::random());
  ASSERT_TRUE(stranger);
  EXPECT_FALSE(*stranger);

  // b's write goes through a, and b reads it as soon as it is answered.
  const auto id = OrderId::random();
  auto landed = testing::append_wait(*b->log, first_event(id, "f"));
  ASSERT_TRUE(landed) << landed.error().message();
  auto seen = b->log->snapshot(id);
  ASSERT_TRUE(seen && *seen) << "b's own write was not there to read";
  EXPECT_EQ((*seen)->last_seq, landed->seq);

  // The log's records, whole and dense, from the stream.
  auto head = b->log->refresh();
  ASSERT_TRUE(head);
  EXPECT_EQ(*head, a->log->head());
  auto all = b->log->read(Seq{1}, 100'000);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), a->log->head().value);
  for (std::size_t k = 0; k < all->size(); ++k) EXPECT_EQ((*all)[k].seq, Seq{k + 1}) << "seqs are dense";
  EXPECT_EQ(b->log->stats().events.load(), 0U) << "b folded the partition it does not own";
}

// Many orders read of a node that does not follow the partition cost the
// owner one request, not one per order: their snapshots, in the order
// asked (none for an unknown id), and a set's members.
TEST(JetStreamPartitionLog, ANodeThatFollowsOnlyWhatItOwnsReadsManyOrdersInOneRequest) {
  NatsCluster cluster;
  auto a = open_owned_only(cluster, "a");
  auto b = open_owned_only(cluster, "b");
  auto owner = a->log->take_over();
  ASSERT_TRUE(owner) << owner.error().message();
  core::OrderStore store(**owner);
  const auto driven = testing::drive_orders(store, 40, 5, 8);
  std::vector<OrderId> asked = driven.ids;
  const auto stranger = OrderId::random();
  asked.insert(asked.begin() + 3, stranger);

  const auto before = a->log->answered_reads();
  auto read = b->log->snapshots(asked);
  ASSERT_TRUE(read) << read.error().message();
  EXPECT_EQ(a->log->answered_reads() - before, 1U) << "41 orders read with other than one request";
  ASSERT_EQ(read->size(), asked.size());
  for (std::size_t i = 0, k = 0; i < asked.size(); ++i) {
    if (asked[i] == stranger) {
      EXPECT_FALSE((*read)[i]) << "an unknown order read as known";
      continue;
    }
    ASSERT_TRUE((*read)[i]) << "order " << asked[i].str() << " is missing";
    EXPECT_EQ((*read)[i]->snapshot, core::encode_snapshot(driven.states[k])) << "order " << k;
    ++k;
  }

  const auto before_members = a->log->answered_reads();
  EXPECT_EQ(open_orders(*b->log), open_orders(*a->log));
  EXPECT_EQ(a->log->answered_reads() - before_members, 1U) << "a set's members read with other than one request";
  EXPECT_EQ(b->log->stats().events.load(), 0U) << "b folded the partition it does not own";
}

// A node that did not follow the partition takes it over from the stream as
// it is: what it executes next is decided on every event before it. The
// node it took the partition from then reads it from the new owner.
TEST(JetStreamPartitionLog, ANodeThatDidNotFollowTakesOverFromTheStreamAsItIs) {
  NatsCluster cluster;
  auto a = open_owned_only(cluster, "a");
  auto b = open_owned_only(cluster, "b");
  auto owner_a = a->log->take_over();
  ASSERT_TRUE(owner_a) << owner_a.error().message();
  core::OrderStore store_a(**owner_a);
  const auto driven = testing::drive_orders(store_a, 12, 4, 6);
  const auto before = a->log->head();
  const auto folded_by_a = a->log->stats().events.load();
  a->log->release();

  auto owner_b = b->log->take_over();
  ASSERT_TRUE(owner_b) << owner_b.error().message();
  EXPECT_EQ(b->log->head(), before.next()) << "b did not fold the partition before its takeover";
  expect_same_orders(driven, *b->log);
  EXPECT_EQ(open_orders(*b->log), open_orders(*a->log));

  // b's executor goes on with an order a left open, on its last state.
  const auto open = open_orders(*b->log);
  ASSERT_FALSE(open.empty());
  core::OrderStore store_b(**owner_b);
  auto state = store_b.load(open.front());
  ASSERT_TRUE(state && *state) << "b cannot load an order a left open";

  // a, no longer the owner, reads b's state of the partition.
  const auto id = OrderId::random();
  ASSERT_TRUE(testing::append_wait(**owner_b, first_event(id, "f")));
  ASSERT_TRUE(testing::eventually_true(
      [&] {
        auto seen = a->log->snapshot(id);
        return seen && *seen;
      },
      10s));
  EXPECT_EQ(a->log->stats().events.load(), folded_by_a) << "a folded what it no longer owns";
}

// With no owner, a read of a node that does not follow the partition waits
// for one up to its append timeout, then says there is none.
TEST(JetStreamPartitionLog, WithNoOwnerAReadOfANodeThatDoesNotFollowSaysThereIsNone) {
  NatsCluster cluster;
  auto b = open_owned_only(cluster, "b", 1s);
  const auto started = std::chrono::steady_clock::now();
  auto read = b->log->snapshot(OrderId::random());
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error(), Errc::no_owner) << read.error().message();
  EXPECT_GE(std::chrono::steady_clock::now() - started, 700ms) << "it did not wait for an owner";
  auto members = b->log->members(OrderSet::active, 10);
  ASSERT_FALSE(members);
  EXPECT_EQ(members.error(), Errc::no_owner) << members.error().message();
}

// What a node's listeners heard of a partition, position by position.
struct Heard {
  std::mutex mu;
  std::vector<Seq> positions;
  CommitSubscription subscription;
  explicit Heard(PartitionLog& log)
      : subscription(log.on_commit([this](std::span<const Record> records) {
          std::lock_guard lock(mu);
          for (const auto& r : records) positions.push_back(r.seq);
        })) {}
  // Every position from `first` to `last` once, in order, and nothing else.
  bool exactly(Seq first, Seq last) {
    std::lock_guard lock(mu);
    if (positions.size() != last.value - first.value + 1) return false;
    for (std::size_t k = 0; k < positions.size(); ++k)
      if (positions[k] != Seq{first.value + k}) return false;
    return true;
  }
  std::string said() {
    std::lock_guard lock(mu);
    std::string out;
    for (const auto& p : positions) out += std::to_string(p.value) + " ";
    return out;
  }
};

// Stores a batch of `count` first events at the partition's tail as an
// owner whose live messages were all lost would (nobody hears it live).
void store_unheard(Node& node, std::size_t count) {
  auto state = node.connection->stream_state(partition_stream(PartitionId{0}));
  ASSERT_TRUE(state);
  Seq last_position{0};
  if (state->last.value != 0) {
    auto last = node.connection->get(partition_stream(PartitionId{0}), state->last);
    ASSERT_TRUE(last && *last);
    auto batch = decode_batch((*last)->data, PartitionId{0});
    ASSERT_TRUE(batch);
    last_position = batch->last();
  }
  Batch batch;
  batch.writer = "unheard/1";
  for (std::size_t i = 0; i < count; ++i) {
    const auto command = first_event(OrderId::random(), "f");
    BatchEntry e;
    e.record = Record{Seq{0}, command.order, TimestampNs::now(), command.type, command.payload};
    e.begins = true;
    e.request = fmt::format("unheard/1/{}", i);
    batch.entries.push_back(std::move(e));
  }
  batch.place(last_position.next(), PartitionId{0});
  const auto data = encode_batch(batch);
  Publish p;
  p.subject = batch_subject(PartitionId{0});
  p.data = data;
  p.headers = {{"Oee-Batch", fmt::format("{}+{}", batch.first.value, count)}};
  p.expect_last_seq = state->last;
  ASSERT_TRUE(node.connection->publish(p));
}

// The listeners of a node that does not fold the partition hear each record
// once and in order: what the owner sends live, what never came live read
// from the stream, and, once it takes the partition over, what it folds
// beyond what they heard.
TEST(JetStreamPartitionLog, ANodeThatDoesNotFoldThePartitionsListenersHearEachRecordOnce) {
  NatsCluster cluster;
  auto a = open_owned_only(cluster, "a");
  auto b = open_owned_only(cluster, "b");
  Heard heard(*b->log);
  const auto watching = b->log->watch(PartitionId{0});  // as a WebSocket on b that follows an order in it
  store_unheard(*a, 3);
  ASSERT_TRUE(testing::eventually_true([&] { return heard.exactly(Seq{1}, Seq{3}); }, 10s)) << heard.said();

  auto owner_a = a->log->take_over();
  ASSERT_TRUE(owner_a) << owner_a.error().message();
  core::OrderStore store_a(**owner_a);
  (void)testing::drive_orders(store_a, 8, 3, 4);
  store_unheard(*a, 2);  // as if two batches' live messages were lost...
  auto more = testing::append_wait(**owner_a, first_event(OrderId::random(), "f"));  // ...before this one came
  ASSERT_TRUE(more) << more.error().message();
  const auto end = more->seq;
  ASSERT_TRUE(testing::eventually_true([&] { return heard.exactly(Seq{1}, end); }, 10s)) << heard.said();
  EXPECT_EQ(b->log->head(), end) << "b's head is what its listeners heard";
  EXPECT_EQ(b->log->stats().events.load(), 0U) << "b folded the partition it does not own";

  a->log->release();
  auto owner_b = b->log->take_over();
  ASSERT_TRUE(owner_b) << owner_b.error().message();
  auto last = testing::append_wait(**owner_b, first_event(OrderId::random(), "f"));
  ASSERT_TRUE(last) << last.error().message();
  EXPECT_TRUE(heard.exactly(Seq{1}, last->seq)) << "heard twice or not at all after the takeover: " << heard.said();
}

// A batch of `count` first events placed at `first` in `partition`.
Batch batch_of(std::size_t count, Seq first, PartitionId partition, std::string writer) {
  Batch batch;
  batch.writer = std::move(writer);
  for (std::size_t i = 0; i < count; ++i) {
    const auto command = first_event(OrderId::random(), "f");
    BatchEntry e;
    e.record = Record{Seq{0}, command.order, TimestampNs::now(), command.type, command.payload};
    e.begins = true;
    batch.entries.push_back(std::move(e));
  }
  batch.place(first, partition);
  return batch;
}

// Whoever may make a consumer can have the servers deliver any stream's
// messages on oee.live.p<p> (nats-server does not check where a consumer
// delivers against its maker's permissions). A node watching the partition
// hears there only batches of this partition stored in an ownership the
// stream holds; it refuses the rest, which neither moves what its listeners
// heard nor keeps them from hearing what the owner stores.
TEST(JetStreamPartitionLog, ANodeHearsLiveOnlyBatchesTheStreamShowsItsOwnerStored) {
  NatsCluster cluster;
  auto a = open_owned_only(cluster, "a");
  auto b = open_owned_only(cluster, "b");
  Heard heard(*b->log);
  const auto watching = b->log->watch(PartitionId{0});
  auto owner = a->log->take_over();  // its PartitionTaken is at position 1
  ASSERT_TRUE(owner) << owner.error().message();
  auto stored = testing::append_wait(**owner, first_event(OrderId::random(), "f"));
  ASSERT_TRUE(stored) << stored.error().message();
  ASSERT_TRUE(testing::eventually_true([&] { return heard.exactly(Seq{1}, stored->seq); }, 10s)) << heard.said();

  const Seq next = stored->seq.next();
  std::vector<std::string> forged;
  auto other_partition = batch_of(3, next, PartitionId{1}, "a/1");  // partition 1's, as OEE_P1's consumer delivers it
  other_partition.taken_at = Seq{1};
  forged.push_back(encode_batch(other_partition));
  auto other_writer = batch_of(3, next, PartitionId{0}, "mallory/1");
  other_writer.taken_at = Seq{1};
  forged.push_back(encode_batch(other_writer));
  auto unstored_ownership = batch_of(3, next, PartitionId{0}, "a/1");
  unstored_ownership.taken_at = next;  // no PartitionTaken is stored there
  forged.push_back(encode_batch(unstored_ownership));
  auto unnamed = batch_of(3, next, PartitionId{0}, "a/1");
  unnamed.partition.reset();  // as a batch stored before batches named their partition
  unnamed.taken_at = Seq{1};
  forged.push_back(encode_batch(unnamed));
  forged.emplace_back("not a batch");
  // Until b listens live, what is sent there is lost: probed first (one
  // connection's messages come in the order sent).
  const auto refused = [&] { return b->log->refused_messages().live_batches; };
  ASSERT_TRUE(testing::eventually_true(
      [&] {
        const auto before = refused();
        (void)a->connection->send(live_subject(PartitionId{0}), "a probe");
        return testing::eventually_true([&] { return refused() > before; }, 200ms);
      },
      10s))
      << "b does not listen live";
  const auto probed = refused();
  for (const auto& data : forged) ASSERT_FALSE(a->connection->send(live_subject(PartitionId{0}), data));
  ASSERT_TRUE(testing::eventually_true([&] { return refused() == probed + forged.size(); }, 10s))
      << "refused " << refused() - probed << " of " << forged.size();
  EXPECT_TRUE(heard.exactly(Seq{1}, stored->seq)) << "a forged batch was heard: " << heard.said();

  auto after = testing::append_wait(**owner, first_event(OrderId::random(), "f"));
  ASSERT_TRUE(after) << after.error().message();
  EXPECT_EQ(after->seq, next);
  ASSERT_TRUE(testing::eventually_true([&] { return heard.exactly(Seq{1}, after->seq); }, 10s))
      << "the owner's batch after the forged ones: " << heard.said();
  EXPECT_EQ(refused(), probed + forged.size()) << "the owner's batch was refused";
}

// In these tests, a record every node needs is a first event of 7 base units.
constexpr std::uint64_t kMarked = 7;
bool marked(std::uint8_t type, std::string_view payload, std::string_view /*snapshot_before*/) {
  const auto event = core::decode_event(type, payload);
  const auto* submitted = event ? std::get_if<core::OrderSubmitted>(&*event) : nullptr;
  return submitted != nullptr && submitted->amount_in.base == kMarked;
}

// A node that neither executes nor watches the partition is sent only the
// batches every node needs (it hears each once, in order); while it
// watches, every record from then on; and a write it forwards that every
// node needs completes once heard there (a key works where it was made).
TEST(JetStreamPartitionLog, ANodeHearsEveryRecordOfAPartitionOnlyWhileItWatchesIt) {
  NatsCluster cluster;
  auto a = open_node(cluster, "a", 100'000, 10s, false, marked);
  auto b = open_node(cluster, "b", 100'000, 10s, false, marked);
  Heard heard(*b->log);
  auto owner = a->log->take_over();
  ASSERT_TRUE(owner) << owner.error().message();

  std::vector<Seq> expected;
  for (int i = 0; i < 7; ++i) {
    const bool needed = i % 3 == 0;
    auto stored = testing::append_wait(**owner, first_event(OrderId::random(), "f", needed ? kMarked : 1000));
    ASSERT_TRUE(stored) << stored.error().message();
    if (needed) expected.push_back(stored->seq);
  }
  const auto heard_exactly = [&] {
    std::lock_guard lock(heard.mu);
    return heard.positions == expected;
  };
  ASSERT_TRUE(testing::eventually_true(heard_exactly, 10s)) << "expected 3 records, heard: " << heard.said();

  auto unneeded = testing::append_wait(*b->log, first_event(OrderId::random(), "f", 1000));
  ASSERT_TRUE(unneeded) << unneeded.error().message();  // answered, though never heard on b
  auto needed = testing::append_wait(*b->log, first_event(OrderId::random(), "f", kMarked));
  ASSERT_TRUE(needed) << needed.error().message();
  expected.push_back(needed->seq);
  EXPECT_TRUE(heard_exactly()) << "a write every node needs was answered before it was heard where it was made: "
                               << heard.said();

  {
    const auto watching = b->log->watch(PartitionId{0});
    for (int i = 0; i < 3; ++i) {
      auto stored = testing::append_wait(**owner, first_event(OrderId::random(), "f", 1000));
      ASSERT_TRUE(stored) << stored.error().message();
      expected.push_back(stored->seq);
    }
    auto forwarded = testing::append_wait(*b->log, first_event(OrderId::random(), "f", 1000));
    ASSERT_TRUE(forwarded) << forwarded.error().message();
    expected.push_back(forwarded->seq);
    ASSERT_TRUE(testing::eventually_true(heard_exactly, 10s)) << "heard while watching: " << heard.said();
  }
  auto after = testing::append_wait(**owner, first_event(OrderId::random(), "f", kMarked));
  ASSERT_TRUE(after) << after.error().message();
  ASSERT_TRUE(testing::eventually_true(
      [&] {
        std::lock_guard lock(heard.mu);
        return !heard.positions.empty() && heard.positions.back() == after->seq;
      },
      10s))
      << heard.said();
  std::lock_guard lock(heard.mu);
  EXPECT_EQ(std::count(heard.positions.begin(), heard.positions.end(), after->seq), 1) << heard.said();
}

// A node that did not fold the partition for a while takes it over from the
// owner's latest checkpoint, not from what it last folded.
TEST(JetStreamPartitionLog, ATakeoverAfterAWhileBehindStartsFromTheLatestCheckpoint) {
  NatsCluster cluster;
  auto a = open_node(cluster, "a", 25, 10s, false);
  auto b = open_owned_only(cluster, "b");
  auto owner_a = a->log->take_over();
  ASSERT_TRUE(owner_a) << owner_a.error().message();
  core::OrderStore store_a(**owner_a);
  const auto driven = testing::drive_orders(store_a, 30, 7, 12);
  const auto end = a->log->head();
  // A checkpoint past half the log: the first ones may be all that is
  // written yet when the machine is busy.
  ASSERT_TRUE(testing::eventually_true(
      [&] {
        auto c = a->log->checkpoint();
        return c && *c && (*c)->seq.value > end.value / 2;
      },
      20s));
  a->log->release();

  auto owner_b = b->log->take_over();
  ASSERT_TRUE(owner_b) << owner_b.error().message();
  expect_same_orders(driven, *b->log);
  EXPECT_GE(b->log->head(), end.next());  // and a's announcement of its checkpoint, if it came after
  EXPECT_LT(b->log->stats().events.load(), end.value / 2)
      << "b folded the partition from its start rather than from the checkpoint";
}

// An owner whose lease ran out (paused past it, say) may already have a
// successor it has not heard of: it does not answer reads from its state.
TEST(JetStreamPartitionLog, AnOwnerWhoseLeaseRanOutAnswersNoRead) {
  NatsCluster cluster;
  auto a = open_owned_only(cluster, "a");
  auto b = open_owned_only(cluster, "b", 1s);
  auto owner = a->log->take_over();
  ASSERT_TRUE(owner) << owner.error().message();
  const auto id = OrderId::random();
  ASSERT_TRUE(testing::append_wait(**owner, first_event(id, "f")));
  ASSERT_TRUE(testing::eventually_true(
      [&] {
        auto held = b->log->holds(id);
        return held && *held;
      },
      10s));

  a->lease_fresh = false;
  auto unanswered = b->log->snapshot(id);
  ASSERT_FALSE(unanswered);
  EXPECT_EQ(unanswered.error(), Errc::no_owner) << unanswered.error().message();
  a->lease_fresh = true;
  auto answered = b->log->snapshot(id);
  ASSERT_TRUE(answered && *answered);
}

// A takeover from an owner that answers nothing (paused past its lease,
// say) does not wait on it for the whole append timeout when it folds a
// record of an order it does not hold: an API key made while it did not
// follow the partition. It asks once, briefly, and folds the key from the
// stream and the directory of finished orders.
TEST(JetStreamPartitionLog, ATakeoverFromASilentOwnerDoesNotWaitOnItForWhatItDidNotFollow) {
  NatsCluster cluster;
  auto a = open_owned_only(cluster, "a");
  auto b = open_owned_only(cluster, "b", 30s);
  auto owner = a->log->take_over();
  ASSERT_TRUE(owner) << owner.error().message();
  const auto key = OrderId::random();
  AppendCommand created;
  created.order = key;
  created.type = static_cast<std::uint8_t>(core::KeyEventType::created);
  created.payload = core::encode_key_event(core::ApiKeyCreated{"desk", core::Scopes(3), {}, {}, std::nullopt, std::nullopt});
  created.set_membership.emplace_back(OrderSet::api_keys, true);
  created.finishes = true;  // as a key's event is: its record lists its events
  auto landed = testing::append_wait(**owner, std::move(created));
  ASSERT_TRUE(landed) << landed.error().message();

  a->lease_fresh = false;  // a answers no read: as a paused owner, for its successor
  const auto started = std::chrono::steady_clock::now();
  auto taken = b->log->take_over();
  const auto took = std::chrono::steady_clock::now() - started;
  ASSERT_TRUE(taken) << taken.error().message();
  EXPECT_LT(took, 10s) << "b waited on the silent owner (append timeout 30 s)";
  auto record = b->log->finished_record(key);
  ASSERT_TRUE(record) << record.error().message();
  ASSERT_TRUE(*record) << "b did not fold the key";
  EXPECT_EQ((*record)->seqs, std::vector<Seq>{landed->seq});
  auto keys = b->log->members(OrderSet::api_keys, 10);
  ASSERT_TRUE(keys);
  EXPECT_EQ(*keys, std::vector<OrderId>{key});
}

// An owner whose lease ran out (paused past it, say) that has not yet learnt
// of its successor reads what the successor answers: an order acknowledged
// meanwhile is not unknown there. With nobody else to answer, it reads its
// own fold only if nothing was stored after it.
TEST(JetStreamPartitionLog, AnOwnerWhoseLeaseRanOutReadsWhatItsSuccessorHolds) {
  NatsCluster cluster;
  auto a = open_owned_only(cluster, "a");
  auto b = open_owned_only(cluster, "b");
  auto owner_a = a->log->take_over();
  ASSERT_TRUE(owner_a) << owner_a.error().message();
  const auto mine = OrderId::random();
  ASSERT_TRUE(testing::append_wait(**owner_a, first_event(mine, "f")));

  a->lease_fresh = false;
  auto owner_b = b->log->take_over();
  ASSERT_TRUE(owner_b) << owner_b.error().message();
  const auto theirs = OrderId::random();
  ASSERT_TRUE(testing::append_wait(**owner_b, first_event(theirs, "f")));
  ASSERT_TRUE(a->log->owned()) << "a learnt of b's takeover: the test needs it not to have";

  for (int i = 0; i < 20; ++i) {  // each read may reach a's own read service first
    auto seen = a->log->snapshot(theirs);
    ASSERT_TRUE(seen) << seen.error().message();
    ASSERT_TRUE(*seen) << "an order b acknowledged reads as unknown on a (read " << i << ")";
  }
  auto held = a->log->holds(theirs);
  ASSERT_TRUE(held) << held.error().message();
  EXPECT_TRUE(*held);
  auto events = a->log->read_order(theirs, Seq{0});
  ASSERT_TRUE(events) << events.error().message();
  EXPECT_EQ(events->size(), 1U);

  // Nobody else answers now, and a's fold lacks what b stored: a says so
  // rather than answering from it, however long nobody answered.
  b->log->release();
  auto stale = a->log->snapshot(theirs);
  ASSERT_FALSE(stale) << "a answered from a fold that lacks what b stored: "
                      << (*stale ? "known" : "unknown");
  EXPECT_EQ(stale.error(), make_error_code(Errc::no_owner)) << stale.error().message();
  auto stale_events = a->log->read_order(theirs, Seq{0});
  ASSERT_FALSE(stale_events);
  EXPECT_EQ(stale_events.error(), make_error_code(Errc::no_owner)) << stale_events.error().message();
}

// A takeover that outlived its node's lease (it waited on the servers, or
// the node was paused) is not made: the owner stays the owner, and the
// stream holds no PartitionTaken of the late taker.
TEST(JetStreamPartitionLog, ATakeoverThatOutlivedItsLeaseIsNotMade) {
  NatsCluster cluster;
  auto a = open_owned_only(cluster, "a");
  auto b = open_owned_only(cluster, "b");
  auto owner_a = a->log->take_over();
  ASSERT_TRUE(owner_a) << owner_a.error().message();
  const auto before = a->log->head();

  b->lease_fresh = false;
  auto late = b->log->take_over();
  ASSERT_FALSE(late) << "b took the partition over without its lease";
  EXPECT_EQ(late.error(), JsErrc::lease_lost) << late.error().message();
  EXPECT_FALSE(b->log->owned());
  auto stored = a->log->last_stored();
  ASSERT_TRUE(stored) << stored.error().message();
  EXPECT_EQ(*stored, before) << "something was stored after a's takeover";
  auto by_a = testing::append_wait(**owner_a, first_event(OrderId::random(), "f"));
  EXPECT_TRUE(by_a) << "a was fenced by a takeover that was not made: " << by_a.error().message();
}

// A node whose lease is fresh may still have a successor: one whose
// takeover outlived its own lease. Until it writes again, it takes itself
// for the owner; an order the successor acknowledged meanwhile is not
// "unknown" there, nor on a node that asks it: both are told to try again
// while nobody else answers, and find it once the successor answers.
TEST(JetStreamPartitionLog, AnOwnerThatMissedATakeoverCallsNoneOfItsSuccessorsOrdersUnknown) {
  NatsCluster cluster;
  auto a = open_owned_only(cluster, "a");
  auto b = open_owned_only(cluster, "b");
  auto c = open_owned_only(cluster, "c", 3s);  // owns nothing: asks the owner
  auto owner_a = a->log->take_over();
  ASSERT_TRUE(owner_a) << owner_a.error().message();
  const auto mine = OrderId::random();
  ASSERT_TRUE(testing::append_wait(**owner_a, first_event(mine, "f")));

  auto owner_b = b->log->take_over();
  ASSERT_TRUE(owner_b) << owner_b.error().message();
  b->lease_fresh = false;  // its lease ran out as its takeover landed: it serves no reads
  const auto theirs = OrderId::random();
  ASSERT_TRUE(testing::append_wait(**owner_b, first_event(theirs, "f")));
  ASSERT_TRUE(a->log->owned()) << "a learnt of b's takeover: the test needs it not to have";

  // a reads its own fold (its lease is fresh), which lacks b's order.
  auto on_a = a->log->snapshot(theirs);
  ASSERT_FALSE(on_a && !*on_a) << "an order b acknowledged reads as unknown on a";
  if (!on_a) {
    EXPECT_EQ(on_a.error(), make_error_code(Errc::no_owner)) << on_a.error().message();
  }
  auto events_on_a = a->log->read_order(theirs, Seq{0});
  ASSERT_FALSE(events_on_a && events_on_a->empty()) << "b's order has no events on a";
  // c asks the owner, and only a answers: it is told to try again, not
  // that the order is unknown.
  auto held = c->log->holds(theirs);
  ASSERT_FALSE(held && !*held) << "an order b acknowledged reads as unknown on c";
  auto on_c = c->log->snapshot(theirs);
  ASSERT_FALSE(on_c && !*on_c) << "an order b acknowledged reads as unknown on c";
  // What a's fold holds, a still answers.
  auto own = c->log->snapshot(mine);
  ASSERT_TRUE(own && *own) << (own ? "unknown" : own.error().message());

  b->lease_fresh = true;
  auto found = c->log->snapshot(theirs);
  ASSERT_TRUE(found) << found.error().message();
  EXPECT_TRUE(*found) << "b answers, and c still does not find b's order";
}

TEST(JetStreamPartitionLog, AnOwnerWhoseLeaseRanOutAndWhomNobodySucceededReadsItsOwnFold) {
  NatsCluster cluster;
  auto a = open_owned_only(cluster, "a");
  auto b = open_owned_only(cluster, "b");  // serves reads too, and owns nothing
  auto owner_a = a->log->take_over();
  ASSERT_TRUE(owner_a) << owner_a.error().message();
  const auto mine = OrderId::random();
  ASSERT_TRUE(testing::append_wait(**owner_a, first_event(mine, "f")));

  a->lease_fresh = false;  // late to renew: nobody took the partition over
  auto own = a->log->snapshot(mine);
  ASSERT_TRUE(own) << own.error().message();
  EXPECT_TRUE(*own) << "with nothing stored after its fold, a reads it";
  auto events = a->log->read_order(mine, Seq{0});
  ASSERT_TRUE(events) << events.error().message();
  EXPECT_EQ(events->size(), 1U);
  auto unknown = a->log->snapshot(OrderId::random());
  ASSERT_TRUE(unknown) << unknown.error().message();
  EXPECT_FALSE(*unknown);
}

TEST(JetStreamPartitionLog, OpeningReadsTheOwnersLatestCheckpointAndFoldsOnlyWhatCameAfter) {
  NatsCluster cluster;
  auto a = open_node(cluster, "a", 25);
  auto owner = a->log->take_over();
  ASSERT_TRUE(owner) << owner.error().message();
  core::OrderStore store(**owner);
  const auto before = testing::drive_orders(store, 20, 21, 8);
  ASSERT_TRUE(testing::eventually_true(
      [&] {
        auto c = a->log->checkpoint();
        return c && *c && (*c)->seq > Seq{1};
      },
      20s));
  const auto after = testing::drive_orders(store, 3, 22, 3);

  auto b = open_node(cluster, "b");
  auto checkpoint = b->log->checkpoint();
  ASSERT_TRUE(checkpoint && *checkpoint);
  EXPECT_EQ(b->log->opened_from(), (*checkpoint)->seq);
  EXPECT_GT(b->log->opened_from(), Seq{1});
  EXPECT_LE(b->log->opened_from(), a->log->head());
  ASSERT_TRUE(testing::eventually_true([&] { return b->log->head() == a->log->head(); }, 10s));
  // Orders that finished before the checkpoint: b never folded them, and
  // reads them from the directory of finished orders.
  expect_same_orders(before, *b->log);
  expect_same_orders(after, *b->log);
  EXPECT_EQ(open_orders(*b->log), open_orders(*a->log));
  // Their records too, found by position in batches b never folded.
  for (const auto* driven : {&before, &after}) {
    for (const auto& id : driven->ids) {
      auto from_a = a->log->read_order(id, Seq{0});
      auto from_b = b->log->read_order(id, Seq{0});
      ASSERT_TRUE(from_a) << from_a.error().message();
      ASSERT_TRUE(from_b) << from_b.error().message();
      ASSERT_EQ(from_a->size(), from_b->size());
      ASSERT_FALSE(from_b->empty());
      for (std::size_t k = 0; k < from_a->size(); ++k) {
        EXPECT_EQ((*from_b)[k].seq, (*from_a)[k].seq);
        EXPECT_EQ((*from_b)[k].payload, (*from_a)[k].payload);
      }
    }
  }
  auto all = b->log->read(Seq{1}, 100'000);
  ASSERT_TRUE(all) << all.error().message();
  ASSERT_EQ(all->size(), a->log->head().value);
  for (std::size_t k = 0; k < all->size(); ++k) EXPECT_EQ((*all)[k].seq, Seq{k + 1}) << "positions are dense";
  // Only the latest checkpoint is kept.
  auto stored = a->connection->read("OEE_CKPT", "oee.ckpt.p0", Seq{1}, 1000);
  ASSERT_TRUE(stored);
  ASSERT_FALSE(stored->empty());
  for (const auto& m : *stored) EXPECT_EQ(m.header("Oee-Ckpt-Id"), stored->back().header("Oee-Ckpt-Id"));
}

// A finished order costs the log's servers no message of its own: the owner
// stores what finished since its last checkpoint as one segment, a few
// messages, before each checkpoint; a node that never folded those orders
// finds each of them there by its id, and an id never used in none.
TEST(JetStreamPartitionLog, FinishedOrdersAreStoredInAFewSegmentsNotAMessageEach) {
  NatsCluster cluster;
  auto a = open_node(cluster, "a", 200);
  auto owner = a->log->take_over();
  ASSERT_TRUE(owner) << owner.error().message();
  core::OrderStore store(**owner);
  const auto before = testing::drive_orders(store, 150, 31, 12);
  const Seq driven = a->log->head();
  ASSERT_TRUE(testing::eventually_true(
      [&] {
        auto c = a->log->checkpoint();
        return c && *c && (*c)->seq.value + 200 > driven.value;
      },
      20s));
  std::size_t finished = 0;
  for (const auto& state : before.states) finished += core::is_terminal(state.status) ? 1 : 0;
  ASSERT_GT(finished, 80u);

  auto segments = a->connection->stream_state("OEE_DONE");
  ASSERT_TRUE(segments) << segments.error().message();
  EXPECT_GE(segments->messages, 2u) << "no segment was stored";
  // A part and its head per segment, one segment per checkpoint.
  EXPECT_LE(segments->messages, 2 * (driven.value / 200 + 1));
  EXPECT_LT(segments->messages, finished / 4) << "about a message per finished order";
  EXPECT_FALSE(a->connection->stream_state("OEE_FINISHED")) << "the directory of the format before segments";

  auto b = open_node(cluster, "b", 200);
  EXPECT_GT(b->log->opened_from(), Seq{1});
  expect_same_orders(before, *b->log);
  auto unknown = b->log->snapshot(OrderId::random());
  ASSERT_TRUE(unknown) << unknown.error().message();
  EXPECT_FALSE(*unknown);
}

// A cluster that keeps finished orders as a message each (stream
// OEE_FINISHED, before segments) is refused at the opening, naming it,
// rather than read as if orders finished there had never been.
TEST(JetStreamPartitionLog, AClusterWithTheDirectoryOfTheFormatBeforeSegmentsIsRefused) {
  NatsCluster cluster;
  ConnectOptions c;
  c.urls = parse_urls(cluster.urls());
  auto connection = Connection::connect(c);
  StreamSpec old;
  old.name = "OEE_FINISHED";
  old.subjects = {"oee.finished.>"};
  ASSERT_TRUE(connection->ensure_stream(old, 30s));
  Publish p;
  p.subject = "oee.finished.p0." + OrderId::random().str();
  p.data = "record";
  ASSERT_TRUE(connection->publish(p));
  try {
    auto a = open_node(cluster, "a");
    ADD_FAILURE() << "a cluster of the older format was opened";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("OEE_FINISHED"), std::string::npos) << e.what();
  }
}

// A partition written before record batches (a message per event, on a
// subject per order) is refused at opening, with what to do.
TEST(JetStreamPartitionLog, AnOlderFormatsPartitionIsRefusedNamingItsFormat) {
  NatsCluster cluster;
  ConnectOptions c;
  c.urls = parse_urls(cluster.urls());
  auto connection = Connection::connect(c);
  StreamSpec spec;
  spec.name = partition_stream(PartitionId{0});
  spec.subjects = {"oee.p0.>"};
  ASSERT_TRUE(connection->ensure_stream(spec, 30s));
  const auto id = OrderId::random();
  const std::string data = encode_record(Record{Seq{0}, id, TimestampNs::now(), 1, "x"});
  Publish old;
  old.subject = "oee.p0.o." + id.str();
  old.data = data;
  ASSERT_TRUE(connection->publish(old));
  try {
    (void)open_node(cluster, "a");
    FAIL() << "a partition of the older format was opened";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("format before record batches"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("OEE_P0"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace oee::eventlog::jetstream

