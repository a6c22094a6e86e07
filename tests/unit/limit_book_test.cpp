#include "core/domain/limit_book.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "core/domain/tokens.h"
#include "core/domain/trigger.h"
#include "core/domain/venue.h"
#include "eventlog/types.h"
#include "tests/unit/domain_fixtures.h"

namespace oee::core {
namespace {

using u128 = unsigned __int128;

TokenId usdt() { return token_id("USDT"); }

BookOrder order(std::uint64_t seq, std::uint64_t amount_in, std::uint64_t min_out, std::int64_t expires_at = 0,
                TokenId input = sol(), TokenId output = usdc()) {
  return BookOrder{OrderId::random(), Seq{seq},          input,
                   output,            Amount{amount_in}, Amount{min_out},
                   TimestampNs{expires_at}};
}

std::vector<std::string> ids(const std::vector<FiredOrder>& fired) {
  std::vector<std::string> out;
  for (const auto& f : fired) out.push_back(f.order.id.str());
  return out;
}

std::vector<std::string> ids(const std::vector<BookOrder>& orders) {
  std::vector<std::string> out;
  for (const auto& o : orders) out.push_back(o.id.str());
  return out;
}

std::vector<std::string> ids_of(std::initializer_list<const BookOrder*> orders) {
  std::vector<std::string> out;
  for (const BookOrder* o : orders) out.push_back(o->id.str());
  return out;
}

// Deep pools at 100 USDC units per SOL unit (raydium) and 10 (meteora):
// every small order below 100 fires on raydium.
Pools deep_pools() {
  return Pools{Pool{Amount{1'000'000'000'000}, Amount{100'000'000'000'000}, 0},
               Pool{Amount{1'000'000'000'000}, Amount{10'000'000'000'000}, 0}};
}

bool has_direction(const LimitBook& book, TokenId input, TokenId output) {
  const auto dirs = book.directions();
  return std::find(dirs.begin(), dirs.end(), std::pair{input, output}) != dirs.end();
}

// Asked prices (min_out / amount): A 30, B 10, C 10, D 20, E 10; seqs 1-5.
std::array<BookOrder, 5> five_orders() {
  return {order(1, 10, 300), order(2, 10, 100), order(3, 20, 200), order(4, 10, 200), order(5, 1, 10)};
}

// ---------------------------------------------------------------- price order

TEST(LimitBook, PopsTheLowestAskedPriceFirstAndFirstComeFirstServedAmongEqualPrices) {
  // Asked prices (min_out / amount): A 30, B 10, C 10, D 20, E 10.
  // B, C and E ask the same price (100/10 = 200/20 = 10/1): by seq, B C E.
  const auto [a, b, c, d, e] = five_orders();
  LimitBook book;
  for (const BookOrder* o : {&a, &e, &d, &c, &b}) book.add(*o);  // not in seq order
  ASSERT_EQ(book.size(), 5u);

  // All fire on raydium's 10^12 / 10^14 (each pays 99.99...% of 100 per unit):
  //   B: floor(10^14 * 10 / (10^12 + 10)) = 999
  //   C: on 10^12 + 10 / 10^14 - 999: 1'999
  //   E: 99; D: 999; A: 999.
  const auto fired = book.pop_fired(sol(), usdc(), deep_pools());
  EXPECT_EQ(ids(fired), ids_of({&b, &c, &e, &d, &a}));
  EXPECT_EQ(book.size(), 0u);
  ASSERT_EQ(fired.size(), 5u);
  const std::uint64_t outs[] = {999, 1'999, 99, 999, 999};
  for (std::size_t i = 0; i < fired.size(); ++i) {
    EXPECT_EQ(fired[i].decision.best.venue, Venue::raydium) << i;
    EXPECT_EQ(fired[i].decision.best.amount_out.base, outs[i]) << i;
    EXPECT_EQ(fired[i].decision.best.amount_in, fired[i].order.amount_in) << i;
  }
  // The order comes back as it went in.
  EXPECT_EQ(fired[1].order.seq, Seq{3});
  EXPECT_EQ(fired[1].order.amount_in.base, 20u);
  EXPECT_EQ(fired[1].order.min_out.base, 200u);
  EXPECT_TRUE(fired[1].order.input == sol());
  EXPECT_TRUE(fired[1].order.output == usdc());
  // Each decision saw the pool the orders before it left: B (10 in) moved
  // raydium's input reserve to 10^12 + 10, then C (20 in) to 10^12 + 30.
  EXPECT_EQ(fired[0].decision.best.reserve_in.base, 1'000'000'000'000u);
  EXPECT_EQ(fired[1].decision.best.reserve_in.base, 1'000'000'000'010u);
  EXPECT_EQ(fired[2].decision.best.reserve_in.base, 1'000'000'000'030u);
  EXPECT_EQ(fired[1].decision.best.reserve_out.base, 100'000'000'000'000u - 999u);
}

TEST(LimitBook, LevelsGroupEqualPricesLowestFirst) {
  const auto [a, b, c, d, e] = five_orders();
  LimitBook book;
  for (const BookOrder* o : {&a, &e, &d, &c, &b}) book.add(*o);

  const auto levels = book.levels(sol(), usdc(), 10);
  ASSERT_EQ(levels.size(), 3u);
  // Price 10: B (the first by seq) names it; B + C + E = 10 + 20 + 1 in.
  EXPECT_EQ(levels[0].min_out.base, 100u);
  EXPECT_EQ(levels[0].amount_in.base, 10u);
  EXPECT_EQ(levels[0].total_in.base, 31u);
  EXPECT_EQ(levels[0].orders, 3u);
  // Price 20: D.
  EXPECT_EQ(levels[1].min_out.base, 200u);
  EXPECT_EQ(levels[1].amount_in.base, 10u);
  EXPECT_EQ(levels[1].total_in.base, 10u);
  EXPECT_EQ(levels[1].orders, 1u);
  // Price 30: A.
  EXPECT_EQ(levels[2].min_out.base, 300u);
  EXPECT_EQ(levels[2].total_in.base, 10u);
  EXPECT_EQ(levels[2].orders, 1u);

  const auto two = book.levels(sol(), usdc(), 2);
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0].orders, 3u);
  EXPECT_EQ(two[1].min_out.base, 200u);
  EXPECT_TRUE(book.levels(sol(), usdc(), 0).empty());
  EXPECT_TRUE(book.levels(usdc(), sol(), 10).empty());  // the other direction holds nothing
  EXPECT_EQ(book.size(), 5u);                           // levels() only looks
}

// ---------------------------------------------------------------- what fires

TEST(LimitBook, PopFiredTakesOnlyTheOrdersThatFire) {
  // Spot price 1 on raydium (no fee) and on meteora (30 bps).
  const Pools pools{Pool{Amount{1'000'000'000}, Amount{1'000'000'000}, 0},
                    Pool{Amount{1'000'000'000}, Amount{1'000'000'000}, 30}};
  // large: asks 0.95, within the spot price, but its size moves the price:
  //   raydium pays floor(10^9 * 10^8 / 1.1 * 10^9) = 90'909'090 < 95'000'000,
  //   meteora floor(10^9 * 99'700'000 / 1'099'700'000) = 90'661'089.
  const BookOrder large = order(1, 100'000'000, 95'000'000);
  // small: asks 0.96, behind large, and fires: floor(10^12 / (10^9 + 1'000)) = 999.
  const BookOrder small = order(2, 1'000, 960);
  // small2: asks 0.99 and fires on the pool small left:
  //   floor((10^9 - 999) * 1'000 / (10^9 + 2'000)) = 999.
  const BookOrder small2 = order(3, 1'000, 990);
  // above: asks 1.001, above every pool's spot price; and one further above.
  const BookOrder above = order(4, 1'000, 1'001);
  const BookOrder far_above = order(5, 10, 20);
  ASSERT_TRUE(spot_reaches(pools[0], large.amount_in, large.min_out));
  ASSERT_FALSE(fires(pools, large.amount_in, large.min_out).has_value());
  ASSERT_FALSE(spot_reaches(pools[0], above.amount_in, above.min_out));
  ASSERT_FALSE(spot_reaches(pools[1], above.amount_in, above.min_out));

  LimitBook book;
  for (const BookOrder* o : {&far_above, &above, &small2, &small, &large}) book.add(*o);
  const auto fired = book.pop_fired(sol(), usdc(), pools);
  EXPECT_EQ(ids(fired), ids_of({&small, &small2}));
  ASSERT_EQ(fired.size(), 2u);
  EXPECT_EQ(fired[0].decision.best.amount_out.base, 999u);
  EXPECT_EQ(fired[1].decision.best.amount_out.base, 999u);
  EXPECT_EQ(fired[1].decision.best.reserve_in.base, 1'000'001'000u);
  EXPECT_EQ(fired[1].decision.best.reserve_out.base, 999'999'001u);

  EXPECT_EQ(book.size(), 3u);
  EXPECT_TRUE(book.contains(large.id));
  EXPECT_TRUE(book.contains(above.id));
  EXPECT_TRUE(book.contains(far_above.id));
  EXPECT_FALSE(book.contains(small.id));
  EXPECT_FALSE(book.contains(small2.id));
  const auto levels = book.levels(sol(), usdc(), 10);
  ASSERT_EQ(levels.size(), 3u);
  EXPECT_EQ(levels[0].min_out, large.min_out);
  EXPECT_EQ(levels[1].min_out, above.min_out);
  EXPECT_EQ(levels[2].min_out, far_above.min_out);

  // The same pools again fire nothing: large still cannot.
  EXPECT_TRUE(book.pop_fired(sol(), usdc(), pools).empty());
  EXPECT_EQ(book.size(), 3u);
}

TEST(LimitBook, AFiredOrdersSwapMovesThePoolsBeforeTheNextIsChecked) {
  // Raydium 10^6 / 10^6; meteora 10^6 / 10^5 pays far too little to matter.
  const Pools pools{Pool{Amount{1'000'000}, Amount{1'000'000}, 0}, Pool{Amount{1'000'000}, Amount{100'000}, 0}};
  // Two orders asking 90'000 for 100'000. On the fresh pools each would
  // fire: floor(10^11 / 1'100'000) = 90'909. After the first the pool is
  // 1'100'000 / 909'091 and pays floor(909'091 * 10^5 / 1'200'000) = 75'757.
  const BookOrder first = order(1, 100'000, 90'000);
  const BookOrder second = order(2, 100'000, 90'000);
  ASSERT_TRUE(fires(pools, second.amount_in, second.min_out).has_value());

  LimitBook book;
  book.add(second);
  book.add(first);
  const auto fired = book.pop_fired(sol(), usdc(), pools);
  EXPECT_EQ(ids(fired), ids_of({&first}));
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].decision.best.venue, Venue::raydium);
  EXPECT_EQ(fired[0].decision.best.amount_out.base, 90'909u);
  EXPECT_EQ(fired[0].decision.best.reserve_in.base, 1'000'000u);
  EXPECT_EQ(book.size(), 1u);
  EXPECT_TRUE(book.contains(second.id));

  // On the pools as the first left them the second still does not fire.
  const Pools moved{after_swap(pools[0], fired[0].decision.best), pools[1]};
  EXPECT_EQ(moved[0].reserve_in.base, 1'100'000u);
  EXPECT_EQ(moved[0].reserve_out.base, 909'091u);
  EXPECT_TRUE(book.pop_fired(sol(), usdc(), moved).empty());
  EXPECT_TRUE(book.contains(second.id));
  // Once the pools recover, it does.
  EXPECT_EQ(ids(book.pop_fired(sol(), usdc(), pools)), ids_of({&second}));
  EXPECT_EQ(book.size(), 0u);
}

TEST(LimitBook, EachOrderGoesToTheBestVenueOnThePoolsTheOrdersBeforeItLeft) {
  // Two identical 10^6 / 10^6 pools, three orders asking 50'000 for 100'000:
  //   1st: both pay 90'909, equal fees: raydium (first); raydium -> 1'100'000 / 909'091
  //   2nd: raydium 75'757, meteora 90'909: meteora; meteora -> 1'100'000 / 909'091
  //   3rd: both 75'757: raydium.
  const Pools pools{Pool{Amount{1'000'000}, Amount{1'000'000}, 0}, Pool{Amount{1'000'000}, Amount{1'000'000}, 0}};
  const BookOrder o1 = order(1, 100'000, 50'000);
  const BookOrder o2 = order(2, 100'000, 50'000);
  const BookOrder o3 = order(3, 100'000, 50'000);
  LimitBook book;
  book.add(o3);
  book.add(o1);
  book.add(o2);
  const auto fired = book.pop_fired(sol(), usdc(), pools);
  EXPECT_EQ(ids(fired), ids_of({&o1, &o2, &o3}));
  ASSERT_EQ(fired.size(), 3u);
  EXPECT_EQ(fired[0].decision.best.venue, Venue::raydium);
  EXPECT_EQ(fired[0].decision.best.amount_out.base, 90'909u);
  EXPECT_EQ(fired[1].decision.best.venue, Venue::meteora);
  EXPECT_EQ(fired[1].decision.best.amount_out.base, 90'909u);
  ASSERT_EQ(fired[1].decision.quotes.size(), 2u);
  EXPECT_EQ(fired[1].decision.quotes[0].amount_out.base, 75'757u);
  EXPECT_EQ(fired[2].decision.best.venue, Venue::raydium);
  EXPECT_EQ(fired[2].decision.best.amount_out.base, 75'757u);
  EXPECT_EQ(fired[2].decision.best.reserve_in.base, 1'100'000u);
  EXPECT_EQ(fired[2].decision.best.reserve_out.base, 909'091u);
  ASSERT_EQ(fired[2].decision.quotes.size(), 2u);
  EXPECT_EQ(fired[2].decision.quotes[1].reserve_in.base, 1'100'000u);
  EXPECT_EQ(fired[2].decision.quotes[1].amount_out.base, 75'757u);
}

TEST(LimitBook, PopFiredTouchesOnlyItsDirection) {
  LimitBook book;
  // Asks 1 USDC unit for 1'000 SOL units: fires on deep_pools() for SOL -> USDC.
  const BookOrder sell = order(1, 1'000, 1);
  // The same numbers the other way round (USDC -> SOL) and in SOL -> USDT.
  const BookOrder buy = order(2, 1'000, 1, 0, usdc(), sol());
  const BookOrder tether = order(3, 1'000, 1, 0, sol(), usdt());
  book.add(sell);
  book.add(buy);
  book.add(tether);
  EXPECT_EQ(ids(book.pop_fired(sol(), usdc(), deep_pools())), ids_of({&sell}));
  EXPECT_TRUE(book.contains(buy.id));
  EXPECT_TRUE(book.contains(tether.id));
  EXPECT_EQ(book.size(), 2u);
  // A direction without orders fires nothing and is not created.
  EXPECT_TRUE(book.pop_fired(usdt(), usdc(), deep_pools()).empty());
  EXPECT_FALSE(has_direction(book, usdt(), usdc()));
  EXPECT_EQ(book.directions().size(), 2u);
}

// ---------------------------------------------------------------- add / remove

TEST(LimitBook, RemoveTakesAnOrderOutOfThePriceSideAndTheExpiries) {
  const BookOrder a = order(1, 10, 100, 100);
  const BookOrder b = order(2, 10, 100, 200);
  LimitBook book;
  book.add(a);
  book.add(b);
  EXPECT_EQ(book.next_expiry(), TimestampNs{100});

  EXPECT_TRUE(book.remove(a.id));
  EXPECT_FALSE(book.contains(a.id));
  EXPECT_EQ(book.size(), 1u);
  EXPECT_FALSE(book.remove(a.id));  // already gone
  EXPECT_FALSE(book.remove(OrderId::random()));
  EXPECT_EQ(book.size(), 1u);
  EXPECT_EQ(book.next_expiry(), TimestampNs{200});

  const auto levels = book.levels(sol(), usdc(), 10);
  ASSERT_EQ(levels.size(), 1u);
  EXPECT_EQ(levels[0].orders, 1u);
  EXPECT_EQ(levels[0].total_in.base, 10u);

  EXPECT_EQ(ids(book.pop_expired(TimestampNs{1'000})), ids_of({&b}));
  EXPECT_EQ(book.size(), 0u);

  // A removed order never fires.
  const BookOrder c = order(3, 10, 1);
  book.add(c);
  EXPECT_TRUE(book.remove(c.id));
  EXPECT_TRUE(book.pop_fired(sol(), usdc(), deep_pools()).empty());
  EXPECT_TRUE(book.directions().empty());
}

TEST(LimitBook, AddingAnIdAgainReplacesTheOrder) {
  BookOrder o = order(1, 10, 100, 100);
  LimitBook book;
  book.add(o);
  // Same id, a price deep_pools() cannot pay (200 per unit), a later expiry.
  o.seq = Seq{2};
  o.min_out = Amount{2'000};
  o.expires_at = TimestampNs{500};
  book.add(o);
  EXPECT_EQ(book.size(), 1u);
  EXPECT_EQ(book.next_expiry(), TimestampNs{500});
  EXPECT_TRUE(book.pop_expired(TimestampNs{100}).empty());
  const auto levels = book.levels(sol(), usdc(), 10);
  ASSERT_EQ(levels.size(), 1u);
  EXPECT_EQ(levels[0].min_out.base, 2'000u);
  EXPECT_EQ(levels[0].orders, 1u);
  EXPECT_TRUE(book.pop_fired(sol(), usdc(), deep_pools()).empty());
  EXPECT_TRUE(book.contains(o.id));

  // Replaced into another direction: the old one is gone.
  o.input = usdc();
  o.output = sol();
  book.add(o);
  EXPECT_EQ(book.size(), 1u);
  EXPECT_FALSE(has_direction(book, sol(), usdc()));
  EXPECT_TRUE(has_direction(book, usdc(), sol()));
  EXPECT_TRUE(book.levels(sol(), usdc(), 10).empty());

  const auto expired = book.pop_expired(TimestampNs{500});
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].min_out.base, 2'000u);
  EXPECT_TRUE(expired[0].input == usdc());
  EXPECT_EQ(book.size(), 0u);
}

// ---------------------------------------------------------------- expiry

TEST(LimitBook, PopExpiredReturnsTheDueOrdersEarliestFirst) {
  const BookOrder a = order(1, 10, 100, 300);
  const BookOrder b = order(2, 10, 100, 100);
  const BookOrder c = order(3, 10, 100, 200);
  const BookOrder never = order(4, 10, 100, 0);
  const BookOrder e = order(5, 10, 100, 400);
  LimitBook book;
  EXPECT_EQ(book.next_expiry(), TimestampNs{0});
  for (const BookOrder* o : {&a, &b, &c, &never, &e}) book.add(*o);
  EXPECT_EQ(book.next_expiry(), TimestampNs{100});

  EXPECT_TRUE(book.pop_expired(TimestampNs{99}).empty());
  EXPECT_EQ(ids(book.pop_expired(TimestampNs{199})), ids_of({&b}));
  EXPECT_EQ(book.next_expiry(), TimestampNs{200});
  EXPECT_EQ(ids(book.pop_expired(TimestampNs{200})), ids_of({&c}));  // at the expiry is due
  EXPECT_EQ(book.size(), 3u);
  EXPECT_EQ(book.next_expiry(), TimestampNs{300});

  EXPECT_EQ(ids(book.pop_expired(TimestampNs{std::numeric_limits<std::int64_t>::max()})), ids_of({&a, &e}));
  EXPECT_EQ(book.size(), 1u);
  EXPECT_TRUE(book.contains(never.id));
  EXPECT_EQ(book.next_expiry(), TimestampNs{0});
  EXPECT_TRUE(book.pop_expired(TimestampNs{std::numeric_limits<std::int64_t>::max()}).empty());
}

TEST(LimitBook, AnExpiredOrderLeavesThePriceSide) {
  const BookOrder due = order(1, 10, 1, 100);
  const BookOrder later = order(2, 10, 2, 0);
  LimitBook book;
  book.add(due);
  book.add(later);
  EXPECT_EQ(ids(book.pop_expired(TimestampNs{100})), ids_of({&due}));
  EXPECT_EQ(ids(book.pop_fired(sol(), usdc(), deep_pools())), ids_of({&later}));
}

TEST(LimitBook, AFiredOrderLeavesTheExpiries) {
  const BookOrder o = order(1, 10, 1, 100);
  const BookOrder too_dear = order(2, 10, 10'000, 300);  // 1'000 per unit: never on deep_pools()
  LimitBook book;
  book.add(o);
  book.add(too_dear);
  EXPECT_EQ(ids(book.pop_fired(sol(), usdc(), deep_pools())), ids_of({&o}));
  EXPECT_EQ(book.next_expiry(), TimestampNs{300});
  EXPECT_EQ(ids(book.pop_expired(TimestampNs{1'000})), ids_of({&too_dear}));
  EXPECT_EQ(book.size(), 0u);
}

// ---------------------------------------------------------------- directions

TEST(LimitBook, DirectionsListThoseHoldingOrders) {
  LimitBook book;
  EXPECT_TRUE(book.directions().empty());
  const BookOrder sell = order(1, 1'000, 1, 0, sol(), usdc());
  const BookOrder sell_too = order(2, 1'000, 1, 0, sol(), usdc());
  const BookOrder buy = order(3, 1'000, 1, 50, usdc(), sol());
  const BookOrder tether = order(4, 1'000, 1, 0, sol(), usdt());
  for (const BookOrder* o : {&sell, &sell_too, &buy, &tether}) book.add(*o);
  EXPECT_EQ(book.directions().size(), 3u);
  EXPECT_TRUE(has_direction(book, sol(), usdc()));
  EXPECT_TRUE(has_direction(book, usdc(), sol()));
  EXPECT_TRUE(has_direction(book, sol(), usdt()));
  EXPECT_FALSE(has_direction(book, usdt(), sol()));

  // Emptied by remove(): one of two orders keeps the direction.
  EXPECT_TRUE(book.remove(sell.id));
  EXPECT_TRUE(has_direction(book, sol(), usdc()));
  EXPECT_TRUE(book.remove(tether.id));
  EXPECT_FALSE(has_direction(book, sol(), usdt()));
  // Emptied by pop_fired().
  EXPECT_EQ(ids(book.pop_fired(sol(), usdc(), deep_pools())), ids_of({&sell_too}));
  EXPECT_FALSE(has_direction(book, sol(), usdc()));
  // Emptied by pop_expired().
  EXPECT_EQ(ids(book.pop_expired(TimestampNs{50})), ids_of({&buy}));
  EXPECT_TRUE(book.directions().empty());
  EXPECT_EQ(book.size(), 0u);
}

// ---------------------------------------------------------------- scale

TEST(LimitBook, AHundredThousandOrdersPopExactlyTheOnesThePoolsFire) {
  constexpr std::size_t kOrders = 100'000;
  std::mt19937_64 gen{20'240'601};
  std::uniform_int_distribution<std::uint64_t> amount_dist{1'000, 2'000};
  std::uniform_int_distribution<std::uint64_t> min_out_dist{1, 1'000'000'000'000};
  std::vector<BookOrder> orders;
  orders.reserve(kOrders);
  LimitBook book;
  for (std::size_t i = 0; i < kOrders; ++i) {
    const std::uint64_t amount = amount_dist(gen);
    const std::uint64_t min_out = min_out_dist(gen);
    orders.push_back(order(i + 1, amount, min_out));
    book.add(orders.back());
  }
  ASSERT_EQ(book.size(), kOrders);

  // By asked price, exactly (cross products in 128 bits), then by seq.
  std::vector<BookOrder> sorted = orders;
  std::sort(sorted.begin(), sorted.end(), [](const BookOrder& x, const BookOrder& y) {
    const u128 lhs = u128{x.min_out.base} * y.amount_in.base;
    const u128 rhs = u128{y.min_out.base} * x.amount_in.base;
    return lhs != rhs ? lhs < rhs : x.seq < y.seq;
  });

  // Fire the k lowest prices, k = 100 unless the 100th and 101st prices are
  // too close to put a pool price between them with room to spare (then a
  // few more). Room: at least 8 (output units per input unit) each side of
  // the pool price, far more than the k <= 200 swaps of <= 2'000 move a
  // 10^12 pool (under 10^-6 of a price below 2 * 10^6) plus the rounding
  // to whole units (1 / 1'000 of a unit of price).
  auto separable = [&](std::size_t n) {
    const BookOrder& lo = sorted[n - 1];
    const BookOrder& hi = sorted[n];
    // hi.min_out / hi.amount - lo.min_out / lo.amount >= 16
    return u128{hi.min_out.base} * lo.amount_in.base >=
           u128{lo.min_out.base} * hi.amount_in.base + u128{16} * lo.amount_in.base * hi.amount_in.base;
  };
  std::size_t k = 100;
  while (k < 200 && !separable(k)) ++k;
  ASSERT_LT(k, 200u);
  const BookOrder& lo = sorted[k - 1];
  const BookOrder& hi = sorted[k];
  ASSERT_LT(u128{hi.min_out.base}, u128{2'000'000} * hi.amount_in.base);

  // Raydium's price midway between lo's and hi's (rounded down); meteora's
  // half that, with a fee: it never wins.
  constexpr std::uint64_t kReserveIn = 1'000'000'000'000;
  const u128 numerator =
      u128{kReserveIn} * (u128{lo.min_out.base} * hi.amount_in.base + u128{hi.min_out.base} * lo.amount_in.base);
  const u128 denominator = u128{2} * lo.amount_in.base * hi.amount_in.base;
  const Pool raydium{Amount{kReserveIn}, Amount{static_cast<std::uint64_t>(numerator / denominator)}, 0};
  const Pool meteora{Amount{kReserveIn}, Amount{raydium.reserve_out.base / 2}, 30};
  const Pools pools{raydium, meteora};

  const auto fired = book.pop_fired(sol(), usdc(), pools);
  ASSERT_EQ(fired.size(), k);
  for (std::size_t i = 0; i < k; ++i) {
    EXPECT_EQ(fired[i].order.id.str(), sorted[i].id.str()) << i;
    EXPECT_EQ(fired[i].decision.best.venue, Venue::raydium) << i;
    EXPECT_GE(fired[i].decision.best.amount_out, fired[i].order.min_out) << i;
  }
  EXPECT_EQ(book.size(), kOrders - k);
  for (std::size_t i = 0; i < k; ++i) EXPECT_FALSE(book.contains(sorted[i].id)) << i;
  EXPECT_TRUE(book.contains(hi.id));
  const auto levels = book.levels(sol(), usdc(), 1);
  ASSERT_EQ(levels.size(), 1u);
  EXPECT_FALSE(asks_less(levels[0].min_out, levels[0].amount_in, hi.min_out, hi.amount_in));
  EXPECT_FALSE(asks_less(hi.min_out, hi.amount_in, levels[0].min_out, levels[0].amount_in));

  // The same pools again: the lowest price left is above them.
  EXPECT_TRUE(book.pop_fired(sol(), usdc(), pools).empty());
  EXPECT_EQ(book.size(), kOrders - k);
  // Pools that reach no order at all.
  const Pools dry{Pool{Amount{kReserveIn}, Amount{1}, 0}, Pool{Amount{kReserveIn}, Amount{1}, 0}};
  EXPECT_TRUE(book.pop_fired(sol(), usdc(), dry).empty());
  EXPECT_EQ(book.size(), kOrders - k);
}

// ---------------------------------------------------------------- at scale

// 100,000 orders in one direction, two at each asked price, added in random
// order: a price change pops exactly the orders it fires, by price then
// seq; cancelled and expired orders are gone from the price side too; a
// change that fires none leaves the book as it was. (Its cost per price
// change is measured in bench/, BM_BookPriceChange*.)
TEST(LimitBook, AtAHundredThousandOrdersAPriceChangePopsOnlyWhatItFiresInOrder) {
  constexpr std::size_t kOrders = 100'000;
  constexpr std::int64_t kDue = 1'000;
  std::vector<BookOrder> orders;
  for (std::size_t i = 0; i < kOrders; ++i) {
    // Prices 90, 90, 91, 91, ...; one in a hundred expires at kDue.
    orders.push_back(order(i + 1, 1, 90 + i / 2, i % 100 == 7 ? kDue : 0));
  }
  std::vector<std::size_t> shuffled(kOrders);
  for (std::size_t i = 0; i < kOrders; ++i) shuffled[i] = i;
  std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937_64{42});
  LimitBook book;
  for (std::size_t i : shuffled) book.add(orders[i]);
  ASSERT_EQ(book.size(), kOrders);

  // Pools at 50 per unit fire nothing, and change nothing.
  const Pools cheap{Pool{Amount{1'000'000'000'000}, Amount{50'000'000'000'000}, 0},
                    Pool{Amount{1'000'000'000'000}, Amount{50'000'000'000'000}, 0}};
  EXPECT_TRUE(book.pop_fired(sol(), usdc(), cheap).empty());
  EXPECT_EQ(book.size(), kOrders);

  // Cancelled: two that would fire (indexes 3 and 12), and every tenth of
  // the rest from 1,000 on.
  std::size_t cancelled = 0;
  for (std::size_t i = 0; i < kOrders; ++i) {
    if (i == 3 || i == 12 || (i >= 1'000 && i % 10 == 0)) cancelled += book.remove(orders[i].id) ? 1 : 0;
  }
  EXPECT_EQ(cancelled, 2u + 9'900u);
  EXPECT_FALSE(book.remove(orders[3].id));

  // Expired: one in a hundred, earliest first, none of them cancelled.
  const auto expired = book.pop_expired(TimestampNs{kDue});
  std::size_t due = 0;
  for (std::size_t i = 0; i < kOrders; ++i) due += (i % 100 == 7 && !(i >= 1'000 && i % 10 == 0)) ? 1 : 0;
  EXPECT_EQ(expired.size(), due);
  for (const BookOrder& o : expired) EXPECT_EQ(o.expires_at.value, kDue);

  // 1 unit at about 100 per unit pays 99: the orders asking 90 to 99 fire
  // (indexes 0 to 19), less the cancelled and the expired (index 7).
  std::vector<std::string> expected;
  for (std::size_t i = 0; i < 20; ++i) {
    if (i != 3 && i != 12 && i != 7) expected.push_back(orders[i].id.str());
  }
  const auto fired = book.pop_fired(sol(), usdc(), deep_pools());
  EXPECT_EQ(ids(fired), expected);
  EXPECT_EQ(book.size(), kOrders - cancelled - expired.size() - fired.size());
  EXPECT_EQ(book.count(sol(), usdc()), book.size());
  // Nothing fires twice.
  EXPECT_TRUE(book.pop_fired(sol(), usdc(), deep_pools()).empty());
  const auto levels = book.levels(sol(), usdc(), 1);
  ASSERT_EQ(levels.size(), 1u);
  EXPECT_EQ(levels[0].min_out.base, 100u);  // the lowest asked price left
}

}  // namespace
}  // namespace oee::core
