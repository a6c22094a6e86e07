#include "core/domain/sniper_watch.h"

#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/domain/market.h"
#include "core/domain/order.h"
#include "core/domain/router.h"
#include "core/domain/tokens.h"
#include "core/domain/venue.h"
#include "eventlog/types.h"
#include "tests/unit/domain_fixtures.h"

namespace oee::core {
namespace {

constexpr std::int64_t kAcceptedAt = 1'000'000;
// The default launch: 10^9 whole new tokens (6 decimals) against 100 SOL.
constexpr std::uint64_t kWatchedTokenReserve = 1'000'000'000'000'000;
constexpr std::uint64_t kWatchedQuoteReserve = 100'000'000'000;
// 1 SOL on the default launch on raydium (25 bps):
//   in_after_fee = 10^9 * 9'975 / 10'000 = 997'500'000
//   out = floor(10^15 * 997'500'000 / (10^11 + 997'500'000)) = 9'876'482'091'140
constexpr std::uint64_t kRaydiumOut = 9'876'482'091'140;
// The same on meteora (20 bps): in_after_fee = 998'000'000.
constexpr std::uint64_t kMeteoraOut = 9'881'383'789'778;

TokenId target() { return *TokenId::name("SOMENEW"); }

SniperChecks checks(bool mint_renounced, bool no_freeze, std::uint64_t min_liquidity = 0) {
  return SniperChecks{.require_mint_renounced = mint_renounced,
                      .require_no_freeze = no_freeze,
                      .min_liquidity = Amount{min_liquidity}};
}

// A sniper for 1 SOL of SOMENEW, accepted at kAcceptedAt.
WatchingSniper sniper(std::uint64_t min_out, SniperChecks c = SniperChecks{}, std::uint64_t launches_judged = 0) {
  return WatchingSniper{.id = OrderId::random(),
                        .seq = Seq{1},
                        .input = sol(),
                        .target = target(),
                        .amount_in = Amount{kOneSol},
                        .min_out = Amount{min_out},
                        .checks = c,
                        .accepted_at = TimestampNs{kAcceptedAt},
                        .expires_at = TimestampNs{0},
                        .launches_judged = launches_judged};
}

// A clean launch of SOMENEW against SOL, after the sniper was accepted.
Launch launch(std::uint64_t number, Venue venue, std::uint64_t token_reserve = kWatchedTokenReserve,
              std::uint64_t quote_reserve = kWatchedQuoteReserve) {
  return Launch{.token = target(),
                .quote = sol(),
                .venue = venue,
                .token_reserve = Amount{token_reserve},
                .quote_reserve = Amount{quote_reserve},
                .mint_renounced = true,
                .freeze_authority = false,
                .launched_at = TimestampNs{kAcceptedAt + 1'000},
                .number = number};
}

Launch with_freeze(Launch l) {
  l.freeze_authority = true;
  return l;
}

Launch not_renounced(Launch l) {
  l.mint_renounced = false;
  return l;
}

// What the whole amount buys on a launch: fee and price impact included.
Quote exact(const Launch& l) { return quote_pool(l.venue, launch_pool(l), Amount{kOneSol}); }

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

// ---------------------------------------------------------------- judge_launches

TEST(JudgeLaunches, APassingLaunchFiresWithTheExactQuote) {
  const Launch l = launch(1, Venue::raydium);
  ASSERT_EQ(exact(l).amount_out.base, kRaydiumOut);
  // A bound exactly at the exact quote fires (the spot price after fee
  // would pay 9'975'000'000'000; price impact takes ~1% of that).
  const SniperJudgement j = judge_launches(sniper(kRaydiumOut), std::vector<Launch>{l});
  ASSERT_TRUE(j.buy.has_value());
  EXPECT_FALSE(j.turned_down.has_value());
  EXPECT_EQ(j.buy->best.venue, Venue::raydium);
  EXPECT_EQ(j.buy->best.amount_in.base, kOneSol);
  EXPECT_EQ(j.buy->best.amount_out.base, kRaydiumOut);
  EXPECT_EQ(j.buy->best.fee_bps, 25u);
  EXPECT_EQ(j.buy->best.price_impact_bps, 98u);
  // Quoted on the launch's pool from SOL's side.
  EXPECT_EQ(j.buy->best.reserve_in.base, kWatchedQuoteReserve);
  EXPECT_EQ(j.buy->best.reserve_out.base, kWatchedTokenReserve);
  // The venue without a launch quotes nothing.
  ASSERT_EQ(j.buy->quotes.size(), 2u);
  EXPECT_EQ(j.buy->quotes[1].venue, Venue::meteora);
  EXPECT_EQ(j.buy->quotes[1].amount_out.base, 0u);
}

TEST(JudgeLaunches, ALaunchWhoseExactQuoteIsBelowTheBoundIsTurnedDown) {
  const Launch l = launch(4, Venue::raydium);
  // One base unit more than the whole amount fetches: the spot price
  // would pass it, the exact quote does not.
  const SniperJudgement j = judge_launches(sniper(kRaydiumOut + 1), std::vector<Launch>{l});
  EXPECT_FALSE(j.buy.has_value());
  ASSERT_TRUE(j.turned_down.has_value());
  EXPECT_EQ(j.turned_down->venue, Venue::raydium);
  EXPECT_EQ(j.turned_down->launch, 4u);
  EXPECT_TRUE(starts_with(j.turned_down->reason, "price above the bound")) << j.turned_down->reason;
  // It names what the amount would buy and what the order asks, in SOMENEW.
  EXPECT_NE(j.turned_down->reason.find("would buy 9876482.09114,"), std::string::npos) << j.turned_down->reason;
  EXPECT_NE(j.turned_down->reason.find("at least 9876482.091141"), std::string::npos) << j.turned_down->reason;
}

TEST(JudgeLaunches, AMintNotRenouncedIsTurnedDownOnlyWhenTheCheckIsRequired) {
  const Launch l = not_renounced(launch(2, Venue::meteora));
  const SniperJudgement required = judge_launches(sniper(1), std::vector<Launch>{l});
  EXPECT_FALSE(required.buy.has_value());
  ASSERT_TRUE(required.turned_down.has_value());
  EXPECT_EQ(required.turned_down->reason, "mint authority not renounced");
  EXPECT_EQ(required.turned_down->venue, Venue::meteora);
  EXPECT_EQ(required.turned_down->launch, 2u);

  const SniperJudgement waived = judge_launches(sniper(1, checks(false, true)), std::vector<Launch>{l});
  ASSERT_TRUE(waived.buy.has_value());
  EXPECT_FALSE(waived.turned_down.has_value());
  EXPECT_EQ(waived.buy->best.venue, Venue::meteora);
  EXPECT_EQ(waived.buy->best.amount_out.base, kMeteoraOut);
}

TEST(JudgeLaunches, AFreezeAuthorityIsTurnedDownOnlyWhenTheCheckIsRequired) {
  const Launch l = with_freeze(launch(3, Venue::raydium));
  const SniperJudgement required = judge_launches(sniper(1), std::vector<Launch>{l});
  EXPECT_FALSE(required.buy.has_value());
  ASSERT_TRUE(required.turned_down.has_value());
  EXPECT_EQ(required.turned_down->reason, "freeze authority present");
  EXPECT_EQ(required.turned_down->launch, 3u);

  const SniperJudgement waived = judge_launches(sniper(1, checks(true, false)), std::vector<Launch>{l});
  ASSERT_TRUE(waived.buy.has_value());
  EXPECT_FALSE(waived.turned_down.has_value());
  EXPECT_EQ(waived.buy->best.amount_out.base, kRaydiumOut);

  // Waiving one check keeps the other: no mint check, freeze still required.
  const SniperJudgement other_waived =
      judge_launches(sniper(1, checks(false, true)), std::vector<Launch>{not_renounced(l)});
  EXPECT_FALSE(other_waived.buy.has_value());
  ASSERT_TRUE(other_waived.turned_down.has_value());
  EXPECT_EQ(other_waived.turned_down->reason, "freeze authority present");
}

TEST(JudgeLaunches, LiquidityBelowTheMinimumIsTurnedDownAndAtItPasses) {
  const Launch l = launch(1, Venue::raydium);
  const SniperJudgement below = judge_launches(sniper(1, checks(true, true, kWatchedQuoteReserve + 1)), std::vector<Launch>{l});
  EXPECT_FALSE(below.buy.has_value());
  ASSERT_TRUE(below.turned_down.has_value());
  EXPECT_EQ(below.turned_down->reason, "liquidity 100 below the minimum 100.000000001");

  const SniperJudgement at = judge_launches(sniper(1, checks(true, true, kWatchedQuoteReserve)), std::vector<Launch>{l});
  ASSERT_TRUE(at.buy.has_value());
  EXPECT_FALSE(at.turned_down.has_value());
}

TEST(JudgeLaunches, ALaunchNotAfterTheAcceptanceNeverCounts) {
  Launch at_acceptance = launch(1, Venue::raydium);
  at_acceptance.launched_at = TimestampNs{kAcceptedAt};
  Launch before = with_freeze(launch(2, Venue::meteora));
  before.launched_at = TimestampNs{kAcceptedAt - 1};
  const SniperJudgement j = judge_launches(sniper(1), std::vector<Launch>{at_acceptance, before});
  EXPECT_FALSE(j.buy.has_value());
  EXPECT_FALSE(j.turned_down.has_value());

  // One nanosecond later, the same launches count.
  at_acceptance.launched_at = TimestampNs{kAcceptedAt + 1};
  before.launched_at = TimestampNs{kAcceptedAt + 1};
  EXPECT_TRUE(judge_launches(sniper(1), std::vector<Launch>{at_acceptance}).buy.has_value());
  EXPECT_TRUE(judge_launches(sniper(1), std::vector<Launch>{before}).turned_down.has_value());
}

TEST(JudgeLaunches, LaunchesAlreadyJudgedAreIgnored) {
  // Judged up to 2: a passing launch 2 and a failing launch 1 are not
  // looked at again; launch 3 is.
  const std::vector<Launch> old{with_freeze(launch(1, Venue::meteora)), launch(2, Venue::raydium)};
  const SniperJudgement none = judge_launches(sniper(1, SniperChecks{}, 2), old);
  EXPECT_FALSE(none.buy.has_value());
  EXPECT_FALSE(none.turned_down.has_value());

  const std::vector<Launch> with_new{launch(2, Venue::raydium), with_freeze(launch(3, Venue::meteora))};
  const SniperJudgement j = judge_launches(sniper(1, SniperChecks{}, 2), with_new);
  EXPECT_FALSE(j.buy.has_value());
  ASSERT_TRUE(j.turned_down.has_value());
  EXPECT_EQ(j.turned_down->launch, 3u);
}

TEST(JudgeLaunches, LaunchesAgainstAnotherQuoteOrOfAnotherTokenAreIgnored) {
  Launch against_usdc = launch(1, Venue::raydium);
  against_usdc.quote = usdc();
  Launch other_token = launch(2, Venue::meteora);
  other_token.token = *TokenId::name("OTHERNEW");
  Launch failing_against_usdc = with_freeze(launch(3, Venue::meteora));
  failing_against_usdc.quote = usdc();
  const SniperJudgement j = judge_launches(sniper(1), std::vector<Launch>{against_usdc, other_token, failing_against_usdc});
  EXPECT_FALSE(j.buy.has_value());
  EXPECT_FALSE(j.turned_down.has_value());
}

TEST(JudgeLaunches, TwoPassingLaunchesBuyOnceOnTheBetterQuote) {
  // Raydium's pool holds twice the tokens: it wins despite its higher fee.
  // Launched meteora first, so the pick is not the order of the launches.
  const Launch on_meteora = launch(1, Venue::meteora);
  const Launch on_raydium = launch(2, Venue::raydium, 2 * kWatchedTokenReserve);
  const SniperJudgement j = judge_launches(sniper(1), std::vector<Launch>{on_meteora, on_raydium});
  ASSERT_TRUE(j.buy.has_value());
  EXPECT_FALSE(j.turned_down.has_value());
  EXPECT_EQ(j.buy->best.venue, Venue::raydium);
  // in_after_fee 997'500'000: floor(2 * 10^15 * 997'500'000 / 100'997'500'000).
  EXPECT_EQ(j.buy->best.amount_out.base, 19'752'964'182'281u);
  ASSERT_EQ(j.buy->quotes.size(), std::size(kAllVenues));
  for (std::size_t v = 0; v < j.buy->quotes.size(); ++v) {
    EXPECT_EQ(j.buy->quotes[v].venue, kAllVenues[v]) << v;
  }
  EXPECT_EQ(j.buy->quotes[0].amount_out, exact(on_raydium).amount_out);
  EXPECT_EQ(j.buy->quotes[1].amount_out.base, kMeteoraOut);
  EXPECT_EQ(j.buy->quotes[1].fee_bps, 20u);

  // Equal pools: meteora's lower fee fetches more.
  const SniperJudgement equal =
      judge_launches(sniper(1), std::vector<Launch>{launch(1, Venue::raydium), launch(2, Venue::meteora)});
  ASSERT_TRUE(equal.buy.has_value());
  EXPECT_EQ(equal.buy->best.venue, Venue::meteora);
  EXPECT_EQ(equal.buy->best.amount_out.base, kMeteoraOut);
  EXPECT_EQ(equal.buy->quotes[0].amount_out.base, kRaydiumOut);
}

TEST(JudgeLaunches, AFailingAndAPassingLaunchBuyOnThePassingVenue) {
  // The failing launch comes first and would quote more; it is not bought.
  const Launch failing = with_freeze(launch(1, Venue::raydium, 2 * kWatchedTokenReserve));
  const Launch passing = launch(2, Venue::meteora);
  const SniperJudgement j = judge_launches(sniper(1), std::vector<Launch>{failing, passing});
  ASSERT_TRUE(j.buy.has_value());
  EXPECT_FALSE(j.turned_down.has_value());
  EXPECT_EQ(j.buy->best.venue, Venue::meteora);
  EXPECT_EQ(j.buy->best.amount_out.base, kMeteoraOut);
  ASSERT_EQ(j.buy->quotes.size(), 2u);
  EXPECT_EQ(j.buy->quotes[0].amount_out.base, 0u);
}

TEST(JudgeLaunches, WhenAllFailTheLowestNumberedLaunchIsTurnedDown) {
  // Seen in the other order: the earliest launch is the one reported.
  const Launch later = with_freeze(launch(5, Venue::raydium));
  const Launch earlier = not_renounced(launch(3, Venue::meteora));
  const SniperJudgement j = judge_launches(sniper(1), std::vector<Launch>{later, earlier});
  EXPECT_FALSE(j.buy.has_value());
  ASSERT_TRUE(j.turned_down.has_value());
  EXPECT_EQ(j.turned_down->launch, 3u);
  EXPECT_EQ(j.turned_down->venue, Venue::meteora);
  EXPECT_EQ(j.turned_down->reason, "mint authority not renounced");
}

TEST(JudgeLaunches, NoLaunchesJudgeNothing) {
  const SniperJudgement j = judge_launches(sniper(1), std::vector<Launch>{});
  EXPECT_FALSE(j.buy.has_value());
  EXPECT_FALSE(j.turned_down.has_value());
}

// ---------------------------------------------------------------- SniperWatch

WatchingSniper watcher(std::uint64_t seq, TokenId for_target, std::int64_t expires_at = 0) {
  WatchingSniper s = sniper(1);
  s.seq = Seq{seq};
  s.target = for_target;
  s.expires_at = TimestampNs{expires_at};
  return s;
}

std::vector<std::string> ids(const std::vector<WatchingSniper>& snipers) {
  std::vector<std::string> out;
  for (const auto& s : snipers) out.push_back(s.id.str());
  return out;
}

std::vector<std::uint64_t> seqs(const std::vector<WatchingSniper>& snipers) {
  std::vector<std::uint64_t> out;
  for (const auto& s : snipers) out.push_back(s.seq.value);
  return out;
}

TEST(SniperWatch, WatchingReturnsOneTargetsSnipersFirstComeFirst) {
  const TokenId a = *TokenId::name("WATCHA");
  const TokenId b = *TokenId::name("WATCHB");
  const WatchingSniper s5 = watcher(5, a);
  const WatchingSniper s2 = watcher(2, a);
  const WatchingSniper s9 = watcher(9, a);
  const WatchingSniper s1 = watcher(1, b);
  SniperWatch w;
  for (const WatchingSniper* s : {&s5, &s2, &s9, &s1}) w.add(*s);  // not in seq order
  EXPECT_EQ(w.size(), 4u);

  EXPECT_EQ(seqs(w.watching(a)), (std::vector<std::uint64_t>{2, 5, 9}));
  EXPECT_EQ(ids(w.watching(a)), (std::vector<std::string>{s2.id.str(), s5.id.str(), s9.id.str()}));
  EXPECT_EQ(ids(w.watching(b)), (std::vector<std::string>{s1.id.str()}));
  EXPECT_TRUE(w.watching(*TokenId::name("WATCHC")).empty());
  EXPECT_TRUE(w.watching(TokenId{}).empty());
  EXPECT_TRUE(w.watching(sol()).empty());

  EXPECT_TRUE(w.contains(s9.id));
  const WatchingSniper* found = w.find(s9.id);
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->seq, Seq{9});
  EXPECT_TRUE(found->target == a);
  EXPECT_EQ(w.find(OrderId::random()), nullptr);
}

TEST(SniperWatch, RemoveTakesASniperOut) {
  const TokenId a = *TokenId::name("WATCHA");
  const WatchingSniper s1 = watcher(1, a, 100);
  const WatchingSniper s2 = watcher(2, a);
  SniperWatch w;
  w.add(s1);
  w.add(s2);

  EXPECT_TRUE(w.remove(s1.id));
  EXPECT_FALSE(w.remove(s1.id)) << "already gone";
  EXPECT_FALSE(w.contains(s1.id));
  EXPECT_EQ(w.find(s1.id), nullptr);
  EXPECT_EQ(w.size(), 1u);
  EXPECT_EQ(ids(w.watching(a)), (std::vector<std::string>{s2.id.str()}));
  // Its expiry went with it.
  EXPECT_EQ(w.next_expiry().value, 0);
  EXPECT_TRUE(w.pop_expired(TimestampNs{1'000}).empty());

  EXPECT_TRUE(w.remove(s2.id));
  EXPECT_EQ(w.size(), 0u);
  EXPECT_TRUE(w.watching(a).empty());
  EXPECT_FALSE(w.remove(OrderId::random()));
}

TEST(SniperWatch, PopExpiredReturnsTheExpiredEarliestFirstAndRemovesThem) {
  const TokenId a = *TokenId::name("WATCHA");
  const WatchingSniper at300 = watcher(1, a, 300);
  const WatchingSniper at100 = watcher(2, a, 100);
  const WatchingSniper never = watcher(3, a, 0);
  const WatchingSniper at200 = watcher(4, a, 200);
  SniperWatch w;
  for (const WatchingSniper* s : {&at300, &at100, &never, &at200}) w.add(*s);
  EXPECT_EQ(w.next_expiry().value, 100);

  EXPECT_TRUE(w.pop_expired(TimestampNs{99}).empty());
  EXPECT_EQ(w.size(), 4u);

  // At or before `now`: 200 is included.
  const auto expired = w.pop_expired(TimestampNs{200});
  EXPECT_EQ(ids(expired), (std::vector<std::string>{at100.id.str(), at200.id.str()}));
  EXPECT_EQ(w.size(), 2u);
  EXPECT_FALSE(w.contains(at100.id));
  EXPECT_FALSE(w.contains(at200.id));
  EXPECT_EQ(ids(w.watching(a)), (std::vector<std::string>{at300.id.str(), never.id.str()}));
  EXPECT_EQ(w.next_expiry().value, 300);
  EXPECT_TRUE(w.pop_expired(TimestampNs{200}).empty()) << "popped once only";

  // A sniper without an expiry never expires; with none left to expire the
  // next expiry is 0.
  EXPECT_EQ(ids(w.pop_expired(TimestampNs{std::numeric_limits<std::int64_t>::max()})),
            (std::vector<std::string>{at300.id.str()}));
  EXPECT_EQ(w.next_expiry().value, 0);
  EXPECT_EQ(w.size(), 1u);
  EXPECT_TRUE(w.contains(never.id));
}

TEST(SniperWatch, AddingTheSameIdReplacesTheSniper) {
  const TokenId a = *TokenId::name("WATCHA");
  const TokenId b = *TokenId::name("WATCHB");
  const WatchingSniper first = watcher(1, a, 100);
  WatchingSniper again = watcher(7, b, 500);
  again.id = first.id;
  again.launches_judged = 3;
  SniperWatch w;
  w.add(first);
  w.add(again);

  EXPECT_EQ(w.size(), 1u);
  EXPECT_TRUE(w.watching(a).empty());
  EXPECT_EQ(seqs(w.watching(b)), (std::vector<std::uint64_t>{7}));
  const WatchingSniper* found = w.find(first.id);
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->launches_judged, 3u);
  EXPECT_TRUE(found->target == b);
  // The old expiry is gone with the old entry.
  EXPECT_EQ(w.next_expiry().value, 500);
  EXPECT_TRUE(w.pop_expired(TimestampNs{100}).empty());
  EXPECT_EQ(ids(w.pop_expired(TimestampNs{500})), (std::vector<std::string>{first.id.str()}));
  EXPECT_EQ(w.size(), 0u);
}

}  // namespace
}  // namespace oee::core
