// Micro-benchmarks of the limit order book with 100,000 open orders spread
// over every listed pair and both directions: what the watcher pays for a
// price change that fires nothing, for one that fires 100 orders, and what
// a restart pays to put them all back; with the heap the book holds.
//
//   build/bin/oee-micro-bench --benchmark_filter=Book

#include <benchmark/benchmark.h>
#include <malloc.h>

#include <chrono>
#include <memory>
#include <random>
#include <vector>

#include "core/domain/limit_book.h"
#include "core/domain/market.h"

namespace {

using namespace oee;

constexpr std::size_t kOrders = 100'000;

struct Direction {
  core::TokenId input;
  core::TokenId output;
};

std::vector<Direction> listed_directions(const core::Market& market) {
  std::vector<Direction> out;
  for (const auto& a : core::all_tokens()) {
    for (const auto& b : core::all_tokens()) {
      if (&a != &b && market.has_pair(a, b)) out.push_back(Direction{core::TokenId(a), core::TokenId(b)});
    }
  }
  return out;
}

core::Pools pools_of(const core::Market& market, const Direction& d, std::chrono::system_clock::time_point at) {
  return *market.pools(d.input.token(), d.output.token(), at);
}

// Orders asking 5-30% above the pools' price: none fires while prices drift.
std::vector<core::BookOrder> waiting_orders(const core::Market& market, const std::vector<Direction>& dirs,
                                            std::chrono::system_clock::time_point at) {
  std::mt19937_64 rng(5);
  std::vector<core::BookOrder> orders;
  orders.reserve(kOrders);
  for (std::size_t i = 0; i < kOrders; ++i) {
    const Direction& d = dirs[i % dirs.size()];
    const core::Pool pool = pools_of(market, d, at)[0];
    // A small amount: a thousandth of the pool's input side at most.
    const core::Amount amount{1 + rng() % (pool.reserve_in.base / 1000 + 1)};
    const auto spot_out = static_cast<std::uint64_t>(static_cast<unsigned __int128>(amount.base) *
                                                     pool.reserve_out.base / pool.reserve_in.base);
    const std::uint64_t markup_pct = 105 + rng() % 26;
    orders.push_back(core::BookOrder{OrderId::random(), Seq{i + 1}, d.input, d.output, amount,
                                     core::Amount{spot_out * markup_pct / 100 + 1}, TimestampNs{}});
  }
  return orders;
}

// Looks at the pools of `looked_at` directions of a full book, as the
// watcher does, when nothing fires: each direction's pools are read from
// the market and its book side checked.
void look_firing_none(benchmark::State& state, bool one_pair) {
  const core::Market market;
  const auto dirs = listed_directions(market);
  core::LimitBook book;
  for (const auto& o : waiting_orders(market, dirs, std::chrono::system_clock::now())) book.add(o);
  const std::vector<Direction> looked_at =
      one_pair ? std::vector<Direction>{{core::token_id("SOL"), core::token_id("USDC")},
                                        {core::token_id("USDC"), core::token_id("SOL")}}
               : dirs;
  std::size_t fired = 0;
  for (auto _ : state) {
    const auto now = std::chrono::system_clock::now();
    for (const auto& d : looked_at) fired += book.pop_fired(d.input, d.output, pools_of(market, d, now)).size();
  }
  state.counters["orders"] = static_cast<double>(book.size());
  state.counters["directions"] = static_cast<double>(looked_at.size());
  if (fired != 0) state.SkipWithError("an order fired");
}

// The watcher's whole look: every direction.
void BM_BookPriceChangeFiringNone(benchmark::State& state) { look_firing_none(state, false); }
BENCHMARK(BM_BookPriceChangeFiringNone)->Unit(benchmark::kMicrosecond);

// A price change of one pair (SOL/USDC): its two directions.
void BM_BookPriceChangeOnOnePairFiringNone(benchmark::State& state) { look_firing_none(state, true); }
BENCHMARK(BM_BookPriceChangeOnOnePairFiringNone)->Unit(benchmark::kMicrosecond);

// A price change on one pair that fires 100 of the book's orders (the
// others ask more): the pops, the exact quotes and the pool moves.
void BM_BookPriceChangeFiring100(benchmark::State& state) {
  const core::Market market;
  const auto dirs = listed_directions(market);
  const auto at = std::chrono::system_clock::now();
  const auto orders = waiting_orders(market, dirs, at);
  core::LimitBook book;
  for (const auto& o : orders) book.add(o);
  const Direction sol_usdc{core::token_id("SOL"), core::token_id("USDC")};
  std::vector<core::BookOrder> cheap;  // 100 SOL/USDC orders asking little: they fire
  for (std::size_t i = 0; i < 100; ++i) {
    cheap.push_back(core::BookOrder{OrderId::random(), Seq{kOrders + i + 1}, sol_usdc.input, sol_usdc.output,
                                    core::Amount{1'000'000'000}, core::Amount{1'000'000 + i}, TimestampNs{}});
  }
  const core::Pools pools = pools_of(market, sol_usdc, at);
  std::size_t fired = 0;
  for (auto _ : state) {
    state.PauseTiming();
    for (const auto& o : cheap) book.add(o);
    state.ResumeTiming();
    fired += book.pop_fired(sol_usdc.input, sol_usdc.output, pools).size();
  }
  if (fired != 100 * static_cast<std::size_t>(state.iterations())) state.SkipWithError("did not fire 100 each time");
  state.counters["orders"] = static_cast<double>(book.size());
}
BENCHMARK(BM_BookPriceChangeFiring100)->Unit(benchmark::kMicrosecond);

// What a restart does in memory once it has read the open orders: 100,000
// adds. Reports the heap the book holds.
void BM_BookRebuild100k(benchmark::State& state) {
  const core::Market market;
  const auto dirs = listed_directions(market);
  const auto orders = waiting_orders(market, dirs, std::chrono::system_clock::now());
  std::size_t heap = 0;
  for (auto _ : state) {
    const std::size_t before = mallinfo2().uordblks;
    auto book = std::make_unique<core::LimitBook>();
    for (const auto& o : orders) book->add(o);
    heap = mallinfo2().uordblks - before;
    benchmark::DoNotOptimize(book->size());
    state.PauseTiming();
    book.reset();
    state.ResumeTiming();
  }
  state.counters["heap_bytes"] = static_cast<double>(heap);
  state.counters["bytes_per_order"] = static_cast<double>(heap) / kOrders;
}
BENCHMARK(BM_BookRebuild100k)->Unit(benchmark::kMillisecond);

}  // namespace
