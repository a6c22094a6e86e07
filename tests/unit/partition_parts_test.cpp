// The partition log's small parts on their own: the ownership's states,
// the write queue its appender and forwarder work through, and which
// writes the appender sends as one batch.

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "eventlog/jetstream/detail/batch_appender.h"
#include "eventlog/jetstream/detail/partition_ownership.h"
#include "eventlog/jetstream/detail/write_queue.h"

namespace oee::eventlog::jetstream::detail {
namespace {

using namespace std::chrono_literals;
using Change = PartitionOwnership::Change;

QueuedWrite write_of(std::size_t bytes, bool take_over = false) {
  QueuedWrite q;
  q.command.payload.assign(bytes, 'x');
  q.take_over = take_over;
  return q;
}

TEST(PartitionOwnership, OnlyItsOwnTakeoverWhileWantedMakesThisNodeTheOwner) {
  PartitionOwnership o;
  EXPECT_EQ(o.taken(true, Seq{3}), Change::none);  // not wanted: another incarnation's, say
  EXPECT_FALSE(o.owned());
  o.want();
  EXPECT_EQ(o.taken(false, Seq{4}), Change::none);  // another node's, before this one's
  EXPECT_FALSE(o.owned());
  EXPECT_EQ(o.taken(true, Seq{5}), Change::gained);
  const auto held = o.held();
  ASSERT_TRUE(held);
  EXPECT_EQ(held->taken_at, Seq{5});
  EXPECT_TRUE(o.owns(held->ownership));
  EXPECT_EQ(o.taken(true, Seq{6}), Change::none);  // a retried takeover: the same ownership
  EXPECT_TRUE(o.owns(held->ownership));
  EXPECT_EQ(o.held()->taken_at, Seq{5});
}

TEST(PartitionOwnership, AnotherNodesTakeoverEndsTheOwnershipForGood) {
  PartitionOwnership o;
  o.want();
  ASSERT_EQ(o.taken(true, Seq{1}), Change::gained);
  const auto first = o.held()->ownership;
  EXPECT_EQ(o.taken(false, Seq{2}), Change::lost);
  EXPECT_FALSE(o.owns(first));
  EXPECT_FALSE(o.held());
  EXPECT_FALSE(o.wanted());
  // Owned again later: a write of the first ownership stays fenced.
  o.want();
  ASSERT_EQ(o.taken(true, Seq{3}), Change::gained);
  EXPECT_FALSE(o.owns(first));
  EXPECT_NE(o.held()->ownership, first);
}

TEST(PartitionOwnership, ReleaseEndsTheOwnershipAndTheWish) {
  PartitionOwnership o;
  o.want();
  ASSERT_EQ(o.taken(true, Seq{1}), Change::gained);
  const auto held = o.held()->ownership;
  o.release();
  EXPECT_FALSE(o.owned());
  EXPECT_FALSE(o.wanted());
  EXPECT_FALSE(o.owns(held));
  EXPECT_EQ(o.taken(true, Seq{2}), Change::none);  // a takeover in flight as it was released
}

TEST(WriteQueue, TakesARunWhileItJoinsAndLeavesTheRest) {
  WriteQueue queue;
  for (std::size_t i = 1; i <= 5; ++i) {
    auto q = write_of(i);
    ASSERT_TRUE(queue.push(q));
  }
  const auto two = [](const std::vector<QueuedWrite>& run, const QueuedWrite&) { return run.size() < 2; };
  auto run = queue.take(two);
  ASSERT_EQ(run.size(), 2u);
  EXPECT_EQ(run[0].command.payload.size(), 1u);
  EXPECT_EQ(run[1].command.payload.size(), 2u);
  const auto not_a_takeover = [](const std::vector<QueuedWrite>&, const QueuedWrite& next) { return !next.take_over; };
  auto takeover = write_of(0, true);
  ASSERT_TRUE(queue.push(takeover));
  run = queue.take(not_a_takeover);
  EXPECT_EQ(run.size(), 3u);  // 3, 4, 5: the takeover waits for the next run
  run = queue.take(not_a_takeover);
  ASSERT_EQ(run.size(), 1u);
  EXPECT_TRUE(run[0].take_over);
}

TEST(WriteQueue, OnceClosedItRefusesWritesAndHandsOverWhatIsLeft) {
  WriteQueue queue;
  auto left = write_of(7);
  ASSERT_TRUE(queue.push(left));
  queue.close();
  auto late = write_of(8);
  EXPECT_FALSE(queue.push(late));
  EXPECT_EQ(late.command.payload.size(), 8u);  // it stays with the caller
  const auto all = [](const std::vector<QueuedWrite>&, const QueuedWrite&) { return true; };
  auto run = queue.take(all);
  ASSERT_EQ(run.size(), 1u);
  EXPECT_EQ(run[0].command.payload.size(), 7u);
  EXPECT_TRUE(queue.take(all).empty());
  EXPECT_TRUE(queue.closed_within(0ms));
}

TEST(WriteQueue, ATakerReturnsEmptyOnceClosedWhetherItWaitedOrNot) {
  WriteQueue queue;
  std::vector<QueuedWrite> run{write_of(1)};
  std::thread taker([&] {
    run = queue.take([](const std::vector<QueuedWrite>&, const QueuedWrite&) { return true; });
  });
  queue.close();
  taker.join();
  EXPECT_TRUE(run.empty());
  EXPECT_TRUE(queue.closed_within(0ms));
}

TEST(WriteQueue, AnOpenQueuesPauseLastsItsWholeLength) {
  WriteQueue queue;
  const auto started = std::chrono::steady_clock::now();
  EXPECT_FALSE(queue.closed_within(30ms));
  EXPECT_GE(std::chrono::steady_clock::now() - started, 30ms);
}

TEST(BatchAppenderRunRule, ARunStopsAtAMessagesWorthOfRecords) {
  WriteQueue queue;
  for (int i = 0; i < 1100; ++i) {
    auto q = write_of(10);
    ASSERT_TRUE(queue.push(q));
  }
  EXPECT_EQ(queue.take(BatchAppender::run_rule()).size(), 1024u);
  EXPECT_EQ(queue.take(BatchAppender::run_rule()).size(), 76u);
}

TEST(BatchAppenderRunRule, ARunStopsOnceItsPayloadsReachHalfAMebibyte) {
  WriteQueue queue;
  for (int i = 0; i < 5; ++i) {
    auto q = write_of(200 << 10);
    ASSERT_TRUE(queue.push(q));
  }
  EXPECT_EQ(queue.take(BatchAppender::run_rule()).size(), 3u);  // 600 KiB: the third passes the bound
  EXPECT_EQ(queue.take(BatchAppender::run_rule()).size(), 2u);
}

TEST(BatchAppenderRunRule, ATakeoverGoesAlone) {
  WriteQueue queue;
  for (const bool take_over : {false, true, true, false}) {
    auto q = write_of(1, take_over);
    ASSERT_TRUE(queue.push(q));
  }
  for (const bool take_over : {false, true, true, false}) {
    const auto run = queue.take(BatchAppender::run_rule());
    ASSERT_EQ(run.size(), 1u);
    EXPECT_EQ(run.front().take_over, take_over);
  }
}

}  // namespace
}  // namespace oee::eventlog::jetstream::detail
