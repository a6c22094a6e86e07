// The waiting orders a restart rebuilds from the log's active set (what
// oee-server does: check_resumable, then each open or watching order back
// into its book or watch) equal those a replay of every event in the log's
// order leaves, for random interleaved lifecycles of limit and sniper
// orders across pairs, prices and expiries.
#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include <gtest/gtest.h>

#include "order_lifecycle.h"
#include "scratch_log.h"
#include "core/domain/limit_book.h"
#include "core/domain/sniper_watch.h"
#include "core/engine/log_audit.h"
#include "core/wire/event_codec.h"

namespace oee::core {
namespace {

constexpr std::int64_t kFarFuture = 4'000'000'000'000'000'000;

// The waiting orders, as the executor holds them.
struct Waiting {
  LimitBook book;
  SniperWatch watch;

  void put(const OrderId& id, const OrderState& s, Seq seq) {
    if (s.status == Status::open) book.add(book_order_of(id, s, seq));
    if (s.status == Status::watching) watch.add(watching_sniper_of(id, s, seq));
  }
  void take(const OrderId& id) {
    book.remove(id);
    watch.remove(id);
  }
};

// A submission the lifecycle generator does not draw: many pairs, both
// directions, prices that tie and prices that do not, some orders that
// never expire.
OrderSubmitted random_submission(std::mt19937_64& rng) {
  static const char* const kTokens[] = {"SOL", "USDC", "USDT", "BONK"};
  OrderSubmitted e{OrderType::limit, token_id("SOL"), token_id("USDC"), Amount{1 + rng() % 4 * 1'000'000}, 0, ""};
  const std::size_t in = rng() % 4;
  const std::size_t out = (in + 1 + rng() % 3) % 4;
  e.input_token = token_id(kTokens[in]);
  e.output_token = token_id(kTokens[out]);
  e.min_amount_out = Amount{1 + rng() % 5 * 250'000};  // few levels: ties happen
  e.expires_at = rng() % 4 == 0 ? TimestampNs{} : TimestampNs{kFarFuture - static_cast<std::int64_t>(rng() % 1000)};
  if (rng() % 3 == 0) {
    e.order_type = OrderType::sniper;
    e.output_token = *TokenId::name("REBUILT" + std::to_string(rng() % 3));
    e.checks = SniperChecks{rng() % 2 == 0, rng() % 2 == 0, Amount{rng() % 3 * 1000}};
  }
  return e;
}

// Every event in the log's order: an order leaves its book or watch with
// each event and goes back in if the event leaves it waiting.
void replay(const eventlog::LogPartitionReader& log, Waiting& into) {
  std::unordered_map<OrderId, OrderState, OrderIdHash> states;
  for (Seq from{1};;) {
    auto records = log.read(from, 1000);
    ASSERT_TRUE(records) << records.error().message();
    if (records->empty()) return;
    for (const auto& r : *records) {
      OrderState& s = states[r.order];
      s = fold_record(s, r).state;
      into.take(r.order);
      into.put(r.order, s, r.seq);
    }
    from = Seq{records->back().seq.value + 1};
  }
}

using BookRow = std::tuple<std::string, std::string, std::uint64_t, std::uint64_t, std::uint64_t, std::string,
                           std::int64_t>;

// The book's whole content, taken out of it: each direction's levels (what
// the book shows) and every order with what decides its place (price, then
// seq).
std::vector<BookRow> take_rows(LimitBook& book) {
  std::vector<BookRow> rows;
  for (const auto& [in, out] : book.directions()) {
    for (const BookLevel& l : book.levels(in, out, 1'000'000)) {
      rows.emplace_back(std::string(in.symbol()), std::string(out.symbol()), l.min_out.base, l.amount_in.base,
                        l.total_in.base, "level of " + std::to_string(l.orders), 0);
    }
  }
  for (const BookOrder& o : book.pop_expired(TimestampNs{std::numeric_limits<std::int64_t>::max()})) {
    rows.emplace_back(std::string(o.input.symbol()), std::string(o.output.symbol()), o.min_out.base,
                      o.amount_in.base, o.seq.value, o.id.str(), o.expires_at.value);
  }
  std::sort(rows.begin(), rows.end());
  return rows;
}

// The watch's whole content: each target's snipers, first come first.
std::map<std::string, std::vector<std::string>> rows_of(const SniperWatch& watch, int targets) {
  std::map<std::string, std::vector<std::string>> rows;
  for (int t = 0; t < targets; ++t) {
    const std::string target = "REBUILT" + std::to_string(t);
    for (const WatchingSniper& w : watch.watching(*TokenId::name(target))) {
      rows[target].push_back(w.id.str() + " seq " + std::to_string(w.seq.value) + " in " +
                             std::string(w.input.symbol()) + " " + std::to_string(w.amount_in.base) + " min " +
                             std::to_string(w.min_out.base) + " expires " + std::to_string(w.expires_at.value) +
                             " accepted " + std::to_string(w.accepted_at.value) + " judged " +
                             std::to_string(w.launches_judged) +
                             (w.checks.require_mint_renounced ? " mint" : "") +
                             (w.checks.require_no_freeze ? " freeze" : "") + " liq " +
                             std::to_string(w.checks.min_liquidity.base));
    }
  }
  return rows;
}

class WaitingRebuild : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(WaitingRebuild, FromTheActiveSetEqualsAReplayOfTheLog) {
  testing::ScratchLog scratch("waiting-rebuild");
  // A few events per order: some end, some wait, some wait again after a
  // re-price or a rejected launch, some are mid-execution.
  testing::drive_orders(scratch.store(), 600, GetParam(), 12, random_submission);

  Waiting replayed;
  replay(scratch.log(), replayed);
  if (HasFatalFailure()) return;
  Waiting rebuilt;
  for (const OrderSnapshot& o : check_resumable(scratch.log(), 2)) rebuilt.put(o.id, o.state, o.last_seq);

  // The random lifecycles must leave both kinds waiting, or this checks little.
  ASSERT_GT(replayed.book.size(), 20U);
  ASSERT_GT(replayed.watch.size(), 10U);
  EXPECT_EQ(rebuilt.book.size(), replayed.book.size());
  EXPECT_EQ(rebuilt.watch.size(), replayed.watch.size());
  EXPECT_EQ(rows_of(rebuilt.watch, 3), rows_of(replayed.watch, 3));
  EXPECT_EQ(take_rows(rebuilt.book), take_rows(replayed.book));
}

INSTANTIATE_TEST_SUITE_P(Seeds, WaitingRebuild, ::testing::Values(1, 2, 3, 4, 5));

}  // namespace
}  // namespace oee::core
