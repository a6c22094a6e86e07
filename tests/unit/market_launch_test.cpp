#include "core/domain/market.h"

#include <chrono>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "core/domain/amount.h"
#include "core/domain/router.h"
#include "core/domain/tokens.h"
#include "core/domain/venue.h"
#include "eventlog/types.h"
#include "tests/unit/domain_fixtures.h"

namespace oee::core {
namespace {

// The default launch: 5 * 10^8 whole new tokens (6 decimals) against 50 SOL.
constexpr std::uint64_t kLaunchTokenReserve = 500'000'000'000'000;
constexpr std::uint64_t kLaunchQuoteReserve = 50'000'000'000;

TokenId named(std::string_view symbol) { return *TokenId::name(symbol); }

// What a caller hands Market::launch: the market numbers and times it.
Launch new_launch(TokenId token, Venue venue, std::uint64_t token_reserve = kLaunchTokenReserve,
                  std::uint64_t quote_reserve = kLaunchQuoteReserve, TokenId quote = sol()) {
  return Launch{.token = token,
                .quote = quote,
                .venue = venue,
                .token_reserve = Amount{token_reserve},
                .quote_reserve = Amount{quote_reserve},
                .mint_renounced = true,
                .freeze_authority = false,
                .launched_at = TimestampNs{},
                .number = 0};
}

std::vector<std::uint64_t> numbers(const std::vector<Launch>& launches) {
  std::vector<std::uint64_t> out;
  for (const auto& l : launches) out.push_back(l.number);
  return out;
}

// ---------------------------------------------------------------- Market::launch

TEST(MarketLaunch, NumbersLaunchesInOrderAndTimesThem) {
  Market m;
  const TokenId a = named("LNUMA");
  const TokenId b = named("LNUMB");
  Launch first_in = new_launch(a, Venue::raydium);
  first_in.number = 99;  // the market's number wins
  first_in.launched_at = TimestampNs{1};
  first_in.mint_renounced = false;
  first_in.freeze_authority = true;
  const TimestampNs before = TimestampNs::now();
  const auto first = m.launch(first_in);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->number, 1u);
  EXPECT_GE(first->launched_at.value, before.value);
  // The rest is kept as given.
  EXPECT_TRUE(first->token == a);
  EXPECT_TRUE(first->quote == sol());
  EXPECT_EQ(first->venue, Venue::raydium);
  EXPECT_EQ(first->token_reserve.base, kLaunchTokenReserve);
  EXPECT_EQ(first->quote_reserve.base, kLaunchQuoteReserve);
  EXPECT_FALSE(first->mint_renounced);
  EXPECT_TRUE(first->freeze_authority);

  const auto second = m.launch(new_launch(b, Venue::raydium));
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->number, 2u);
  EXPECT_GE(second->launched_at.value, first->launched_at.value);
  const auto third = m.launch(new_launch(a, Venue::meteora));
  ASSERT_TRUE(third.has_value());
  EXPECT_EQ(third->number, 3u);
}

TEST(MarketLaunch, ATokenLaunchesOncePerVenue) {
  Market m;
  const TokenId a = named("LTWICE");
  ASSERT_TRUE(m.launch(new_launch(a, Venue::raydium)).has_value());
  const auto again = m.launch(new_launch(a, Venue::raydium, 1'000, 1'000));
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error(), LaunchError::already_launched);
  // Refused launches take no number and change nothing.
  const auto launches = m.launches_of(a);
  ASSERT_EQ(launches.size(), 1u);
  EXPECT_EQ(launches[0].token_reserve.base, kLaunchTokenReserve);
  const auto other_venue = m.launch(new_launch(a, Venue::meteora));
  ASSERT_TRUE(other_venue.has_value());
  EXPECT_EQ(other_venue->number, 2u);
  // Another market has launches of its own.
  Market other;
  EXPECT_TRUE(other.launch(new_launch(a, Venue::raydium)).has_value());
}

TEST(MarketLaunch, RefusesListedTokensUnlistedQuotesAndEmptyPools) {
  struct Case {
    const char* name;
    Launch launch;
    LaunchError error;
  };
  const TokenId fresh = named("LREFUSED");
  const Case cases[] = {
      {"a listed token", new_launch(token_id("BONK"), Venue::raydium), LaunchError::listed_token},
      {"no token", new_launch(TokenId{}, Venue::raydium), LaunchError::listed_token},
      {"a new token as the quote", new_launch(fresh, Venue::raydium, kLaunchTokenReserve, kLaunchQuoteReserve, named("LQUOTE")),
       LaunchError::unlisted_quote},
      {"no quote", new_launch(fresh, Venue::raydium, kLaunchTokenReserve, kLaunchQuoteReserve, TokenId{}),
       LaunchError::unlisted_quote},
      {"no tokens in the pool", new_launch(fresh, Venue::raydium, 0, kLaunchQuoteReserve), LaunchError::empty_pool},
      {"no liquidity in the pool", new_launch(fresh, Venue::raydium, kLaunchTokenReserve, 0), LaunchError::empty_pool},
  };
  Market m;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto r = m.launch(c.launch);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error(), c.error);
    EXPECT_FALSE(describe(r.error()).empty());
  }
  EXPECT_TRUE(m.launches_after(0).empty());
  EXPECT_TRUE(m.launches_of(fresh).empty());
  EXPECT_FALSE(m.has_pair(sol().token(), fresh.token()));
}

TEST(MarketLaunch, LaunchesAfterAndLaunchesOf) {
  Market m;
  const TokenId a = named("LLISTA");
  const TokenId b = named("LLISTB");
  ASSERT_TRUE(m.launch(new_launch(a, Venue::raydium)).has_value());
  ASSERT_TRUE(m.launch(new_launch(b, Venue::raydium, kLaunchTokenReserve, kLaunchQuoteReserve, usdc())).has_value());
  ASSERT_TRUE(m.launch(new_launch(a, Venue::meteora)).has_value());

  EXPECT_EQ(numbers(m.launches_after(0)), (std::vector<std::uint64_t>{1, 2, 3}));
  EXPECT_EQ(numbers(m.launches_after(1)), (std::vector<std::uint64_t>{2, 3}));
  EXPECT_EQ(numbers(m.launches_after(2)), (std::vector<std::uint64_t>{3}));
  EXPECT_TRUE(m.launches_after(3).empty());
  EXPECT_TRUE(m.launches_after(100).empty());

  const auto of_a = m.launches_of(a);
  EXPECT_EQ(numbers(of_a), (std::vector<std::uint64_t>{1, 3}));
  ASSERT_EQ(of_a.size(), 2u);
  EXPECT_EQ(of_a[0].venue, Venue::raydium);
  EXPECT_EQ(of_a[1].venue, Venue::meteora);
  const auto of_b = m.launches_of(b);
  ASSERT_EQ(of_b.size(), 1u);
  EXPECT_EQ(of_b[0].number, 2u);
  EXPECT_TRUE(of_b[0].quote == usdc());
  EXPECT_TRUE(m.launches_of(named("LNEVER")).empty());
  EXPECT_TRUE(m.launches_of(TokenId{}).empty());
  EXPECT_TRUE(m.launches_of(sol()).empty());
}

// ---------------------------------------------------------------- pools of launched tokens

TEST(MarketLaunch, PoolsOfATokenLaunchedOnOneVenue) {
  Market m;
  const TokenId p = named("LPOOL");
  const Token& sol_t = sol().token();
  const Token& new_t = p.token();
  EXPECT_FALSE(m.has_pair(sol_t, new_t));
  EXPECT_FALSE(m.pools(sol_t, new_t, t0()).has_value());

  ASSERT_TRUE(m.launch(new_launch(p, Venue::meteora)).has_value());
  EXPECT_TRUE(m.has_pair(sol_t, new_t));
  EXPECT_TRUE(m.has_pair(new_t, sol_t));
  EXPECT_FALSE(m.has_pair(usdc().token(), new_t)) << "launched against SOL only";
  EXPECT_FALSE(m.pools(usdc().token(), new_t, t0()).has_value());

  // Buying: SOL in, the new token out.
  const auto buying = m.pools(sol_t, new_t, t0());
  ASSERT_TRUE(buying.has_value());
  const Pool& no_launch = (*buying)[static_cast<std::size_t>(Venue::raydium)];
  EXPECT_EQ(no_launch.reserve_in.base, 0u);
  EXPECT_EQ(no_launch.reserve_out.base, 0u);
  EXPECT_EQ(no_launch.fee_bps, 0u);
  const Pool& launched = (*buying)[static_cast<std::size_t>(Venue::meteora)];
  EXPECT_EQ(launched.reserve_in.base, kLaunchQuoteReserve);
  EXPECT_EQ(launched.reserve_out.base, kLaunchTokenReserve);
  EXPECT_EQ(launched.fee_bps, 20u);

  // Selling: the new token in, SOL out.
  const auto selling = m.pools(new_t, sol_t, t0());
  ASSERT_TRUE(selling.has_value());
  EXPECT_EQ((*selling)[0].reserve_out.base, 0u);
  EXPECT_EQ((*selling)[1].reserve_in.base, kLaunchTokenReserve);
  EXPECT_EQ((*selling)[1].reserve_out.base, kLaunchQuoteReserve);
  EXPECT_EQ((*selling)[1].fee_bps, 20u);

  // pool(): only the venue it launched on.
  EXPECT_FALSE(m.pool(Venue::raydium, sol_t, new_t, t0()).has_value());
  const auto one = m.pool(Venue::meteora, sol_t, new_t, t0());
  ASSERT_TRUE(one.has_value());
  EXPECT_EQ(one->reserve_in.base, kLaunchQuoteReserve);
  EXPECT_EQ(one->reserve_out.base, kLaunchTokenReserve);

  // Launched pools hold their reserves: the time does not move them.
  const auto later = m.pools(sol_t, new_t, t0() + std::chrono::hours(5));
  ASSERT_TRUE(later.has_value());
  EXPECT_EQ((*later)[1].reserve_in.base, kLaunchQuoteReserve);
  EXPECT_EQ((*later)[1].reserve_out.base, kLaunchTokenReserve);

  // A second launch on raydium fills its pool, at raydium's 25 bps.
  ASSERT_TRUE(m.launch(new_launch(p, Venue::raydium, 2 * kLaunchTokenReserve, kLaunchQuoteReserve)).has_value());
  const auto both = m.pools(sol_t, new_t, t0());
  ASSERT_TRUE(both.has_value());
  EXPECT_EQ((*both)[0].reserve_in.base, kLaunchQuoteReserve);
  EXPECT_EQ((*both)[0].reserve_out.base, 2 * kLaunchTokenReserve);
  EXPECT_EQ((*both)[0].fee_bps, 25u);
  EXPECT_EQ((*both)[1].reserve_out.base, kLaunchTokenReserve);

  // Another market never saw the launch.
  Market other;
  EXPECT_FALSE(other.has_pair(sol_t, new_t));
}

TEST(MarketLaunch, LaunchPoolIsSeenFromTheQuoteSide) {
  Launch l = new_launch(named("LPOOL"), Venue::raydium);
  const Pool raydium = launch_pool(l);
  EXPECT_EQ(raydium.reserve_in.base, kLaunchQuoteReserve);
  EXPECT_EQ(raydium.reserve_out.base, kLaunchTokenReserve);
  EXPECT_EQ(raydium.fee_bps, 25u);
  l.venue = Venue::meteora;
  EXPECT_EQ(launch_pool(l).fee_bps, 20u);
}

// ---------------------------------------------------------------- Router::route_on_venue

TEST(RouteOnVenue, QuotesOnlyTheGivenVenueOfAListedPair) {
  Market m;
  Router r(m);
  const Token& sol_t = sol().token();
  const Token& usdc_t = usdc().token();
  const auto both = r.route(sol_t, usdc_t, Amount{kOneSol}, t0());
  ASSERT_TRUE(both.has_value());
  ASSERT_EQ(both->quotes.size(), 2u);
  for (Venue venue : kAllVenues) {
    SCOPED_TRACE(std::string(venue_name(venue)));
    const auto v = static_cast<std::size_t>(venue);
    const auto only = r.route_on_venue(venue, sol_t, usdc_t, Amount{kOneSol}, t0());
    ASSERT_TRUE(only.has_value());
    EXPECT_EQ(only->best.venue, venue);
    EXPECT_EQ(only->best.amount_out, both->quotes[v].amount_out);
    ASSERT_EQ(only->quotes.size(), 2u);
    EXPECT_EQ(only->quotes[v].amount_out, both->quotes[v].amount_out);
    EXPECT_GT(only->quotes[v].amount_out.base, 0u);
    EXPECT_EQ(only->quotes[1 - v].amount_out.base, 0u) << "the other venue quotes nothing";
  }
}

TEST(RouteOnVenue, ALaunchedTokenRoutesOnlyWhereItLaunched) {
  Market m;
  Router r(m);
  const TokenId p = named("LROUTE");
  const Token& sol_t = sol().token();
  EXPECT_EQ(r.route_on_venue(Venue::meteora, sol_t, p.token(), Amount{kOneSol}, t0()).error(), RouteError::no_pool)
      << "before the launch";
  ASSERT_TRUE(m.launch(new_launch(p, Venue::meteora)).has_value());

  const auto raydium = r.route_on_venue(Venue::raydium, sol_t, p.token(), Amount{kOneSol}, t0());
  ASSERT_FALSE(raydium.has_value());
  EXPECT_EQ(raydium.error(), RouteError::no_pool);

  // 1 SOL on meteora's 5 * 10^10 / 5 * 10^14 at 20 bps:
  //   in_after_fee = 998'000'000
  //   out = floor(5 * 10^14 * 998'000'000 / 50'998'000'000) = 9'784'697'439'115
  const auto meteora = r.route_on_venue(Venue::meteora, sol_t, p.token(), Amount{kOneSol}, t0());
  ASSERT_TRUE(meteora.has_value());
  EXPECT_EQ(meteora->best.venue, Venue::meteora);
  EXPECT_EQ(meteora->best.amount_out.base, 9'784'697'439'115u);
  EXPECT_EQ(meteora->quotes[0].amount_out.base, 0u);
  // The plain route finds the same pool.
  const auto any = r.route(sol_t, p.token(), Amount{kOneSol}, t0());
  ASSERT_TRUE(any.has_value());
  EXPECT_EQ(any->best.venue, Venue::meteora);
  EXPECT_EQ(any->best.amount_out.base, 9'784'697'439'115u);

  // Too little to buy anything: 1 lamport is 0 after the fee.
  const auto dust = r.route_on_venue(Venue::meteora, sol_t, p.token(), Amount{1}, t0());
  ASSERT_FALSE(dust.has_value());
  EXPECT_EQ(dust.error(), RouteError::amount_too_small);

  // A token nobody launched has no pool anywhere.
  EXPECT_EQ(r.route_on_venue(Venue::raydium, sol_t, named("LNOLAUNCH").token(), Amount{kOneSol}, t0()).error(),
            RouteError::no_pool);
}

// ---------------------------------------------------------------- amount_at_max_price

TEST(AmountAtMaxPrice, ExactValues) {
  // 1 SOL at no more than 0.000001 SOL per token (6 decimals): 10^6 whole
  // tokens, 10^12 base units.
  const auto million = amount_at_max_price(Amount{kOneSol}, 9, 1'000'000, 6);
  ASSERT_TRUE(million.has_value());
  EXPECT_EQ(million->base, 1'000'000'000'000u);
  // 1.5 USDC at 0.5 USDC per token: 3 tokens.
  EXPECT_EQ(amount_at_max_price(Amount{1'500'000}, 6, 500'000'000'000, 6)->base, 3'000'000u);
  // 2 SOL at 1 SOL per token of 9 decimals: 2 tokens.
  EXPECT_EQ(amount_at_max_price(Amount{2 * kOneSol}, 9, 1'000'000'000'000, 9)->base, 2'000'000'000u);
  // More input decimals than the price and output have: the divisor scales.
  EXPECT_EQ(amount_at_max_price(Amount{3'000'000'000'000'000}, 15, 1'000'000'000'000, 0)->base, 3u);
}

TEST(AmountAtMaxPrice, RoundsUpSoItNeverPaysMoreThanThePrice) {
  // 1 SOL at 3 SOL per token: a third of a token, 333'333.33... base units.
  EXPECT_EQ(amount_at_max_price(Amount{kOneSol}, 9, 3'000'000'000'000, 6)->base, 333'334u);
  // 1 lamport at 1'000 SOL per token: 10^-12 tokens, still 1 base unit.
  EXPECT_EQ(amount_at_max_price(Amount{1}, 9, 1'000'000'000'000'000, 6)->base, 1u);
  // 2'000 base units of a 15-decimal token at 1 per token of 0 decimals.
  EXPECT_EQ(amount_at_max_price(Amount{2'000}, 15, 1'000'000'000'000, 0)->base, 1u);
  // 1.000000001 SOL at 2 SOL per token of 9 decimals: 500'000'000.5 base
  // units round up; 1 SOL is exactly 500'000'000.
  EXPECT_EQ(amount_at_max_price(Amount{kOneSol + 1}, 9, 2'000'000'000'000, 9)->base, kOneSol / 2 + 1);
  EXPECT_EQ(amount_at_max_price(Amount{kOneSol}, 9, 2'000'000'000'000, 9)->base, kOneSol / 2);
}

TEST(AmountAtMaxPrice, RefusesZeroAndWhatDoesNotFit) {
  EXPECT_EQ(amount_at_max_price(Amount{0}, 9, 1'000'000, 6).error(), AmountError::not_positive);
  EXPECT_EQ(amount_at_max_price(Amount{kOneSol}, 9, 0, 6).error(), AmountError::not_positive);
  const std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
  EXPECT_EQ(amount_at_max_price(Amount{max}, 0, 1, 0).error(), AmountError::too_large);
  // At exactly 1 per token, the whole range fits.
  EXPECT_EQ(amount_at_max_price(Amount{max}, 0, 1'000'000'000'000, 0)->base, max);
}

}  // namespace
}  // namespace oee::core
