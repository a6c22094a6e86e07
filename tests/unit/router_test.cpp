#include "core/domain/router.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include <gtest/gtest.h>

#include "core/domain/market.h"
#include "core/domain/tokens.h"
#include "core/domain/venue.h"
#include "tests/unit/domain_fixtures.h"

namespace oee::core {
namespace {

using namespace std::chrono_literals;

const Token& token(std::string_view symbol) {
  const Token* t = find_token(symbol);
  EXPECT_NE(t, nullptr) << symbol;
  return *t;
}

TEST(QuotePool, HandComputedConstantProduct) {
  // reserves 1'000'000 / 2'000'000, fee 30 bps, amount 10'000:
  //   in_after_fee = 10'000 * 9'970 / 10'000 = 9'970
  //   out = floor(2'000'000 * 9'970 / (1'000'000 + 9'970))
  //       = floor(19'940'000'000 / 1'009'970)
  //   1'009'970 * 19'743 = 19'939'837'710, remainder 162'290 < 1'009'970
  //   => out = 19'743
  //   spot_out = 9'970 * 2'000'000 / 1'000'000 = 19'940
  //   impact = (19'940 - 19'743) * 10'000 / 19'940 = 1'970'000 / 19'940 = 98 (98.79 floored)
  const Pool pool{Amount{1'000'000}, Amount{2'000'000}, 30};
  const Quote q = quote_pool(Venue::meteora, pool, Amount{10'000});
  EXPECT_EQ(q.venue, Venue::meteora);
  EXPECT_EQ(q.amount_in.base, 10'000u);
  EXPECT_EQ(q.amount_out.base, 19'743u);
  EXPECT_EQ(q.fee_bps, 30u);
  EXPECT_EQ(q.price_impact_bps, 98u);
  EXPECT_EQ(q.reserve_in.base, 1'000'000u);
  EXPECT_EQ(q.reserve_out.base, 2'000'000u);
}

TEST(QuotePool, MoreHandComputedCases) {
  // No fee, equal reserves 5'000 / 5'000, amount 5'000:
  //   out = 5'000 * 5'000 / 10'000 = 2'500; spot 5'000; impact 2'500*10'000/5'000 = 5'000 bps.
  const Quote half = quote_pool(Venue::raydium, Pool{Amount{5'000}, Amount{5'000}, 0}, Amount{5'000});
  EXPECT_EQ(half.amount_out.base, 2'500u);
  EXPECT_EQ(half.price_impact_bps, 5'000u);

  // Fee 25 bps, amount 1: in_after_fee = 1 * 9'975 / 10'000 = 0 => nothing out.
  const Quote dust = quote_pool(Venue::raydium, Pool{Amount{1'000'000}, Amount{1'000'000}, 25}, Amount{1});
  EXPECT_EQ(dust.amount_out.base, 0u);
  EXPECT_EQ(dust.price_impact_bps, 0u);

  // SOL/USDC-like pool: 10'000 SOL (10^13) / 1'500'000 USDC (1.5 * 10^12), fee 20 bps, 1 SOL in:
  //   in_after_fee = 10^9 * 9'980 / 10'000 = 998'000'000
  //   out = floor(1.5e12 * 998'000'000 / (10^13 + 998'000'000))
  //       = floor(1'497'000'000'000'000'000'000 / 10'000'998'000'000)
  //   10'000'998'000'000 * 149'685'061 = 1'496'999'995'690'878'000'000,
  //   remainder 4'309'122'000'000 < 10'000'998'000'000 => out = 149'685'061
  const Quote sol = quote_pool(Venue::meteora, Pool{Amount{10'000'000'000'000}, Amount{1'500'000'000'000}, 20},
                               Amount{1'000'000'000});
  EXPECT_EQ(sol.amount_out.base, 149'685'061u);
  // spot_out = 998'000'000 * 1.5e12 / 1e13 = 149'700'000; impact = 14'939*10'000/149'700'000 = 0.
  EXPECT_EQ(sol.price_impact_bps, 0u);

  // An empty pool quotes nothing instead of dividing by zero.
  const Quote empty = quote_pool(Venue::raydium, Pool{Amount{0}, Amount{0}, 30}, Amount{0});
  EXPECT_EQ(empty.amount_out.base, 0u);
}

TEST(MinOutFor, RoundsDown) {
  EXPECT_EQ(min_out_for(Amount{1'000}, 50).base, 995u);  // 1'000 * 9'950 / 10'000
  EXPECT_EQ(min_out_for(Amount{999}, 50).base, 994u);    // 9'940'050 / 10'000 = 994.005
  EXPECT_EQ(min_out_for(Amount{1'000}, 0).base, 1'000u);
  EXPECT_EQ(min_out_for(Amount{1'000}, 10'000).base, 0u);
  EXPECT_EQ(min_out_for(Amount{1'000}, 20'000).base, 0u);
  EXPECT_EQ(min_out_for(Amount{18'446'744'073'709'551'615ULL}, 1).base,
            18'444'899'399'302'180'659ULL);  // (2^64-1) * 9'999 / 10'000, via 128-bit math
}

TEST(BetterQuote, PicksLargerOutputThenLowerFee) {
  Quote a;
  a.venue = Venue::raydium;
  a.amount_out = Amount{100};
  a.fee_bps = 25;
  Quote b;
  b.venue = Venue::meteora;
  b.amount_out = Amount{101};
  b.fee_bps = 30;
  EXPECT_EQ(&better_quote(a, b), &b);
  EXPECT_EQ(&better_quote(b, a), &b);

  b.amount_out = Amount{100};  // tie: the lower fee wins, in either order
  EXPECT_EQ(&better_quote(a, b), &a);
  EXPECT_EQ(&better_quote(b, a), &a);

  b.fee_bps = 20;
  EXPECT_EQ(&better_quote(a, b), &b);
  EXPECT_EQ(&better_quote(b, a), &b);
}

TEST(Market, ListsPairsInBothDirections) {
  const Market m;
  EXPECT_TRUE(m.has_pair(token("SOL"), token("USDC")));
  EXPECT_TRUE(m.has_pair(token("USDC"), token("SOL")));
  EXPECT_TRUE(m.has_pair(token("BONK"), token("SOL")));
  EXPECT_FALSE(m.has_pair(token("BONK"), token("WIF")));
  EXPECT_FALSE(m.has_pair(token("JUP"), token("RAY")));
  EXPECT_FALSE(m.pool(Venue::raydium, token("BONK"), token("WIF"), t0()).has_value());
}

TEST(Market, PoolsHaveReservesAndVenueFees) {
  const Market m;
  for (Venue v : kAllVenues) {
    const auto fwd = m.pool(v, token("SOL"), token("USDC"), t0());
    const auto rev = m.pool(v, token("USDC"), token("SOL"), t0());
    ASSERT_TRUE(fwd.has_value());
    ASSERT_TRUE(rev.has_value());
    EXPECT_GT(fwd->reserve_in.base, 0u);
    EXPECT_GT(fwd->reserve_out.base, 0u);
    // The reverse direction is the same pool seen from the other side.
    EXPECT_EQ(fwd->reserve_in, rev->reserve_out);
    EXPECT_EQ(fwd->reserve_out, rev->reserve_in);
    EXPECT_EQ(fwd->fee_bps, rev->fee_bps);
    // Spot price near the 150 USDC reference (drift is a few percent at most).
    const double price = static_cast<double>(fwd->reserve_out.base) / 1e6 /
                         (static_cast<double>(fwd->reserve_in.base) / 1e9);
    EXPECT_GT(price, 150.0 * 0.94);
    EXPECT_LT(price, 150.0 * 1.06);
  }
  EXPECT_EQ(m.pool(Venue::meteora, token("SOL"), token("USDC"), t0())->fee_bps, 20u);
  EXPECT_EQ(m.pool(Venue::meteora, token("BONK"), token("SOL"), t0())->fee_bps, 20u);
  for (const char* pair_in : {"SOL", "BONK", "WIF", "JUP"}) {
    for (const char* pair_out : {"USDC", "SOL"}) {
      if (std::string_view(pair_in) == pair_out) continue;
      const auto p = m.pool(Venue::raydium, token(pair_in), token(pair_out), t0());
      ASSERT_TRUE(p.has_value()) << pair_in << "/" << pair_out;
      EXPECT_TRUE(p->fee_bps == 25u || p->fee_bps == 30u) << p->fee_bps;
    }
  }
  // Deterministic: the same (pair, venue, time) gives the same pool.
  EXPECT_EQ(m.pool(Venue::raydium, token("SOL"), token("USDC"), t0())->reserve_in,
            Market{}.pool(Venue::raydium, token("SOL"), token("USDC"), t0())->reserve_in);
}

double spot_price(const Pool& p) {
  return static_cast<double>(p.reserve_out.base) / static_cast<double>(p.reserve_in.base);
}

TEST(Market, VenuesDriftApartButStayClose) {
  const Market m;
  for (const auto& [in, out] : {std::pair{"SOL", "USDC"}, std::pair{"BONK", "SOL"}}) {
    double max_spread = 0;
    bool raydium_moved = false;
    const double first = spot_price(*m.pool(Venue::raydium, token(in), token(out), t0()));
    for (int s = 0; s <= 600; ++s) {  // every second for 10 minutes
      const auto at = t0() + std::chrono::seconds(s);
      const auto r = m.pool(Venue::raydium, token(in), token(out), at);
      const auto met = m.pool(Venue::meteora, token(in), token(out), at);
      ASSERT_TRUE(r && met);
      const double pr = spot_price(*r), pm = spot_price(*met);
      max_spread = std::max(max_spread, std::abs(pr - pm) / std::min(pr, pm));
      raydium_moved |= std::abs(pr - first) / first > 0.001;
    }
    EXPECT_TRUE(raydium_moved) << in << "/" << out;
    EXPECT_GE(max_spread, 0.01) << in << "/" << out;
    EXPECT_LE(max_spread, 0.06) << in << "/" << out;
  }
}

// The realistic market moves enough that a limit order a few percent above
// the price fills within minutes: from most starting points, the better
// venue's price is 3% higher at some time within ten minutes, and it falls
// 3% as often.
TEST(Market, APriceAFewPercentAwayIsReachedWithinMinutes) {
  const Market m;
  auto best = [&](std::chrono::system_clock::time_point at) {
    return std::max(spot_price(*m.pool(Venue::raydium, token("SOL"), token("USDC"), at)),
                    spot_price(*m.pool(Venue::meteora, token("SOL"), token("USDC"), at)));
  };
  int starts = 0, rose = 0, fell = 0;
  for (int start = 0; start < 24 * 3600; start += 3607) {
    const auto from = t0() + std::chrono::seconds(start);
    const double p0 = best(from);
    bool up = false, down = false;
    for (int s = 5; s <= 600; s += 5) {
      const double p = best(from + std::chrono::seconds(s));
      up |= p >= p0 * 1.03;
      down |= p <= p0 * 0.97;
    }
    ++starts;
    rose += up ? 1 : 0;
    fell += down ? 1 : 0;
  }
  EXPECT_GE(rose * 2, starts) << rose << " of " << starts;
  EXPECT_GE(fell * 2, starts) << fell << " of " << starts;
}

TEST(Router, RouteReturnsBothQuotesAndTheBest) {
  const Market m;
  const Router router(m);
  for (int s = 0; s < 120; s += 7) {
    const auto at = t0() + std::chrono::seconds(s);
    const auto d = router.route(token("SOL"), token("USDC"), Amount{10'000'000'000}, at);
    ASSERT_TRUE(d.has_value());
    ASSERT_EQ(d->quotes.size(), 2u);
    EXPECT_EQ(d->quotes[0].venue, Venue::raydium);
    EXPECT_EQ(d->quotes[1].venue, Venue::meteora);
    // Each quote is exactly the pool quote of that venue at that time.
    for (const auto& q : d->quotes) {
      const auto expected = quote_pool(q.venue, *m.pool(q.venue, token("SOL"), token("USDC"), at), q.amount_in);
      EXPECT_EQ(q.amount_out, expected.amount_out);
      EXPECT_EQ(q.amount_in.base, 10'000'000'000u);
    }
    const auto max_out = std::max(d->quotes[0].amount_out, d->quotes[1].amount_out);
    EXPECT_EQ(d->best.amount_out, max_out);
    const auto& q0 = d->quotes[0];
    const auto& q1 = d->quotes[1];
    const bool first_wins = q0.amount_out > q1.amount_out || (q0.amount_out == q1.amount_out && q0.fee_bps <= q1.fee_bps);
    EXPECT_EQ(d->best.venue, first_wins ? q0.venue : q1.venue);
    EXPECT_GT(d->best.amount_out.base, 0u);
  }
}

TEST(Router, RouteErrors) {
  const Market m;
  const Router router(m);
  const auto no_pool = router.route(token("BONK"), token("WIF"), Amount{1'000'000}, t0());
  ASSERT_FALSE(no_pool.has_value());
  EXPECT_EQ(no_pool.error(), RouteError::no_pool);
  // One lamport in: the fee rounds the input down to zero on both venues.
  const auto dust = router.route(token("SOL"), token("USDC"), Amount{1}, t0());
  ASSERT_FALSE(dust.has_value());
  EXPECT_EQ(dust.error(), RouteError::amount_too_small);
}

}  // namespace
}  // namespace oee::core
