// The split of one order across the two pools against a brute-force search
// over every integer split, on random pools, and its test of whether a
// split pays for its second transaction.

#include <gtest/gtest.h>

#include <random>

#include "core/domain/split.h"

namespace oee::core {
namespace {

std::uint64_t total_at(const Pools& pools, std::uint64_t amount, std::uint64_t x) {
  return quote_pool(Venue::raydium, pools[0], Amount{x}).amount_out.base +
         quote_pool(Venue::meteora, pools[1], Amount{amount - x}).amount_out.base;
}

// The exact outputs round down (the input after its fee, then the output),
// so near the smooth optimum, where the total is flat, the integer totals
// wobble by up to what one unit of input after fee is worth in each pool
// plus a unit of output each. The split found is that close to the best a
// search of every integer split finds, where both legs of that best carry
// at least 1,000 units (a split with a tinier leg never pays for its
// second transaction).
TEST(Split, FindsWhatABruteForceSearchOfEveryIntegerSplitFinds) {
  std::mt19937_64 rng(41);
  int split_unevenly = 0, compared = 0, exact = 0;
  for (int round = 0; round < 400; ++round) {
    SCOPED_TRACE(round);
    auto draw = [&](std::uint64_t lo, std::uint64_t hi) { return std::uniform_int_distribution<std::uint64_t>(lo, hi)(rng); };
    // Two pools of one pair: prices within 5% of each other (arbitrage),
    // depths apart by up to 20 times, outputs worth 1/50 to 50 inputs.
    const std::uint64_t x0 = draw(20'000, 2'000'000), x1 = draw(20'000, 2'000'000);
    const std::uint64_t price_per_mille = draw(20, 50'000);
    const std::uint64_t y0 = x0 * price_per_mille / 1'000;
    const std::uint64_t y1 = x1 * price_per_mille / 1'000 * draw(950, 1050) / 1'000;
    const Pools pools{Pool{Amount{x0}, Amount{std::max<std::uint64_t>(y0, 1)}, static_cast<std::uint32_t>(draw(0, 100))},
                      Pool{Amount{x1}, Amount{std::max<std::uint64_t>(y1, 1)}, static_cast<std::uint32_t>(draw(0, 100))}};
    const std::uint64_t amount = draw(2, 60'000);
    std::uint64_t brute = 0, arg = 0;
    for (std::uint64_t x = 1; x < amount; ++x) {
      if (const std::uint64_t t = total_at(pools, amount, x); t > brute) {
        brute = t;
        arg = x;
      }
    }
    const auto plan = best_split(pools, Amount{amount});
    ASSERT_TRUE(plan);
    EXPECT_LE(plan->total_out.base, brute);
    if (arg >= 1'000 && amount - arg >= 1'000) {
      ++compared;
      // What one unit of input is worth at each pool's spot price, rounded up.
      std::uint64_t wobble = 2;
      for (const Pool& p : pools) wobble += (p.reserve_out.base + p.reserve_in.base - 1) / p.reserve_in.base;
      EXPECT_GE(plan->total_out.base + wobble, brute) << "A=" << amount << " x=" << plan->legs[0].amount_in.base
                                                      << " brute x=" << arg;
      exact += plan->total_out.base == brute ? 1 : 0;
    }
    EXPECT_EQ(plan->legs[0].amount_in.base + plan->legs[1].amount_in.base, amount);
    EXPECT_GE(plan->legs[0].amount_in.base, 1u);
    EXPECT_GE(plan->legs[1].amount_in.base, 1u);
    EXPECT_EQ(plan->legs[0].amount_out.base + plan->legs[1].amount_out.base, plan->total_out.base);
    EXPECT_EQ(plan->legs[0].venue, Venue::raydium);
    EXPECT_EQ(plan->legs[1].venue, Venue::meteora);
    if (plan->legs[0].amount_in.base * 10 < amount || plan->legs[1].amount_in.base * 10 < amount) ++split_unevenly;
  }
  EXPECT_GT(compared, 100);
  EXPECT_GT(split_unevenly, 20) << "the pools drawn were too alike to test much";
  RecordProperty("exact", std::to_string(exact) + " of " + std::to_string(compared));
}

TEST(Split, OnTheMarketsPoolsNoNearbySplitDoesBetter) {
  // Pools the size of the simulated SOL/USDC ones, and an order of 2,000 SOL.
  const Pools pools{Pool{Amount{67'939'028'797'995}, Amount{10'000'000'000'000}, 25},
                    Pool{Amount{69'488'381'368'914}, Amount{10'000'000'000'000}, 20}};
  const std::uint64_t amount = 2'000'000'000'000;
  const auto plan = best_split(pools, Amount{amount});
  ASSERT_TRUE(plan);
  const std::uint64_t x = plan->legs[0].amount_in.base;
  for (std::uint64_t d : {1ULL, 2ULL, 3ULL, 10ULL, 1'000ULL, 1'000'000ULL, 1'000'000'000ULL}) {
    EXPECT_LE(total_at(pools, amount, x + d), plan->total_out.base) << "+" << d;
    EXPECT_LE(total_at(pools, amount, x - d), plan->total_out.base) << "-" << d;
  }
  const Quote single = std::max(quote_pool(Venue::raydium, pools[0], Amount{amount}),
                                quote_pool(Venue::meteora, pools[1], Amount{amount}),
                                [](const Quote& a, const Quote& b) { return a.amount_out < b.amount_out; });
  EXPECT_GT(plan->total_out, single.amount_out);
  EXPECT_TRUE(split_pays(*plan, Amount{750}, single.amount_out, 10));
}

TEST(Split, PaysOnlyWhenItBeatsTheBestVenueByMoreThanTheMinimumGainAfterItsFee) {
  SplitPlan plan{};
  plan.total_out = Amount{1'002'000};
  EXPECT_TRUE(split_pays(plan, Amount{0}, Amount{1'000'000}, 10));       // +0.2%
  EXPECT_FALSE(split_pays(plan, Amount{0}, Amount{1'000'000}, 20));      // not more than 0.2%
  EXPECT_FALSE(split_pays(plan, Amount{1'500}, Amount{1'000'000}, 10));  // +0.05% after the fee
  EXPECT_FALSE(split_pays(plan, Amount{2'000'000}, Amount{1'000'000}, 0));
  EXPECT_FALSE(split_pays(plan, Amount{0}, Amount{1'002'000}, 0));  // no gain at all
}

TEST(Split, RefusesWhatCannotBeSplit) {
  const Pools pools{Pool{Amount{1'000}, Amount{1'000}, 25}, Pool{Amount{1'000}, Amount{1'000}, 20}};
  EXPECT_FALSE(best_split(pools, Amount{1}));
  EXPECT_FALSE(best_split(Pools{Pool{}, pools[1]}, Amount{100}));
  // Reserves whose products do not fit 128 bits are not split, not misjudged.
  const Pool huge{Amount{~0ULL}, Amount{~0ULL}, 0};
  EXPECT_FALSE(best_split(Pools{huge, huge}, Amount{1'000}));
}

}  // namespace
}  // namespace oee::core
