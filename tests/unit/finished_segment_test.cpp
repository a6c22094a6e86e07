// A segment of finished orders as stored: parts sorted by id under their
// size bound, each order once at its latest finish, and heads whose filter
// never turns away an order the part holds.

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "eventlog/jetstream/detail/finished_segment.h"

namespace oee::eventlog::jetstream::detail {
namespace {

IndexedOrder finished_order(const OrderId& id, std::uint64_t last, std::size_t snapshot_bytes = 40) {
  return IndexedOrder{id, std::string(snapshot_bytes, static_cast<char>('a' + last % 26)), {Seq{last - 1}, Seq{last}}};
}

std::vector<IndexedOrder> finished_orders(std::size_t n, std::size_t snapshot_bytes = 40) {
  std::vector<IndexedOrder> out;
  for (std::size_t k = 0; k < n; ++k) out.push_back(finished_order(OrderId::random(), 2 + k, snapshot_bytes));
  return out;
}

std::vector<SegmentPart> decoded(const std::vector<EncodedPart>& parts) {
  std::vector<SegmentPart> out;
  for (const auto& p : parts) {
    auto part = SegmentPart::decode(p.data);
    EXPECT_TRUE(part) << part.error().message();
    if (part) out.push_back(std::move(*part));
  }
  return out;
}

TEST(FinishedSegment, PartsStaySmallCoverDisjointRangesAndFindEveryOrder) {
  const auto orders = finished_orders(3000);
  const auto parts = encode_segment(orders, 16 << 10);
  ASSERT_GT(parts.size(), 5u);
  std::size_t total = 0;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    EXPECT_LE(parts[i].data.size(), std::size_t{16 << 10});
    EXPECT_FALSE(parts[i].head.last < parts[i].head.first);
    if (i > 0) {
      EXPECT_TRUE(parts[i - 1].head.last < parts[i].head.first) << "part " << i << " overlaps the one before";
    }
    total += parts[i].head.count;
  }
  EXPECT_EQ(total, orders.size());
  const auto read = decoded(parts);
  for (const auto& o : orders) {
    std::size_t holders = 0;
    for (std::size_t i = 0; i < parts.size(); ++i) {
      auto found = read[i].find(o.order);
      ASSERT_TRUE(found) << found.error().message();
      if (!*found) continue;
      ++holders;
      EXPECT_TRUE(parts[i].head.may_hold(o.order)) << "the filter turned away an order its part holds";
      EXPECT_EQ((*found)->snapshot, o.snapshot);
      EXPECT_EQ((*found)->seqs, o.seqs);
    }
    EXPECT_EQ(holders, 1u) << o.order.str();
  }
}

TEST(FinishedSegment, AnOrderFinishedTwiceIsKeptAtItsLatestFinish) {
  const auto id = OrderId::random();
  std::vector<IndexedOrder> orders{finished_order(id, 9), finished_order(OrderId::random(), 4),
                                   finished_order(id, 30), finished_order(id, 12)};
  const auto parts = encode_segment(orders);
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0].head.count, 2u);
  auto part = SegmentPart::decode(parts[0].data);
  ASSERT_TRUE(part);
  auto found = part->find(id);
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->seqs.back(), Seq{30});
}

TEST(FinishedSegment, TheFilterTurnsAwayAlmostEveryOtherOrder) {
  const auto parts = encode_segment(finished_orders(2000));
  ASSERT_EQ(parts.size(), 1u);
  auto head = parts[0].head;
  // Ids inside the part's range, none of them its own.
  std::size_t maybe = 0, asked = 0;
  while (asked < 100'000) {
    const auto id = OrderId::random();
    if (id < head.first || head.last < id) continue;
    ++asked;
    if (head.may_hold(id)) ++maybe;
  }
  // 20 bits and 14 probes per order: about 1 in 15,000 by design; 1 in
  // 1,000 would make a look read parts for nothing.
  EXPECT_LT(maybe, asked / 1000) << maybe << " of " << asked;
  const auto outside = OrderId(OrderId::Bytes{});  // all zeros: below any random id's range
  EXPECT_FALSE(head.may_hold(outside));
}

TEST(FinishedSegment, AHeadReadsBackAndDamageIsRefused) {
  auto parts = encode_segment(finished_orders(50));
  ASSERT_EQ(parts.size(), 1u);
  parts[0].head.part_seq = Seq{1234};
  const auto text = encode_head(parts[0].head);
  auto head = decode_head(text);
  ASSERT_TRUE(head) << head.error().message();
  EXPECT_EQ(head->part_seq, Seq{1234});
  EXPECT_EQ(head->count, 50u);
  EXPECT_EQ(head->first, parts[0].head.first);
  EXPECT_EQ(head->last, parts[0].head.last);
  EXPECT_EQ(head->filter, parts[0].head.filter);
  for (std::size_t at : {std::size_t{0}, text.size() / 2, text.size() - 1}) {
    auto bad = text;
    bad[at] = static_cast<char>(bad[at] ^ 0x20);
    EXPECT_FALSE(decode_head(bad)) << "byte " << at;
    auto bad_part = parts[0].data;
    bad_part[at % bad_part.size()] = static_cast<char>(bad_part[at % bad_part.size()] ^ 0x20);
    EXPECT_FALSE(SegmentPart::decode(bad_part)) << "byte " << at;
  }
  EXPECT_FALSE(decode_head(parts[0].data)) << "a part is not a head";
  EXPECT_FALSE(SegmentPart::decode(text)) << "a head is not a part";
}

TEST(FinishedSegment, ARecordLargerThanAPartGetsOneOfItsOwn) {
  auto orders = finished_orders(10);
  orders.push_back(finished_order(OrderId::random(), 99, 20'000));
  const auto parts = encode_segment(orders, 4096);
  std::size_t total = 0;
  for (const auto& p : parts) total += p.head.count;
  EXPECT_EQ(total, orders.size());
  const auto read = decoded(parts);
  auto found = std::any_of(read.begin(), read.end(), [&](const SegmentPart& part) {
    auto f = part.find(orders.back().order);
    return f && *f && (*f)->snapshot.size() == 20'000;
  });
  EXPECT_TRUE(found);
  EXPECT_TRUE(encode_segment({}).empty());
}

}  // namespace
}  // namespace oee::eventlog::jetstream::detail
