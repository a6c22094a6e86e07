#include "core/domain/trigger.h"

#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>

#include <gtest/gtest.h>

#include "core/domain/router.h"
#include "core/domain/venue.h"

namespace oee::core {
namespace {

constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();  // 2^64 - 1
constexpr std::uint64_t k2Pow63 = std::uint64_t{1} << 63;
constexpr std::uint64_t k2Pow62 = std::uint64_t{1} << 62;


// The same pool seen from its other token's side.
Pool reversed(const Pool& p) { return Pool{p.reserve_out, p.reserve_in, p.fee_bps}; }

// ---------------------------------------------------------------- asks_less

TEST(AsksLess, ComparesTheRatioMinOutPerAmount) {
  // 1/3 < 1/2: asking 1 for 3 is the lower price.
  EXPECT_TRUE(asks_less(Amount{1}, Amount{3}, Amount{1}, Amount{2}));
  EXPECT_FALSE(asks_less(Amount{1}, Amount{2}, Amount{1}, Amount{3}));
  // 199/100 < 2/1 although 199 > 2.
  EXPECT_TRUE(asks_less(Amount{199}, Amount{100}, Amount{2}, Amount{1}));
  EXPECT_FALSE(asks_less(Amount{2}, Amount{1}, Amount{199}, Amount{100}));
  // A zero threshold asks less than any positive one.
  EXPECT_TRUE(asks_less(Amount{0}, Amount{5}, Amount{1}, Amount{1'000'000}));
  EXPECT_FALSE(asks_less(Amount{1}, Amount{1'000'000}, Amount{0}, Amount{5}));
}

TEST(AsksLess, EqualRatiosAreNotLessEitherWay) {
  EXPECT_FALSE(asks_less(Amount{100}, Amount{10}, Amount{200}, Amount{20}));
  EXPECT_FALSE(asks_less(Amount{200}, Amount{20}, Amount{100}, Amount{10}));
  EXPECT_FALSE(asks_less(Amount{7}, Amount{3}, Amount{7}, Amount{3}));
  // Huge equal ratios: (2^64 - 2) / (2^63 - 1) == 2 / 1.
  EXPECT_FALSE(asks_less(Amount{kMax - 1}, Amount{k2Pow63 - 1}, Amount{2}, Amount{1}));
  EXPECT_FALSE(asks_less(Amount{2}, Amount{1}, Amount{kMax - 1}, Amount{k2Pow63 - 1}));
  EXPECT_FALSE(asks_less(Amount{kMax}, Amount{kMax}, Amount{1}, Amount{1}));
  EXPECT_FALSE(asks_less(Amount{1}, Amount{1}, Amount{kMax}, Amount{kMax}));
}

TEST(AsksLess, IsExactForValuesWhoseProductsOverflowSixtyFourBits) {
  // (M-1)/M < M/M = 1 with M = 2^64 - 1. Taken mod 2^64 the cross products
  // would be M*M = 1 and (M-1)*M = 2 (the wrong answer), and as doubles
  // both ratios round to 1.
  EXPECT_TRUE(asks_less(Amount{kMax - 1}, Amount{kMax}, Amount{kMax}, Amount{kMax}));
  EXPECT_FALSE(asks_less(Amount{kMax}, Amount{kMax}, Amount{kMax - 1}, Amount{kMax}));
  // M/(M-1) < (M-1)/(M-2): M*(M-2) = (M-1)^2 - 1.
  EXPECT_TRUE(asks_less(Amount{kMax}, Amount{kMax - 1}, Amount{kMax - 1}, Amount{kMax - 2}));
  EXPECT_FALSE(asks_less(Amount{kMax - 1}, Amount{kMax - 2}, Amount{kMax}, Amount{kMax - 1}));
  // 2^32 / 1 is far above 1 / 2^32; mod 2^64 the cross product 2^32 * 2^32 would be 0.
  constexpr std::uint64_t k2Pow32 = std::uint64_t{1} << 32;
  EXPECT_FALSE(asks_less(Amount{k2Pow32}, Amount{1}, Amount{1}, Amount{k2Pow32}));
  EXPECT_TRUE(asks_less(Amount{1}, Amount{k2Pow32}, Amount{k2Pow32}, Amount{1}));
}

// ---------------------------------------------------------------- spot_reaches

TEST(SpotReaches, TrueExactlyAtTheBoundaryAndFalseOneBaseUnitAbove) {
  // min_out * reserve_in * 10'000 == amount * reserve_out * (10'000 - fee):
  // 1'995 * 1'000 * 10'000 == 1'000 * 2'000 * 9'975 == 19'950'000'000.
  const Pool pool{Amount{1'000}, Amount{2'000}, 25};
  EXPECT_TRUE(spot_reaches(pool, Amount{1'000}, Amount{1'995}));
  EXPECT_FALSE(spot_reaches(pool, Amount{1'000}, Amount{1'996}));
}

TEST(SpotReaches, IsMonotoneInTheThreshold) {
  // The boundary 1'995 (see above): every threshold at or below it is
  // reached, every one above is not.
  const Pool pool{Amount{1'000}, Amount{2'000}, 25};
  for (std::uint64_t m = 0; m <= 2'200; ++m) {
    EXPECT_EQ(spot_reaches(pool, Amount{1'000}, Amount{m}), m <= 1'995) << m;
  }
  // An unrounded boundary: 7 in at 5/3 pays 11.67, so 11 is reached, 12 is not.
  const Pool thirds{Amount{3}, Amount{5}, 0};
  for (std::uint64_t m = 0; m <= 40; ++m) {
    EXPECT_EQ(spot_reaches(thirds, Amount{7}, Amount{m}), m <= 11) << m;
  }
}

TEST(SpotReaches, AHigherFeeReachesLess) {
  // 1'000 in at 2'000 / 1'000: 2'000 before the fee.
  EXPECT_TRUE(spot_reaches(Pool{Amount{1'000}, Amount{2'000}, 0}, Amount{1'000}, Amount{2'000}));
  EXPECT_FALSE(spot_reaches(Pool{Amount{1'000}, Amount{2'000}, 0}, Amount{1'000}, Amount{2'001}));
  // 25 bps: 1'995; 30 bps: 1'994.
  EXPECT_TRUE(spot_reaches(Pool{Amount{1'000}, Amount{2'000}, 25}, Amount{1'000}, Amount{1'995}));
  EXPECT_FALSE(spot_reaches(Pool{Amount{1'000}, Amount{2'000}, 30}, Amount{1'000}, Amount{1'995}));
  EXPECT_TRUE(spot_reaches(Pool{Amount{1'000}, Amount{2'000}, 30}, Amount{1'000}, Amount{1'994}));
  // A pool that keeps everything as its fee reaches only a zero threshold.
  EXPECT_TRUE(spot_reaches(Pool{Amount{1'000}, Amount{2'000}, 10'000}, Amount{1'000}, Amount{0}));
  EXPECT_FALSE(spot_reaches(Pool{Amount{1'000}, Amount{2'000}, 10'000}, Amount{1'000}, Amount{1}));
}

TEST(SpotReaches, ReservesNearTheTopOfSixtyFourBitsDoNotOverflow) {
  // The products here need up to 64 + 64 + 14 bits. Each expectation is
  // obvious from the price; several would come out wrong if the products
  // were taken mod 2^128 (let alone mod 2^64).
  //
  // Price 1 (reserves M / M, no fee): reached iff min_out <= amount.
  const Pool even{Amount{kMax}, Amount{kMax}, 0};
  EXPECT_TRUE(spot_reaches(even, Amount{kMax}, Amount{kMax}));
  EXPECT_FALSE(spot_reaches(even, Amount{kMax - 1}, Amount{kMax}));
  EXPECT_TRUE(spot_reaches(even, Amount{kMax}, Amount{k2Pow63}));
  EXPECT_FALSE(spot_reaches(even, Amount{k2Pow63}, Amount{kMax}));
  EXPECT_TRUE(spot_reaches(even, Amount{k2Pow63}, Amount{k2Pow63}));
  EXPECT_FALSE(spot_reaches(even, Amount{k2Pow63}, Amount{k2Pow63 + 1}));
  EXPECT_TRUE(spot_reaches(even, Amount{k2Pow63}, Amount{k2Pow62}));
  EXPECT_FALSE(spot_reaches(even, Amount{k2Pow62}, Amount{k2Pow63}));

  // Price 2^63 / (2^64 - 1), just above 1/2: M in pays 2^63 exactly.
  const Pool half{Amount{kMax}, Amount{k2Pow63}, 0};
  EXPECT_TRUE(spot_reaches(half, Amount{kMax}, Amount{k2Pow63}));
  EXPECT_FALSE(spot_reaches(half, Amount{kMax}, Amount{k2Pow63 + 1}));
  EXPECT_FALSE(spot_reaches(half, Amount{kMax}, Amount{kMax}));

  // Price 1 after a fee: amount = 10'000 * k pays exactly (10'000 - fee) * k.
  constexpr std::uint64_t k = 1'844'674'407'370'955;  // 10'000 * k < 2^64
  EXPECT_TRUE(spot_reaches(Pool{Amount{kMax}, Amount{kMax}, 25}, Amount{10'000 * k}, Amount{9'975 * k}));
  EXPECT_FALSE(spot_reaches(Pool{Amount{kMax}, Amount{kMax}, 25}, Amount{10'000 * k}, Amount{9'975 * k + 1}));
  EXPECT_FALSE(spot_reaches(Pool{Amount{kMax}, Amount{kMax}, 30}, Amount{10'000 * k}, Amount{9'975 * k}));
  EXPECT_TRUE(spot_reaches(Pool{Amount{kMax}, Amount{kMax}, 20}, Amount{10'000 * k}, Amount{9'975 * k + 1}));
}

// ---------------------------------------------------------------- fires

TEST(Fires, QuotesEveryVenueInOrderAndFiresWhenTheBestPaysTheThreshold) {
  // amount 10'000 into 1'000'000 / 2'000'000:
  //   raydium 25 bps: in' = 9'975, out = floor(19'950'000'000 / 1'009'975) = 19'752
  //   meteora 20 bps: in' = 9'980, out = floor(19'960'000'000 / 1'009'980) = 19'762
  const Pools pools{Pool{Amount{1'000'000}, Amount{2'000'000}, 25}, Pool{Amount{1'000'000}, Amount{2'000'000}, 20}};
  const auto d = fires(pools, Amount{10'000}, Amount{19'000});
  ASSERT_TRUE(d.has_value());
  ASSERT_EQ(d->quotes.size(), 2u);
  EXPECT_EQ(d->quotes[0].venue, Venue::raydium);
  EXPECT_EQ(d->quotes[0].amount_out.base, 19'752u);
  EXPECT_EQ(d->quotes[1].venue, Venue::meteora);
  EXPECT_EQ(d->quotes[1].amount_out.base, 19'762u);
  EXPECT_EQ(d->best.venue, Venue::meteora);
  EXPECT_EQ(d->best.amount_out.base, 19'762u);
  EXPECT_EQ(d->best.amount_in.base, 10'000u);
}

TEST(Fires, AThresholdEqualToTheBestQuoteFiresAndOneUnitMoreDoesNot) {
  const Pools pools{Pool{Amount{1'000'000}, Amount{2'000'000}, 25}, Pool{Amount{1'000'000}, Amount{2'000'000}, 20}};
  const auto at = fires(pools, Amount{10'000}, Amount{19'762});
  ASSERT_TRUE(at.has_value());
  EXPECT_EQ(at->best.amount_out.base, 19'762u);
  EXPECT_FALSE(fires(pools, Amount{10'000}, Amount{19'763}).has_value());
  // Only the best counts: raydium's 19'752 is not enough, meteora's is.
  EXPECT_EQ(fires(pools, Amount{10'000}, Amount{19'753}).value().best.venue, Venue::meteora);
}

TEST(Fires, AFeeChangesWhichVenueFires) {
  // Same reserves: the lower fee (meteora, 20 bps) pays more.
  const Pool raydium_25{Amount{1'000'000}, Amount{2'000'000}, 25};
  const Pool meteora_20{Amount{1'000'000}, Amount{2'000'000}, 20};
  EXPECT_EQ(fires(Pools{raydium_25, meteora_20}, Amount{10'000}, Amount{1}).value().best.venue, Venue::meteora);
  // Swap the fees: raydium wins.
  const Pool raydium_20{Amount{1'000'000}, Amount{2'000'000}, 20};
  const Pool meteora_25{Amount{1'000'000}, Amount{2'000'000}, 25};
  EXPECT_EQ(fires(Pools{raydium_20, meteora_25}, Amount{10'000}, Amount{1}).value().best.venue, Venue::raydium);

  // A deeper raydium pool at the same price: less impact outweighs its fee:
  //   out = floor(4'000'000 * 9'975 / 2'009'975) = 19'850 > 19'762.
  const Pool deep{Amount{2'000'000}, Amount{4'000'000}, 25};
  const auto d = fires(Pools{deep, meteora_20}, Amount{10'000}, Amount{19'850});
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->best.venue, Venue::raydium);
  EXPECT_EQ(d->best.amount_out.base, 19'850u);
  EXPECT_FALSE(fires(Pools{deep, meteora_20}, Amount{10'000}, Amount{19'851}).has_value());

  // A better priced raydium pool: floor(2'100'000 * 9'975 / 1'009'975) = 20'740.
  const Pool priced{Amount{1'000'000}, Amount{2'100'000}, 25};
  const auto p = fires(Pools{priced, meteora_20}, Amount{10'000}, Amount{20'740});
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->best.venue, Venue::raydium);
  EXPECT_EQ(p->best.amount_out.base, 20'740u);
}

TEST(Fires, EqualQuotesGoToTheLowerFee) {
  // 1'000 into 1'000'000 / 100'000: in' is 997 (25 bps) or 998 (20 bps),
  // and both pay floor(99.7...) = 99.
  const Pool p25{Amount{1'000'000}, Amount{100'000}, 25};
  const Pool p20{Amount{1'000'000}, Amount{100'000}, 20};
  const auto a = fires(Pools{p25, p20}, Amount{1'000}, Amount{99});
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->quotes[0].amount_out.base, 99u);
  EXPECT_EQ(a->quotes[1].amount_out.base, 99u);
  EXPECT_EQ(a->best.venue, Venue::meteora);
  const auto b = fires(Pools{p20, p25}, Amount{1'000}, Amount{99});
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->best.venue, Venue::raydium);
}

TEST(Fires, PriceImpactKeepsALargeOrderFromFiringAtTheSpotPrice) {
  // Spot price 1: a threshold of 600'000 for 1'000'000 is within the spot
  // price of both pools, but the exact quotes are 500'000 (raydium, no fee)
  // and floor(10^6 * 997'000 / 1'997'000) = 499'248 (meteora, 30 bps).
  const Pools pools{Pool{Amount{1'000'000}, Amount{1'000'000}, 0}, Pool{Amount{1'000'000}, Amount{1'000'000}, 30}};
  ASSERT_TRUE(spot_reaches(pools[0], Amount{1'000'000}, Amount{600'000}));
  ASSERT_TRUE(spot_reaches(pools[1], Amount{1'000'000}, Amount{600'000}));
  EXPECT_FALSE(fires(pools, Amount{1'000'000}, Amount{600'000}).has_value());
  EXPECT_FALSE(fires(pools, Amount{1'000'000}, Amount{500'001}).has_value());
  const auto d = fires(pools, Amount{1'000'000}, Amount{500'000});
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->best.venue, Venue::raydium);
  EXPECT_EQ(d->best.amount_out.base, 500'000u);
  EXPECT_EQ(d->quotes[1].amount_out.base, 499'248u);
}

TEST(Fires, QuotesRoundDownToWholeBaseUnits) {
  // 1 in, no fee, 999 / 12'999: exactly 12'999 / 1'000 = 12.999 out,
  // paid as 12. The spot price still reaches 13 (13 * 999 <= 12'999).
  const Pools pools{Pool{Amount{999}, Amount{12'999}, 0}, Pool{Amount{1'000}, Amount{1}, 0}};
  ASSERT_TRUE(spot_reaches(pools[0], Amount{1}, Amount{13}));
  EXPECT_FALSE(fires(pools, Amount{1}, Amount{13}).has_value());
  const auto d = fires(pools, Amount{1}, Amount{12});
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->best.venue, Venue::raydium);
  EXPECT_EQ(d->best.amount_out.base, 12u);
}

TEST(Fires, NothingOutNeverFiresEvenForAZeroThreshold) {
  // 1 in at 25 bps: in' = floor(0.9975) = 0, so nothing comes out.
  const Pools pools{Pool{Amount{1'000'000}, Amount{1'000'000}, 25}, Pool{Amount{1'000'000}, Amount{1'000'000}, 25}};
  EXPECT_FALSE(fires(pools, Amount{1}, Amount{0}).has_value());
  EXPECT_TRUE(fires(pools, Amount{10'000}, Amount{0}).has_value());
}

TEST(Fires, APoolSeenFromTheOtherSideServesTheReverseDirection) {
  // SOL -> USDC: 10'000 SOL (10^13) / 1'500'000 USDC (1.5 * 10^12), 25 bps.
  const Pool sol_usdc{Amount{10'000'000'000'000}, Amount{1'500'000'000'000}, 25};
  const Pool usdc_sol = reversed(sol_usdc);
  EXPECT_EQ(usdc_sol.reserve_in.base, 1'500'000'000'000u);
  EXPECT_EQ(usdc_sol.reserve_out.base, 10'000'000'000'000u);

  // Selling 1 SOL: in' = 997'500'000,
  //   out = floor(1.5e12 * 997'500'000 / 10'000'997'500'000) = 149'610'076 (149.61 USDC).
  const Pools sell{sol_usdc, sol_usdc};
  EXPECT_TRUE(spot_reaches(sol_usdc, Amount{1'000'000'000}, Amount{149'000'000}));
  EXPECT_FALSE(spot_reaches(sol_usdc, Amount{1'000'000'000}, Amount{150'000'000}));  // spot 149.625
  const auto s = fires(sell, Amount{1'000'000'000}, Amount{149'000'000});
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->best.amount_out.base, 149'610'076u);

  // Buying SOL with 150 USDC: in' = 149'625'000,
  //   out = floor(10^13 * 149'625'000 / 1'500'149'625'000) = 997'400'509 (0.9974 SOL).
  const Pools buy{usdc_sol, usdc_sol};
  EXPECT_FALSE(spot_reaches(usdc_sol, Amount{150'000'000}, Amount{1'000'000'000}));  // spot 0.9975 SOL
  EXPECT_TRUE(spot_reaches(usdc_sol, Amount{150'000'000}, Amount{990'000'000}));
  const auto b = fires(buy, Amount{150'000'000}, Amount{990'000'000});
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->best.amount_out.base, 997'400'509u);
  EXPECT_FALSE(fires(buy, Amount{150'000'000}, Amount{997'400'510}).has_value());
  // The same buy order checked against the pool's SOL side would be
  // nonsense: 150 "SOL" units fetch 22'443'414 base units.
  EXPECT_FALSE(spot_reaches(sol_usdc, Amount{150'000'000}, Amount{990'000'000}));
  EXPECT_FALSE(fires(sell, Amount{150'000'000}, Amount{990'000'000}).has_value());

  // Selling SOL makes SOL cheaper from the other side: after the sale the
  // pool is 10'001'000'000'000 SOL / 1'499'850'389'924 USDC, and 150 USDC
  // fetch floor(10'001'000'000'000 * 149'625'000 / 1'500'000'014'924) = 997'599'740.
  const Pool after_sell = after_swap(sol_usdc, s->best);
  EXPECT_EQ(after_sell.reserve_in.base, 10'001'000'000'000u);
  EXPECT_EQ(after_sell.reserve_out.base, 1'499'850'389'924u);
  const auto b2 = fires(Pools{reversed(after_sell), reversed(after_sell)}, Amount{150'000'000}, Amount{997'400'510});
  ASSERT_TRUE(b2.has_value());
  EXPECT_EQ(b2->best.amount_out.base, 997'599'740u);
}

// ---------------------------------------------------------------- after_swap

TEST(AfterSwap, AddsTheInputAndRemovesTheOutput) {
  // The hand-computed quote of router_test: 10'000 into 1'000'000 / 2'000'000
  // at 30 bps pays 19'743. The whole input, fee included, stays in the pool.
  const Pool pool{Amount{1'000'000}, Amount{2'000'000}, 30};
  const Quote q = quote_pool(Venue::raydium, pool, Amount{10'000});
  ASSERT_EQ(q.amount_out.base, 19'743u);
  const Pool after = after_swap(pool, q);
  EXPECT_EQ(after.reserve_in.base, 1'010'000u);
  EXPECT_EQ(after.reserve_out.base, 1'980'257u);
  EXPECT_EQ(after.fee_bps, 30u);
  // The untouched original.
  EXPECT_EQ(pool.reserve_in.base, 1'000'000u);
  EXPECT_EQ(pool.reserve_out.base, 2'000'000u);
  // The same swap again pays less: floor(1'980'257 * 9'970 / 1'019'970) = 19'356.
  EXPECT_EQ(quote_pool(Venue::raydium, after, Amount{10'000}).amount_out.base, 19'356u);
}

TEST(AfterSwap, NeverTakesMoreThanTheReserve) {
  Quote q;
  q.amount_in = Amount{10};
  q.amount_out = Amount{5};
  const Pool after = after_swap(Pool{Amount{100}, Amount{3}, 0}, q);
  EXPECT_EQ(after.reserve_in.base, 110u);
  EXPECT_EQ(after.reserve_out.base, 0u);
}

TEST(AfterSwap, AHugeInputFillsTheReserveInsteadOfWrappingIt) {
  Quote q;
  q.amount_in = Amount{UINT64_MAX - 5};
  q.amount_out = Amount{1};
  const Pool after = after_swap(Pool{Amount{100}, Amount{3}, 0}, q);
  EXPECT_EQ(after.reserve_in.base, UINT64_MAX) << "a wrapped reserve would price the next order far too well";
}

}  // namespace
}  // namespace oee::core
