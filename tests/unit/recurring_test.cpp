// A recurring order's schedule, price range and progress, exactly.

#include "core/domain/recurring.h"

#include <gtest/gtest.h>

namespace oee::core {
namespace {

constexpr std::int64_t kSecond = 1'000'000'000;

TEST(Recurring, SlicesShareTheAmountAndSpreadTheRemainderOverTheFirst) {
  EXPECT_EQ(slice_amount(Amount{10}, 3, 0), Amount{4});
  EXPECT_EQ(slice_amount(Amount{10}, 3, 1), Amount{3});
  EXPECT_EQ(slice_amount(Amount{10}, 3, 2), Amount{3});
  for (std::uint64_t amount : {2ULL, 999ULL, 1'000'000'007ULL, 18'446'744'073'709'551'615ULL}) {
    for (std::uint32_t slices : {2U, 7U, 1000U}) {
      if (amount < slices) continue;
      std::uint64_t sum = 0;
      for (std::uint32_t k = 0; k < slices; ++k) sum += slice_amount(Amount{amount}, slices, k).base;
      EXPECT_EQ(sum, amount) << amount << " in " << slices;
    }
  }
}

TEST(Recurring, APriceIsComparedExactlyInOutputPerInput) {
  const Amount one_sol{1'000'000'000};  // 9 decimals
  const std::uint64_t p150 = 150'000'000'000'000;  // 150, times 10^12
  EXPECT_EQ(compare_price(one_sol, 9, Amount{150'000'000}, 6, p150), 0);
  EXPECT_EQ(compare_price(one_sol, 9, Amount{150'000'001}, 6, p150), 1);
  EXPECT_EQ(compare_price(one_sol, 9, Amount{149'999'999}, 6, p150), -1);
  // A price finer than a base unit: 3 units for 2 is 1.5, not 1 or 2.
  EXPECT_EQ(compare_price(Amount{2}, 0, Amount{3}, 0, 1'500'000'000'000), 0);
  EXPECT_EQ(compare_price(Amount{2}, 0, Amount{3}, 0, 1'500'000'000'001), -1);
  // The largest amounts do not overflow.
  const Amount max{~0ULL};
  EXPECT_EQ(compare_price(max, 9, max, 9, 1'000'000'000'000), 0);
  EXPECT_EQ(compare_price(max, 0, max, 18, 1), -1);  // 10^-18 against 10^-12
  EXPECT_EQ(compare_price(Amount{1}, 18, max, 0, ~0ULL), 1);
}

TEST(Recurring, ASliceOutsideTheRangeSaysWhichBound) {
  RecurringTerms t;
  t.min_price_e12 = 100'000'000'000'000;
  t.max_price_e12 = 200'000'000'000'000;
  const Amount one_sol{1'000'000'000};
  EXPECT_EQ(outside_price_range(t, one_sol, 9, Amount{150'000'000}, 6), std::nullopt);
  EXPECT_EQ(outside_price_range(t, one_sol, 9, Amount{100'000'000}, 6), std::nullopt) << "the bound itself is inside";
  EXPECT_EQ(outside_price_range(t, one_sol, 9, Amount{99'999'999}, 6), "price below minPrice");
  EXPECT_EQ(outside_price_range(t, one_sol, 9, Amount{200'000'001}, 6), "price above maxPrice");
  EXPECT_EQ(outside_price_range(RecurringTerms{}, one_sol, 9, Amount{1}, 6), std::nullopt) << "no bounds";
}

OrderState parent(bool catch_up) {
  OrderState s;
  s.status = Status::active;
  s.order_type = OrderType::recurring;
  s.amount_in = Amount{10};
  s.recurring = RecurringTerms{5, 60, 0, 0, catch_up};
  s.first_due = TimestampNs{1'000 * kSecond};
  return s;
}

TEST(Recurring, EachSliceIsDueAnIntervalAfterThePreviousOnesDueTime) {
  OrderState s = parent(false);
  EXPECT_EQ(next_slice_due(s, TimestampNs{1'000 * kSecond}), s.first_due);
  s.slices.push_back(SliceState{OrderId::random(), Amount{2}, s.first_due});
  // Reckoned from the due time, not from when the slice ran: no drift.
  EXPECT_EQ(next_slice_due(s, TimestampNs{1'001 * kSecond}), TimestampNs{1'060 * kSecond});
  // Late by less than an interval: it keeps its place in the schedule.
  EXPECT_EQ(next_slice_due(s, TimestampNs{1'119 * kSecond}), TimestampNs{1'060 * kSecond});
}

TEST(Recurring, ASliceAnIntervalLateRunsNowAndMovesTheScheduleUnlessTheOrderCatchesUp) {
  const TimestampNs restart{1'300 * kSecond};
  OrderState s = parent(false);
  s.slices.push_back(SliceState{OrderId::random(), Amount{2}, s.first_due});
  EXPECT_EQ(next_slice_due(s, restart), restart);
  OrderState c = parent(true);
  c.slices = s.slices;
  EXPECT_EQ(next_slice_due(c, restart), TimestampNs{1'060 * kSecond}) << "due long ago: it runs at once, on its own due time";
  // The first slice too, when the engine went down right after the start.
  OrderState first = parent(false);
  EXPECT_EQ(next_slice_due(first, restart), restart);
}

TEST(Recurring, ProgressCountsEndedSlicesTheirFillsSkipsAndWhatIsLeft) {
  OrderState s = parent(false);
  OrderState confirmed;
  confirmed.status = Status::confirmed;
  confirmed.amount_in = Amount{2};
  confirmed.amount_out = Amount{300};
  OrderState failed;
  failed.status = Status::failed;
  failed.amount_in = Amount{2};
  OrderState running;
  running.status = Status::routing;
  s.slices = {SliceState{OrderId::random(), Amount{2}, {}}, SliceState{std::nullopt, Amount{2}, {}},
              SliceState{OrderId::random(), Amount{2}, {}}, SliceState{OrderId::random(), Amount{2}, {}}};
  const auto p = recurring_progress(s, {&confirmed, &failed, &running});
  EXPECT_EQ(p.done, 2U);
  EXPECT_EQ(p.skipped, 1U);
  EXPECT_EQ(p.running, 1U);
  EXPECT_EQ(p.left, 2U) << "the running slice and the one not yet due";
  EXPECT_EQ(p.spent, Amount{2}) << "a failed slice spent nothing";
  EXPECT_EQ(p.received, Amount{300});
  EXPECT_EQ(recurring_progress(s, {}).running, 3U) << "children not found yet run";
}

}  // namespace
}  // namespace oee::core
