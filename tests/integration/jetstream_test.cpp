// The cluster log's mechanism against a real 3-server NATS JetStream
// cluster on loopback: the partition count, replication, dedup ids, fencing
// by expected sequence, create-only subjects and keys, leases, and outages
// of one server and of all of them.

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <string>
#include <thread>

#include "eventlog/jetstream/connection.h"
#include "eventlog/jetstream/kv_bucket.h"
#include "eventlog/jetstream/layout.h"
#include "eventlog/jetstream/leases.h"
#include "eventually.h"
#include "nats_cluster.h"

namespace oee::eventlog::jetstream {
namespace {

using namespace std::chrono_literals;
using testing::eventually_true;
using testing::NatsCluster;

// How long a fresh 3-server cluster may take to place a stream or bucket (it
// answers "no suitable peers" until its meta group has formed): a deadline,
// not a sleep. Under the whole suite's load on 2 cores it took over 20 s once.
constexpr auto kFormingWait = 60s;

std::unique_ptr<Connection> connect(const NatsCluster& cluster, const std::string& name = "test") {
  ConnectOptions options;
  options.urls = parse_urls(cluster.urls());
  options.name = name;
  return Connection::connect(options);
}

StreamSpec partition_spec(std::uint32_t p) {
  StreamSpec spec;
  spec.name = partition_stream(PartitionId{p});
  spec.subjects = {"oee.p" + std::to_string(p) + ".>"};
  return spec;
}

Result<PublishAck> append(Connection& c, std::string_view data, std::string msg_id,
                          std::optional<Seq> expect = std::nullopt, std::string subject = "oee.p0.o.a") {
  Publish p;
  p.subject = std::move(subject);
  p.data = data;
  p.msg_id = std::move(msg_id);
  p.expect_last_seq = expect;
  p.timeout = 2s;
  return c.publish(p);
}

LeaseOptions lease_options(std::string node, std::chrono::milliseconds ttl, std::vector<std::string> keys) {
  LeaseOptions o;
  o.self = LeaseHolder{std::move(node), "1"};
  o.ttl = ttl;
  o.keys = std::move(keys);
  return o;
}

KvBucket bucket(Connection& c, std::string name, std::chrono::milliseconds ttl = 0ms) {
  BucketSpec spec;
  spec.name = std::move(name);
  spec.ttl = ttl;
  auto b = KvBucket::open(c, spec, kFormingWait);
  if (!b) throw std::runtime_error("bucket: " + b.error().message());
  return std::move(*b);
}

TEST(JetStreamCluster, ThePartitionCountIsRecordedOnceAndAnotherCountIsRefused) {
  NatsCluster cluster;
  auto c = connect(cluster);
  auto meta = bucket(*c, kMetaBucket);
  EXPECT_EQ(record_partitions(meta, 8), 8u);
  EXPECT_EQ(record_partitions(meta, 8), 8u);
  try {
    (void)record_partitions(meta, 4);
    FAIL() << "a node with another partition count was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("--partitions 8"), std::string::npos) << e.what();
  }
  // Another node, another connection: the same answer.
  auto other = connect(cluster, "other");
  auto other_meta = bucket(*other, kMetaBucket);
  EXPECT_THROW((void)record_partitions(other_meta, 16), std::runtime_error);
  EXPECT_EQ(record_partitions(other_meta, 8), 8u);
}

TEST(JetStreamCluster, APartitionStreamIsReplicatedOnEveryServer) {
  NatsCluster cluster;
  auto c = connect(cluster);
  auto replicas = c->ensure_stream(partition_spec(0), kFormingWait);
  ASSERT_TRUE(replicas) << replicas.error().message();
  EXPECT_EQ(*replicas, 3);
  ASSERT_TRUE(append(*c, "e1", "m1"));
  EXPECT_TRUE(eventually_true(
      [&] {
        auto state = c->stream_state(partition_stream(PartitionId{0}));
        return state && state->replicas == 3 && state->current_peers == 3 && state->last == Seq{1};
      },
      10s));
  // Asking again leaves the stream as it is.
  replicas = c->ensure_stream(partition_spec(0), kFormingWait);
  ASSERT_TRUE(replicas);
  EXPECT_EQ(*replicas, 3);
}

TEST(JetStreamCluster, OneServerKeepsOneCopy) {
  NatsCluster cluster(1);
  auto c = connect(cluster);
  auto replicas = c->ensure_stream(partition_spec(0), kFormingWait);
  ASSERT_TRUE(replicas) << replicas.error().message();
  EXPECT_EQ(*replicas, 1);
}

TEST(JetStreamCluster, APublishRetriedWithItsMsgIdIsStoredOnce) {
  NatsCluster cluster;
  auto c = connect(cluster);
  ASSERT_TRUE(c->ensure_stream(partition_spec(0), kFormingWait));
  auto first = append(*c, "event", "order-1/1");
  ASSERT_TRUE(first) << first.error().message();
  EXPECT_FALSE(first->duplicate);
  auto again = append(*c, "event", "order-1/1");
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->seq, first->seq);
  auto state = c->stream_state(partition_stream(PartitionId{0}));
  ASSERT_TRUE(state);
  EXPECT_EQ(state->messages, 1u);
  auto stored = c->get(partition_stream(PartitionId{0}), first->seq);
  ASSERT_TRUE(stored && *stored);
  EXPECT_EQ((*stored)->data, "event");
  EXPECT_EQ((*stored)->header("Nats-Msg-Id"), "order-1/1");
}

TEST(JetStreamCluster, AnAppendExpectingAStaleLastSequenceIsRefusedAndStoresNothing) {
  NatsCluster cluster;
  auto c = connect(cluster);
  ASSERT_TRUE(c->ensure_stream(partition_spec(0), kFormingWait));
  auto first = append(*c, "a", "a", Seq{0});
  ASSERT_TRUE(first) << first.error().message();
  EXPECT_EQ(first->seq, Seq{1});
  auto stale = append(*c, "b", "b", Seq{0});
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error(), JsErrc::wrong_last_sequence);
  auto ahead = append(*c, "c", "c", Seq{5});
  ASSERT_FALSE(ahead);
  EXPECT_EQ(ahead.error(), JsErrc::wrong_last_sequence);
  auto current = append(*c, "d", "d", Seq{1});
  ASSERT_TRUE(current) << current.error().message();
  EXPECT_EQ(current->seq, Seq{2});
  auto state = c->stream_state(partition_stream(PartitionId{0}));
  ASSERT_TRUE(state);
  EXPECT_EQ(state->messages, 2u);
  auto second = c->get(partition_stream(PartitionId{0}), Seq{2});
  ASSERT_TRUE(second && *second);
  EXPECT_EQ((*second)->data, "d");
}

TEST(JetStreamCluster, AFirstEventOnASubjectLandsOnce) {
  NatsCluster cluster;
  auto c = connect(cluster);
  ASSERT_TRUE(c->ensure_stream(partition_spec(0), kFormingWait));
  Publish p;
  p.subject = "oee.p0.o.order-1";
  p.data = "submitted";
  p.msg_id = "order-1/1";
  p.expect_new_subject = true;
  ASSERT_TRUE(c->publish(p));
  // The same order created again (another node, the same idempotency key):
  // a new msg id, refused by the subject's sequence.
  p.msg_id = "order-1/1-again";
  auto again = c->publish(p);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error(), JsErrc::wrong_last_sequence);
  p.subject = "oee.p0.o.order-2";
  p.msg_id = "order-2/1";
  EXPECT_TRUE(c->publish(p));
  auto last = c->last_on_subject(partition_stream(PartitionId{0}), "oee.p0.o.order-1");
  ASSERT_TRUE(last && *last);
  EXPECT_EQ((*last)->seq, Seq{1});
  auto none = c->last_on_subject(partition_stream(PartitionId{0}), "oee.p0.o.order-3");
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
}

TEST(JetStreamCluster, ASubjectIsReadBackExactlyWithItsHeadersAndTimes) {
  NatsCluster cluster;
  auto c = connect(cluster);
  ASSERT_TRUE(c->ensure_stream(partition_spec(0), kFormingWait));
  const auto before = std::chrono::system_clock::now();
  // Lengths 0 to 4 cover every base64 padding; bytes the JSON answer must
  // carry unharmed: NUL, quotes, high bytes.
  const std::vector<std::string> bodies = {std::string("x\0\"\xff", 4), "", "a", "ab", "abc"};
  for (std::size_t i = 0; i < bodies.size(); ++i) {
    Publish p;
    p.subject = "oee.p0.o.read-me";
    p.data = bodies[i];
    p.msg_id = "read-me/" + std::to_string(i);
    p.headers = {{"Oee-Part", std::to_string(i + 1) + "/5"}};
    p.timeout = 2s;
    ASSERT_TRUE(c->publish(p));
    ASSERT_TRUE(append(*c, "other", "other/" + std::to_string(i), std::nullopt, "oee.p0.o.other"));
  }
  const auto stream = partition_stream(PartitionId{0});
  auto all = c->read(stream, "oee.p0.o.read-me", Seq{1}, 100);
  ASSERT_TRUE(all) << all.error().message();
  ASSERT_EQ(all->size(), bodies.size());
  for (std::size_t i = 0; i < bodies.size(); ++i) {
    const auto& m = (*all)[i];
    EXPECT_EQ(m.seq, Seq{2 * i + 1});
    EXPECT_EQ(m.subject, "oee.p0.o.read-me");
    EXPECT_EQ(m.data, bodies[i]);
    EXPECT_EQ(m.header("Oee-Part"), std::to_string(i + 1) + "/5");
    const auto stored = std::chrono::system_clock::time_point(std::chrono::nanoseconds(m.ts.value));
    EXPECT_GE(stored, before - 5s);
    EXPECT_LE(stored, std::chrono::system_clock::now() + 5s);
  }
  auto tail = c->read(stream, "oee.p0.o.read-me", Seq{4}, 2);
  ASSERT_TRUE(tail);
  ASSERT_EQ(tail->size(), 2u);
  EXPECT_EQ((*tail)[0].seq, Seq{5});
  EXPECT_EQ((*tail)[1].seq, Seq{7});
  auto none = c->read(stream, "oee.p0.o.nobody", Seq{1}, 100);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  auto missing = c->read("OEE_NO_SUCH_STREAM", "oee.p0.o.read-me", Seq{1}, 100);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error(), JsErrc::not_found);
}

TEST(JetStreamCluster, KeysAreCreateOnlyAndUpdatedByRevision) {
  NatsCluster cluster;
  auto c = connect(cluster);
  auto kv = bucket(*c, "oee-test");
  auto created = kv.create("tx1", "landed");
  ASSERT_TRUE(created) << created.error().message();
  auto twice = kv.create("tx1", "landed again");
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error(), JsErrc::exists);
  auto got = kv.get("tx1");
  ASSERT_TRUE(got && *got);
  EXPECT_EQ((*got)->value, "landed");
  EXPECT_EQ((*got)->revision, *created);

  auto updated = kv.update("tx1", "v2", *created);
  ASSERT_TRUE(updated) << updated.error().message();
  auto stale = kv.update("tx1", "v3", *created);
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error(), JsErrc::wrong_last_sequence);

  ASSERT_TRUE(kv.erase("tx1"));
  auto gone = kv.get("tx1");
  ASSERT_TRUE(gone);
  EXPECT_FALSE(*gone);
  auto recreated = kv.create("tx1", "v4");
  ASSERT_TRUE(recreated) << recreated.error().message();
  auto absent = kv.get("never");
  ASSERT_TRUE(absent);
  EXPECT_FALSE(*absent);
}

TEST(JetStreamLeases, OneNodeHoldsALeaseAndAnotherTakesItOnceItExpires) {
  NatsCluster cluster;
  auto ca = connect(cluster, "a");
  auto cb = connect(cluster, "b");
  const auto ttl = 3s;
  std::atomic<int> a_gained{0}, b_gained{0};
  const auto oa = lease_options("a", ttl, {"p0"});
  const auto ob = lease_options("b", ttl, {"p0"});
  auto a = std::make_unique<LeaseKeeper>(bucket(*ca, kLeaseBucket, ttl), oa,
                                         [&](const std::string&, bool held) { a_gained += held ? 1 : 0; });
  a->start();
  ASSERT_TRUE(eventually_true([&] { return a_gained == 1; }, 10s));
  LeaseKeeper b(bucket(*cb, kLeaseBucket, ttl), ob, [&](const std::string&, bool held) { b_gained += held ? 1 : 0; });
  b.start();
  // While a renews, b never gets it: a few of its rounds pass.
  const auto renewing_until = std::chrono::steady_clock::now() + 2 * ttl;
  while (std::chrono::steady_clock::now() < renewing_until) {
    ASSERT_EQ(b_gained, 0);
    std::this_thread::sleep_for(50ms);
  }
  auto leases = bucket(*ca, kLeaseBucket, ttl);
  auto holder = lease_holder(leases, "p0");
  ASSERT_TRUE(holder && *holder);
  EXPECT_EQ((*holder)->node, "a");

  // a stops renewing without letting go (as if it died): b takes over
  // after the TTL.
  const auto stopped = std::chrono::steady_clock::now();
  a->stop(false);
  ASSERT_TRUE(eventually_true([&] { return b_gained == 1; }, 3 * (ttl + 2s)));
  EXPECT_GE(std::chrono::steady_clock::now() - stopped, ttl - 200ms) << "taken before the lease expired";
  holder = lease_holder(leases, "p0");
  ASSERT_TRUE(holder && *holder);
  EXPECT_EQ((*holder)->node, "b");
  EXPECT_EQ(b.held(), std::vector<std::string>{"p0"});
}

TEST(JetStreamLeases, AReleasedLeaseIsTakenWithoutWaitingForItsTtl) {
  NatsCluster cluster;
  auto c = connect(cluster);
  const auto ttl = 30s;  // longer than the test may wait
  std::atomic<int> b_gained{0};
  LeaseKeeper a(bucket(*c, kLeaseBucket, ttl), lease_options("a", ttl, {"p0", "p1"}), [](const std::string&, bool) {});
  a.start();
  ASSERT_TRUE(eventually_true([&] { return a.held().size() == 2; }, 10s));
  const auto ob = lease_options("b", 300ms, {"p0", "p1"});  // b retries free keys often
  LeaseKeeper b(bucket(*c, kLeaseBucket, ttl), ob, [&](const std::string&, bool held) { b_gained += held ? 1 : 0; });
  b.start();
  a.stop(true);
  EXPECT_TRUE(eventually_true([&] { return b_gained == 2; }, 10s));
}

TEST(JetStreamLeases, AHolderWhoseRenewalIsRefusedLosesTheLease) {
  NatsCluster cluster;
  auto c = connect(cluster);
  const auto ttl = 900ms;
  std::atomic<int> lost{0};
  LeaseKeeper a(bucket(*c, kLeaseBucket, ttl), lease_options("a", ttl, {"p0"}),
                [&](const std::string&, bool held) { lost += held ? 0 : 1; });
  a.start();
  ASSERT_TRUE(eventually_true([&] { return a.held().size() == 1; }, 10s));
  // Someone else overwrote the key (an operator, or a lease that expired
  // and was taken while a was paused): a's next renewal is refused.
  auto leases = bucket(*c, kLeaseBucket, ttl);
  ASSERT_TRUE(leases.put("p0", LeaseHolder{"b", "1"}.encode()));
  ASSERT_TRUE(eventually_true([&] { return lost == 1; }, 5s));
  EXPECT_TRUE(a.held().empty());
}

// The fencing rule at the level of the log: the new owner's first append
// is its PartitionTaken at the tail it read; the old owner, paused while it
// lost the lease, appends with the tail it knew and is refused, so none of
// its events lands after the takeover.
TEST(JetStreamCluster, AnOldOwnersAppendAfterATakeoverIsRefused) {
  NatsCluster cluster;
  auto old_owner = connect(cluster, "a");
  auto new_owner = connect(cluster, "b");
  ASSERT_TRUE(old_owner->ensure_stream(partition_spec(0), kFormingWait));
  Seq a_tail{0};
  for (int i = 0; i < 3; ++i) {
    auto ack = append(*old_owner, "a-event", "a-" + std::to_string(i), a_tail);
    ASSERT_TRUE(ack) << ack.error().message();
    a_tail = ack->seq;
  }
  auto state = new_owner->stream_state(partition_stream(PartitionId{0}));
  ASSERT_TRUE(state);
  auto taken = append(*new_owner, "taken by b", "taken-b-1", state->last, batch_subject(PartitionId{0}));
  ASSERT_TRUE(taken) << taken.error().message();
  auto late = append(*old_owner, "a-event", "a-3", a_tail);
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error(), JsErrc::wrong_last_sequence);
  state = new_owner->stream_state(partition_stream(PartitionId{0}));
  ASSERT_TRUE(state);
  EXPECT_EQ(state->last, taken->seq);
}

// Fenced appends sent as one pipeline (what a partition's owner does when
// several orders step at once): the first expects the tail, each other the
// one before it as the stream's last message. They land in order, each
// acknowledged; once another node's event is at the tail, the whole
// pipeline of the old owner is refused and nothing of it lands.
std::vector<Publish> pipeline(const std::string& writer, int count, Seq tail) {
  std::vector<Publish> out;
  for (int i = 0; i < count; ++i) {
    Publish p;
    p.subject = "oee.p0.o.order" + std::to_string(i);
    p.data = "event";
    p.msg_id = writer + "-" + std::to_string(tail.value) + "-" + std::to_string(i);
    if (i == 0) {
      p.expect_last_seq = tail;
    } else {
      p.expect_last_msg_id = out.back().msg_id;
    }
    out.push_back(std::move(p));
  }
  return out;
}

TEST(JetStreamCluster, APipelineLandsInOrderAndNothingOfItLandsAfterAnotherWritersEvent) {
  NatsCluster cluster;
  auto owner = connect(cluster, "a");
  auto other = connect(cluster, "b");
  ASSERT_TRUE(owner->ensure_stream(partition_spec(0), kFormingWait));
  const auto acks = owner->publish_all(pipeline("a", 200, Seq{0}), 10s);
  ASSERT_EQ(acks.size(), 200u);
  for (std::size_t i = 0; i < acks.size(); ++i) {
    ASSERT_TRUE(acks[i]) << i << ": " << acks[i].error().message();
    EXPECT_EQ(acks[i]->seq.value, i + 1);
    EXPECT_FALSE(acks[i]->duplicate);
  }
  // The same pipeline again (its answers lost, say): every one is found
  // by its msg id, nothing is stored twice.
  const auto again = owner->publish_all(pipeline("a", 200, Seq{0}), 10s);
  for (std::size_t i = 0; i < again.size(); ++i) {
    ASSERT_TRUE(again[i]) << i;
    EXPECT_TRUE(again[i]->duplicate);
    EXPECT_EQ(again[i]->seq.value, i + 1);
  }
  // Another node takes the partition over at the tail; the old owner's
  // next pipeline, decided on that tail, is refused whole.
  auto taken = append(*other, "taken by b", "taken-b", Seq{200}, batch_subject(PartitionId{0}));
  ASSERT_TRUE(taken) << taken.error().message();
  const auto late = owner->publish_all(pipeline("a", 20, Seq{200}), 10s);
  for (const auto& ack : late) {
    ASSERT_FALSE(ack);
    EXPECT_EQ(ack.error(), JsErrc::wrong_last_sequence);
  }
  auto state = other->stream_state(partition_stream(PartitionId{0}));
  ASSERT_TRUE(state);
  EXPECT_EQ(state->last, taken->seq);
  // One that skips the fence is refused as well: its chain names an event
  // that is not the last.
  auto chained = pipeline("a", 2, Seq{200});
  chained.erase(chained.begin());
  const auto skipped = owner->publish_all(chained, 10s);
  ASSERT_FALSE(skipped[0]);
  EXPECT_EQ(skipped[0].error(), JsErrc::wrong_last_sequence);
}

// kill -9 of the stream's leader while appends go on: each append that
// fails for want of an answer is retried with its msg id until it is
// acknowledged; afterwards the stream holds every append once, in order.
TEST(JetStreamCluster, KillingTheLeaderLosesAndDoublesNoAcknowledgedAppend) {
  NatsCluster cluster;
  auto c = connect(cluster);
  ASSERT_TRUE(c->ensure_stream(partition_spec(0), kFormingWait));
  constexpr int kAppends = 200;
  std::vector<Seq> acked;
  int retries = 0;
  for (int i = 0; i < kAppends; ++i) {
    if (i == kAppends / 4) {
      auto state = c->stream_state(partition_stream(PartitionId{0}));
      ASSERT_TRUE(state && !state->leader.empty());
      cluster.kill(NatsCluster::index_of(state->leader));
    }
    if (i == kAppends * 3 / 4) {
      for (int s = 0; s < cluster.size(); ++s) {
        try {
          cluster.resume(s);
        } catch (const std::exception&) {  // running already
        }
      }
    }
    const auto data = "event-" + std::to_string(i);
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    for (;;) {
      auto ack = append(*c, data, "id-" + std::to_string(i));
      if (ack) {
        acked.push_back(ack->seq);
        break;
      }
      ASSERT_TRUE(ack.error() == JsErrc::timeout || ack.error() == JsErrc::not_connected) << ack.error().message();
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "no leader came back for append " << i;
      ++retries;
      std::this_thread::sleep_for(100ms);
    }
  }
  auto state = c->stream_state(partition_stream(PartitionId{0}));
  ASSERT_TRUE(state);
  EXPECT_EQ(state->messages, static_cast<std::uint64_t>(kAppends));
  std::set<std::string> seen;
  for (int i = 0; i < kAppends; ++i) {
    auto m = c->get(partition_stream(PartitionId{0}), acked[static_cast<std::size_t>(i)]);
    ASSERT_TRUE(m && *m) << "acked append " << i << " is missing";
    EXPECT_EQ((*m)->data, "event-" + std::to_string(i));
    EXPECT_TRUE(seen.insert((*m)->data).second);
  }
  EXPECT_GT(retries, 0) << "the leader's death went unnoticed: the test did not test a failover";
  RecordProperty("retries", retries);
}

TEST(JetStreamCluster, WithEveryServerDownAppendsFailFastAndResumeAfterwards) {
  NatsCluster cluster;
  auto c = connect(cluster);
  ASSERT_TRUE(c->ensure_stream(partition_spec(0), kFormingWait));
  ASSERT_TRUE(append(*c, "before", "before"));
  for (int s = 0; s < cluster.size(); ++s) cluster.kill(s);
  ASSERT_TRUE(eventually_true([&] { return !c->connected(); }, 10s));
  const auto started = std::chrono::steady_clock::now();
  auto refused = append(*c, "during", "during");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), JsErrc::not_connected);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 6s);
  for (int s = 0; s < cluster.size(); ++s) cluster.resume(s);
  EXPECT_TRUE(eventually_true([&] { return static_cast<bool>(append(*c, "after", "after")); }, 60s));
  auto state = c->stream_state(partition_stream(PartitionId{0}));
  ASSERT_TRUE(state);
  EXPECT_EQ(state->messages, 2u) << "the refused append must not have been stored";
}

TEST(JetStreamCluster, AWrongPasswordIsRefusedWithoutShowingIt) {
  NatsCluster cluster;
  ConnectOptions options;
  options.urls = parse_urls(cluster.urls_with_password("not-the-password"));
  try {
    (void)Connection::connect(options);
    FAIL() << "connected with a wrong password";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("cannot connect to the NATS cluster"), std::string::npos) << what;
    EXPECT_EQ(what.find("not-the-password"), std::string::npos) << what;
  }
}

// The tools' user (oee-logdump, oee-projector, oee-chaos's checks) reads
// the cluster and changes nothing: its stream creation, its appends and its
// key writes are refused by the servers, and nothing of them is stored;
// the same reads work. The nodes' user does what a node does.
TEST(JetStreamCluster, TheToolsUserReadsAndCanStoreNothing) {
  NatsCluster cluster;
  auto node = connect(cluster, "node");
  ASSERT_TRUE(node->ensure_stream(partition_spec(0), kFormingWait));
  ASSERT_TRUE(append(*node, "submitted", "order-1/1"));
  auto kv = bucket(*node, "oee-test");
  ASSERT_TRUE(kv.create("sig-1", "100"));

  ConnectOptions options;
  options.urls = parse_urls(cluster.tools_urls());
  options.name = "a tool";
  options.read_only = true;
  options.request_timeout = 2s;
  auto tool = Connection::connect(options);
  // Reads.
  auto events = tool->read(partition_stream(PartitionId{0}), "oee.p0.o.a", Seq{1}, 10);
  ASSERT_TRUE(events) << events.error().message();
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].data, "submitted");
  auto all = tool->read(partition_stream(PartitionId{0}), "oee.p0.>", Seq{1}, 10);
  ASSERT_TRUE(all) << all.error().message();
  EXPECT_EQ(all->size(), 1u);
  auto tools_kv = KvBucket::open(*tool, BucketSpec{"oee-test"}, 10s);
  ASSERT_TRUE(tools_kv) << tools_kv.error().message();
  auto landed = tools_kv->get("sig-1");
  ASSERT_TRUE(landed && *landed);
  EXPECT_EQ((*landed)->value, "100");
  auto entries = tools_kv->entries();
  ASSERT_TRUE(entries) << entries.error().message();
  EXPECT_EQ(entries->size(), 1u);
  // Following, with no consumer: what is stored, then what comes.
  auto followed = tool->follow(partition_stream(PartitionId{0}), "oee.p0.>", Seq{1});
  ASSERT_TRUE(followed) << followed.error().message();
  auto first = (*followed)->next(5s);
  ASSERT_TRUE(first && *first) << "nothing followed";
  EXPECT_EQ((*first)->data, "submitted");
  EXPECT_EQ((*followed)->pending(), 0u);
  ASSERT_TRUE(append(*node, "routed", "order-1/2"));
  auto second = (*followed)->next(5s);
  ASSERT_TRUE(second && *second) << "what came was not followed";
  EXPECT_EQ((*second)->data, "routed");
  EXPECT_EQ((*second)->seq, Seq{2});

  // Writes, each refused, none stored.
  auto again = append(*tool, "forged", "order-1/forged");
  EXPECT_FALSE(again) << "the tools' user appended to a partition";
  EXPECT_FALSE(tools_kv->create("sig-2", "1")) << "the tools' user wrote the chain's ledger";
  ConnectOptions writer_options = options;
  writer_options.read_only = false;
  auto writer = Connection::connect(writer_options);
  StreamSpec made;
  made.name = "OEE_FORGED";
  made.subjects = {"forged.>"};
  EXPECT_FALSE(writer->ensure_stream(made, 3s)) << "the tools' user made a stream";
  // No consumer either: one may deliver anywhere, a subject nodes listen to
  // included (docs/security.md).
  EXPECT_FALSE(writer->follow(partition_stream(PartitionId{0}), "oee.p0.>", Seq{1})) << "the tools' user made a consumer";
  Publish consumer;
  consumer.subject = "$JS.API.CONSUMER.CREATE." + partition_stream(PartitionId{0});
  consumer.data = R"({"stream_name":"OEE_P0","config":{"deliver_subject":"oee.live.p1","deliver_policy":"all",)"
                  R"("ack_policy":"none"}})";
  const auto made_consumer = writer->request_all(std::span(&consumer, 1), 2s);
  EXPECT_TRUE(!made_consumer.front() || made_consumer.front()->find("\"error\"") != std::string::npos)
      << "the tools' user made a consumer: " << *made_consumer.front();
  auto state = node->stream_state(partition_stream(PartitionId{0}));
  ASSERT_TRUE(state);
  EXPECT_EQ(state->messages, 2u);
  EXPECT_FALSE(node->stream_state("OEE_FORGED"));
  auto forged = kv.get("sig-2");
  ASSERT_TRUE(forged);
  EXPECT_FALSE(*forged);
}

}  // namespace
}  // namespace oee::eventlog::jetstream
