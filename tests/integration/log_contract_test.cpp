// The log contract (eventlog/event_log.h) as every backend keeps it, one
// typed suite run on each: the embedded RocksDB log in a temp directory,
// and one partition of the cluster log on a real 3-server NATS JetStream
// cluster, written through its owner's writer. What only one backend does
// (a RocksDB secondary, a takeover) is tested in that backend's suite.
//
// Positions are relative to where a test begins: a cluster partition's
// first record is its owner's takeover, which the log holds as its own.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include "eventlog/event_log.h"
#include "eventlog/rocksdb/rocksdb_log.h"
#include "eventually.h"
#include "log_futures.h"
#include "owned_partition.h"

namespace oee::eventlog::contract {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::append_future;
using testing::append_wait;
using testing::await_result;

// An event that says in its payload what it does to its order, and the
// fold that reads it back, so that every backend folds it alike: 'F' (it
// finishes the order) or 'O', then the order's snapshot after it.
AppendCommand told(const OrderId& order, std::string snapshot, bool finishes = false,
                   std::vector<std::pair<OrderSet, bool>> sets = {}) {
  std::string payload = (finishes ? "F" : "O") + snapshot;
  return AppendCommand{order, TimestampNs{}, 1, std::move(payload), std::move(snapshot), finishes, false,
                       std::move(sets), {}};
}

Result<FoldedEvent> fold_told(std::string_view, const Record& r) {
  if (r.payload.empty() || (r.payload[0] != 'F' && r.payload[0] != 'O')) return make_error_code(Errc::corrupted);
  return FoldedEvent{r.payload.substr(1), r.payload[0] == 'F'};
}

/// The embedded log, a primary in a fresh temp directory.
class EmbeddedLog {
 public:
  EmbeddedLog()
      : root_(fs::temp_directory_path() / ("oee-log-contract-" + std::to_string(::getpid()) + "-" +
                                           OrderId::random().str())) {
    fs::create_directories(root_);
    Options o;
    o.path = (root_ / "db").string();
    o.fold = fold_told;
    log_ = open_primary(o);
  }
  ~EmbeddedLog() {
    log_.reset();
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  LogPartitionWriter& writer() { return *log_; }
  void drop() { log_.reset(); }

 private:
  fs::path root_;
  std::unique_ptr<LogPartitionWriter> log_;
};

/// A fresh partition of a cluster log (OwnedPartition): its owner's writer.
class ClusterPartition {
 public:
  ClusterPartition() : writer_(partition_.open()) {}
  LogPartitionWriter& writer() { return *writer_; }
  void drop() {
    writer_.reset();
    partition_.close();
  }

 private:
  testing::OwnedPartition partition_{"contract", fold_told};
  std::unique_ptr<LogPartitionWriter> writer_;
};

template <class Backend>
class LogContract : public ::testing::Test {
 protected:
  LogPartitionWriter& log() { return backend_.writer(); }
  /// Where the test's own records begin: after what the backend holds already.
  Seq base_ = Seq{0};
  void SetUp() override { base_ = log().head(); }
  [[nodiscard]] std::uint64_t at(std::uint64_t i) const { return base_.value + i; }
  /// The log goes; log() may not be called after.
  void drop_log() { backend_.drop(); }

 private:
  Backend backend_;
};

class BackendNames {
 public:
  template <class T>
  static std::string GetName(int) {
    return std::is_same_v<T, EmbeddedLog> ? "RocksDb" : "JetStreamPartition";
  }
};

using Backends = ::testing::Types<EmbeddedLog, ClusterPartition>;
TYPED_TEST_SUITE(LogContract, Backends, BackendNames);

// prefix + n, without GCC 12's false -Wrestrict on "literal" + std::string.
std::string numbered(std::string prefix, int n) {
  prefix += std::to_string(n);
  return prefix;
}

std::vector<std::uint64_t> seqs_of(const std::vector<Record>& records) {
  std::vector<std::uint64_t> out;
  for (const auto& r : records) out.push_back(r.seq.value);
  return out;
}

TYPED_TEST(LogContract, AppendsGetTheNextPositionsAndReadBackAsWritten) {
  const OrderId a = OrderId::random(), b = OrderId::random();
  for (std::uint64_t i = 1; i <= 5; ++i) {
    auto c = told(i % 2 ? a : b, std::string("s\0", 2) + std::to_string(i));  // binary-safe
    c.ts = TimestampNs{1000 + static_cast<std::int64_t>(i)};
    const auto r = append_wait(this->log(), std::move(c));
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->seq.value, this->at(i));
    EXPECT_EQ(this->log().head().value, this->at(i));
  }
  const auto all = this->log().read(Seq{this->at(1)}, 100);
  ASSERT_TRUE(all) << all.error().message();
  ASSERT_EQ(all->size(), 5u);
  for (std::uint64_t i = 1; i <= 5; ++i) {
    const Record& r = (*all)[i - 1];
    EXPECT_EQ(r.seq.value, this->at(i));
    EXPECT_EQ(r.order, i % 2 ? a : b);
    EXPECT_EQ(r.ts.value, 1000 + static_cast<std::int64_t>(i));
    EXPECT_EQ(r.payload, std::string("Os\0", 3) + std::to_string(i));
  }
  const auto two = this->log().read(Seq{this->at(3)}, 2);
  ASSERT_TRUE(two);
  EXPECT_EQ(seqs_of(*two), (std::vector<std::uint64_t>{this->at(3), this->at(4)}));
  EXPECT_TRUE(this->log().read(Seq{this->at(6)}, 10)->empty());
}

TYPED_TEST(LogContract, AnOrdersEventsReadBackFromAnyPosition) {
  const OrderId a = OrderId::random(), b = OrderId::random();
  for (std::uint64_t i = 1; i <= 9; ++i) ASSERT_TRUE(append_wait(this->log(), told(i % 3 == 1 ? a : b, "x")));
  EXPECT_EQ(seqs_of(this->log().read_order(a).value()),
            (std::vector<std::uint64_t>{this->at(1), this->at(4), this->at(7)}));
  EXPECT_EQ(this->log().read_order(b).value().size(), 6u);
  EXPECT_EQ(seqs_of(this->log().read_order(a, Seq{this->at(2)}).value()),
            (std::vector<std::uint64_t>{this->at(4), this->at(7)}));
  EXPECT_TRUE(this->log().read_order(OrderId::random()).value().empty());
}

TYPED_TEST(LogContract, AnOrdersSnapshotIsItsLatestAndAFinishedOrderKeepsItsRecord) {
  const OrderId a = OrderId::random(), b = OrderId::random();
  EXPECT_FALSE(this->log().snapshot(a).value().has_value());
  ASSERT_TRUE(append_wait(this->log(), told(a, "a1")));
  ASSERT_TRUE(append_wait(this->log(), told(b, "b1")));
  const auto a2 = append_wait(this->log(), told(a, "a2"));
  ASSERT_TRUE(a2);
  const auto snap = this->log().snapshot(a).value();
  ASSERT_TRUE(snap.has_value());
  EXPECT_EQ(snap->snapshot, "a2");
  EXPECT_EQ(snap->last_seq, a2->seq);
  auto open = this->log().members(OrderSet::active, 100).value();
  EXPECT_EQ(std::set<OrderId>(open.begin(), open.end()), (std::set<OrderId>{a, b}));
  EXPECT_FALSE(this->log().finished_record(a).value().has_value()) << "an open order has no finished record";

  const auto done = append_wait(this->log(), told(a, "a3", true));
  ASSERT_TRUE(done);
  open = this->log().members(OrderSet::active, 100).value();
  EXPECT_EQ(open, (std::vector<OrderId>{b}));
  const auto record = this->log().finished_record(a).value();
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->snapshot, "a3");
  EXPECT_EQ(record->seqs, (std::vector<Seq>{Seq{this->at(1)}, a2->seq, done->seq}));
  const auto after = this->log().snapshot(a).value();
  ASSERT_TRUE(after.has_value()) << "a finished order reads as it finished";
  EXPECT_EQ(after->snapshot, "a3");
}

TYPED_TEST(LogContract, AppendAllStoresInTheOrderGivenAndAnswersEach) {
  std::vector<OrderId> ids;
  std::vector<AppendRequest> requests;
  auto answers = std::make_shared<std::vector<std::uint64_t>>(8, 0);
  auto answered = std::make_shared<std::atomic<int>>(0);
  for (std::size_t i = 0; i < 8; ++i) {
    ids.push_back(OrderId::random());
    requests.push_back(AppendRequest{told(ids.back(), std::to_string(i)),
                                     [answers, answered, i](Result<AppendOutcome> r) {
                                       if (r) (*answers)[i] = r->seq.value;
                                       answered->fetch_add(1);
                                     }});
  }
  this->log().append_all(std::move(requests));
  ASSERT_TRUE(testing::eventually_true([&] { return answered->load() == 8; }, 30s));
  for (std::size_t i = 0; i < 8; ++i) EXPECT_EQ((*answers)[i], this->at(i + 1)) << "request " << i;
  const auto stored = this->log().read(Seq{this->at(1)}, 100).value();
  ASSERT_EQ(stored.size(), 8u);
  for (std::size_t i = 0; i < 8; ++i) EXPECT_EQ(stored[i].order, ids[i]);
}

TYPED_TEST(LogContract, ConcurrentAppendsGetDistinctPositionsWithNoGap) {
  constexpr int kThreads = 4, kEach = 25;
  std::mutex mu;
  std::vector<std::uint64_t> seqs;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        const auto r = append_wait(this->log(), told(OrderId::random(), "c"));
        std::lock_guard lock(mu);
        seqs.push_back(r ? r->seq.value : 0);
      }
    });
  }
  for (auto& t : threads) t.join();
  std::sort(seqs.begin(), seqs.end());
  std::vector<std::uint64_t> expected;
  for (std::uint64_t i = 1; i <= kThreads * kEach; ++i) expected.push_back(this->at(i));
  EXPECT_EQ(seqs, expected);
}

TYPED_TEST(LogContract, ListenersHearEveryRecordInOrderBeforeItsAppendIsAnswered) {
  std::mutex mu;
  std::vector<std::uint64_t> heard;
  auto subscription = this->log().on_commit([&](std::span<const Record> records) {
    std::lock_guard lock(mu);
    for (const auto& r : records)
      if (r.seq > this->base_) heard.push_back(r.seq.value);
  });
  for (std::uint64_t i = 1; i <= 6; ++i) {
    const auto r = append_wait(this->log(), told(OrderId::random(), "l"));
    ASSERT_TRUE(r);
    std::lock_guard lock(mu);
    ASSERT_FALSE(heard.empty());
    EXPECT_EQ(heard.back(), r->seq.value) << "answered before its record was heard";
  }
  subscription.reset();
  ASSERT_TRUE(append_wait(this->log(), told(OrderId::random(), "after")));
  std::lock_guard lock(mu);
  std::vector<std::uint64_t> expected;
  for (std::uint64_t i = 1; i <= 6; ++i) expected.push_back(this->at(i));
  EXPECT_EQ(heard, expected) << "a reset subscription heard more";
}

TYPED_TEST(LogContract, AWaitForThePositionAfterTheHeadEndsWithTheNextAppend) {
  const Seq head = this->log().head();
  auto waited = std::async(std::launch::async, [&] { return this->log().wait_beyond(head, 30s); });
  EXPECT_EQ(waited.wait_for(100ms), std::future_status::timeout) << "it returned with nothing appended";
  ASSERT_TRUE(append_wait(this->log(), told(OrderId::random(), "w")));
  ASSERT_EQ(waited.wait_for(30s), std::future_status::ready);
  EXPECT_EQ(waited.get().value, head.value + 1);
  EXPECT_EQ(this->log().wait_beyond(Seq{head.value + 1}, 10ms).value, head.value + 1) << "a wait with nothing new";
}


// An event that gives no snapshot keeps the one before; an order no event
// gave one has none, open or finished, and is open all the same.
TYPED_TEST(LogContract, AnEventWithNoSnapshotKeepsTheOneBefore) {
  const OrderId a = OrderId::random();
  ASSERT_TRUE(append_wait(this->log(), told(a, "a1")));
  const auto kept = append_wait(this->log(), told(a, ""));
  ASSERT_TRUE(kept);
  auto snap = this->log().snapshot(a).value();
  ASSERT_TRUE(snap.has_value());
  EXPECT_EQ(snap->snapshot, "a1");
  EXPECT_EQ(snap->last_seq, kept->seq) << "the entry is at the order's last event";
  const auto done = append_wait(this->log(), told(a, "", true));
  ASSERT_TRUE(done);
  const auto record = this->log().finished_record(a).value();
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->snapshot, "a1") << "its record keeps the snapshot its finish did not give";
  snap = this->log().snapshot(a).value();
  ASSERT_TRUE(snap.has_value());
  EXPECT_EQ(snap->snapshot, "a1");
  EXPECT_EQ(snap->last_seq, done->seq);

  const OrderId bare = OrderId::random();
  const auto first = append_wait(this->log(), told(bare, ""));
  ASSERT_TRUE(first);
  EXPECT_FALSE(this->log().snapshot(bare).value().has_value());
  EXPECT_EQ(seqs_of(this->log().read_order(bare).value()), std::vector<std::uint64_t>{first->seq.value})
      << "an open order with no snapshot yet reads back";
  const auto open = this->log().members(OrderSet::active, 100).value();
  EXPECT_NE(std::find(open.begin(), open.end(), bare), open.end()) << "and is open";
  ASSERT_TRUE(append_wait(this->log(), told(bare, "", true)));
  EXPECT_FALSE(this->log().snapshot(bare).value().has_value());
  EXPECT_EQ(this->log().read_order(bare).value().size(), 2u);
}

// `active` lists the open orders: an order leaves it with the event that
// finishes it and comes back with a later one, and set_membership entries
// for it change nothing. The stored sets follow set_membership.
TYPED_TEST(LogContract, ActiveIsTheOpenOrdersAndStoredSetsFollowTheCommands) {
  auto& log = this->log();
  const auto members = [&](OrderSet set, std::size_t max) { return log.members(set, max).value(); };
  const OrderId a = OrderId::random(), b = OrderId::random(), c = OrderId::random();
  for (const OrderId& id : {a, b}) ASSERT_TRUE(append_wait(log, told(id, "new")));
  EXPECT_EQ(members(OrderSet::active, 100), (std::vector<OrderId>{std::min(a, b), std::max(a, b)})) << "by their bytes";
  EXPECT_EQ(members(OrderSet::active, 1), std::vector<OrderId>{std::min(a, b)});
  EXPECT_TRUE(members(OrderSet::active, 0).empty());
  EXPECT_TRUE(members(OrderSet::dead_letter, 100).empty());
  ASSERT_TRUE(append_wait(log, told(a, "failed", true, {{OrderSet::dead_letter, true}})));
  EXPECT_EQ(members(OrderSet::active, 100), std::vector<OrderId>{b});
  EXPECT_EQ(members(OrderSet::dead_letter, 100), std::vector<OrderId>{a});

  ASSERT_TRUE(append_wait(log, told(b, "still open", false, {{OrderSet::active, false}})));
  ASSERT_TRUE(append_wait(log, told(c, "finished at once", true, {{OrderSet::active, true}})));
  EXPECT_EQ(members(OrderSet::active, 100), std::vector<OrderId>{b}) << "set_membership of `active` is ignored";
  EXPECT_EQ(log.stats().open_orders.load(), 1u);

  ASSERT_TRUE(append_wait(log, told(a, "taken up again")));
  EXPECT_EQ(members(OrderSet::active, 100), (std::vector<OrderId>{std::min(a, b), std::max(a, b)}));
  EXPECT_EQ(members(OrderSet::dead_letter, 100), std::vector<OrderId>{a}) << "only its command clears it";
  ASSERT_TRUE(append_wait(log, told(a, "cleared", false, {{OrderSet::dead_letter, false}})));
  EXPECT_TRUE(members(OrderSet::dead_letter, 100).empty());
  EXPECT_EQ(log.stats().open_orders.load(), 2u);
}

// A key's order (its id is the key's) begun by several requests at once:
// one is stored, and every other is answered with it and its fingerprint,
// nothing of theirs stored.
TYPED_TEST(LogContract, AKeysOrderBegunAtOnceIsStoredOnceAndAnswersEveryRequest) {
  constexpr int kKeys = 10, kRacers = 3;
  for (int k = 0; k < kKeys; ++k) {
    const OrderId keyed = OrderId::random();
    std::vector<std::future<Result<AppendOutcome>>> racers;
    for (int j = 0; j < kRacers; ++j) {
      auto c = told(keyed, numbered("r", j));
      c.begins = true;
      c.idempotency = IdempotencyClaim{keyed.str(), numbered("fp-", j)};
      racers.push_back(append_future(this->log(), std::move(c)));
    }
    int stored = -1;
    std::vector<IdempotencyEntry> answered;
    for (int j = 0; j < kRacers; ++j) {
      const auto r = await_result(racers[j]);
      ASSERT_TRUE(r) << "racer " << j << ": " << r.error().message();
      if (r->existing) {
        EXPECT_EQ(r->seq.value, 0u);
        answered.push_back(*r->existing);
      } else {
        EXPECT_EQ(stored, -1) << "the key's order was stored twice";
        stored = j;
      }
    }
    ASSERT_NE(stored, -1) << "no racer stored the key's order";
    for (const auto& e : answered) {
      EXPECT_EQ(e.order, keyed);
      EXPECT_EQ(e.fingerprint, numbered("fp-", stored));
    }
    EXPECT_EQ(this->log().read_order(keyed).value().size(), 1u);
    EXPECT_EQ((*this->log().snapshot(keyed).value()).snapshot, numbered("r", stored));
  }
}

TYPED_TEST(LogContract, AResetSubscriptionHearsNothingMore) {
  std::atomic<int> heard{0};
  auto subscription = this->log().on_commit([&](std::span<const Record> records) {
    for (const auto& r : records) heard += r.seq > this->base_ ? 1 : 0;
  });
  ASSERT_TRUE(append_wait(this->log(), told(OrderId::random(), "heard")));
  EXPECT_EQ(heard.load(), 1);
  subscription.reset();
  EXPECT_FALSE(subscription);
  ASSERT_TRUE(append_wait(this->log(), told(OrderId::random(), "not heard")));
  EXPECT_EQ(heard.load(), 1);
}

// Once reset() returns, the listener is not running: its owner may go.
TYPED_TEST(LogContract, ResetWaitsForTheListenerItInterrupts) {
  std::promise<void> entered;
  std::promise<void> release;
  auto released = release.get_future().share();
  std::atomic<bool> finished{false};
  std::once_flag once;
  auto subscription = this->log().on_commit([&, released](std::span<const Record>) {
    std::call_once(once, [&] { entered.set_value(); });
    released.wait();
    finished = true;
  });
  auto appended = append_future(this->log(), told(OrderId::random(), "slow listener"));
  ASSERT_EQ(entered.get_future().wait_for(30s), std::future_status::ready);
  auto resetter = std::async(std::launch::async, [&] {
    subscription.reset();
    return finished.load();
  });
  release.set_value();
  ASSERT_EQ(resetter.wait_for(30s), std::future_status::ready);
  EXPECT_TRUE(resetter.get()) << "reset() returned before its listener finished";
  ASSERT_TRUE(await_result(appended).has_value());
}

// A listener may drop its own subscription (an owner that goes away on the
// log's thread) without waiting for itself.
TYPED_TEST(LogContract, AListenerMayResetItsOwnSubscription) {
  std::atomic<int> heard{0};
  CommitSubscription subscription;
  subscription = this->log().on_commit([&](std::span<const Record>) {
    ++heard;
    subscription.reset();
  });
  ASSERT_TRUE(append_wait(this->log(), told(OrderId::random(), "first")));
  ASSERT_TRUE(append_wait(this->log(), told(OrderId::random(), "second")));
  EXPECT_EQ(heard.load(), 1);
}

// Fails as a use-after-free (caught by the sanitizers) if a subscription
// reaches into a log that is gone.
TYPED_TEST(LogContract, ASubscriptionMayOutliveTheLog) {
  auto subscription = this->log().on_commit([](std::span<const Record>) {});
  this->drop_log();
  subscription.reset();  // must not touch the log that is gone
  EXPECT_FALSE(subscription);
}

}  // namespace
}  // namespace oee::eventlog::contract
