// Micro-benchmarks of the engine's hot paths (Google Benchmark):
// group-commit append into a real RocksDB log, an order's point read and
// its events read back, the order state fold, the router's quote, and a
// status message's JSON.
//
//   build/bin/oee-micro-bench [--benchmark_filter=...]

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <latch>

#include "core/domain/order.h"
#include "core/domain/router.h"
#include "core/engine/order_store.h"
#include "core/engine/sim_chain.h"
#include "core/wire/event_codec.h"
#include "core/wire/status_message.h"
#include "eventlog/event_log.h"
#include "eventlog/rocksdb/rocksdb_log.h"

namespace {

using namespace oee;
namespace fs = std::filesystem;

std::vector<core::OrderEvent> lifecycle() {
  const core::Amount in{1'000'000'000};
  return {core::OrderSubmitted{core::OrderType::market, core::token_id("SOL"), core::token_id("USDC"), in, 50, ""},
          core::RoutingStarted{1},
          core::Routed{1,
                       core::token_id("SOL"),
                       core::token_id("USDC"),
                       in,
                       {},
                       core::Venue::meteora,
                       core::Amount{152'230'307},
                       core::Amount{150'708'003}},
          core::TxSubmitted{1, core::Venue::meteora, "9c3n46Zs9nQtCXm1V5E5Pcotd2zcLNYBA9Na9v9jyvPF",
                            core::Amount{150'708'003}},
          core::Confirmed{1, core::Venue::meteora, "9c3n46Zs9nQtCXm1V5E5Pcotd2zcLNYBA9Na9v9jyvPF",
                          core::Amount{152'230'007}, core::token_id("SOL"), core::token_id("USDC"), in}};
}

// Folds a five-event lifecycle (submitted → confirmed).
void BM_FoldLifecycle(benchmark::State& state) {
  const auto events = lifecycle();
  const TimestampNs at = TimestampNs::now();
  for (auto _ : state) {
    core::OrderState s;
    for (const auto& e : events) s = *core::apply(s, e, at);  // a legal lifecycle: never an error
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(events.size()));
}
BENCHMARK(BM_FoldLifecycle);

// Quotes both venues for SOL → USDC and picks the better one.
void BM_RouterQuote(benchmark::State& state) {
  core::Market market;
  core::Router router(market);
  const auto* sol = core::find_token("SOL");
  const auto* usdc = core::find_token("USDC");
  const auto now = std::chrono::system_clock::now();
  for (auto _ : state) {
    auto decision = router.route(*sol, *usdc, core::Amount{10'000'000'000}, now);
    benchmark::DoNotOptimize(decision);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RouterQuote);

// What split routing adds to a market order's route: the second
// transaction's fee in output units, the best split and whether it pays.
// Arg: the order's amount in whole SOL (10 stays on one venue, 2,000 splits).
void BM_SplitDecision(benchmark::State& state) {
  core::Market market;
  core::Router router(market);
  const auto* sol = core::find_token("SOL");
  const auto* usdc = core::find_token("USDC");
  const auto now = std::chrono::system_clock::now();
  const core::Amount amount{static_cast<std::uint64_t>(state.range(0)) * 1'000'000'000};
  const auto decision = router.route(*sol, *usdc, amount, now);
  if (!decision) throw std::runtime_error("SOL/USDC has no route");
  bool split = false;
  for (auto _ : state) {
    const auto fee = router.second_tx_fee(*sol, *usdc, *decision, now);
    const auto plan = core::split_worth_it(*decision, amount, fee.value_or(core::Amount{}), 10);
    split = plan.has_value();
    benchmark::DoNotOptimize(plan);
  }
  state.counters["splits"] = split ? 1 : 0;
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SplitDecision)->Arg(10)->Arg(2000);

// A simulated signature: 64 bytes as base58, once per attempt.
void BM_TxId(benchmark::State& state) {
  const OrderId order = OrderId::random();
  std::uint32_t attempt = 0;
  for (auto _ : state) benchmark::DoNotOptimize(core::SimChain::tx_id(order, ++attempt));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TxId);

// Renders the richest status message (routed, with both quotes).
void BM_StatusMessageJson(benchmark::State& state) {
  core::Market market;
  core::Router router(market);
  auto decision = router.route(*core::find_token("SOL"), *core::find_token("USDC"), core::Amount{10'000'000'000},
                               std::chrono::system_clock::now());
  if (!decision) throw std::runtime_error("SOL/USDC has no route");
  core::OrderEvent routed = core::Routed{1,
                                         core::token_id("SOL"),
                                         core::token_id("USDC"),
                                         core::Amount{10'000'000'000},
                                         decision->quotes,
                                         decision->best.venue,
                                         decision->best.amount_out,
                                         decision->best.amount_out};
  eventlog::Record record{Seq{42}, OrderId::random(), TimestampNs::now(),
                          static_cast<std::uint8_t>(core::type_of(routed)), core::encode_event(routed)};
  for (auto _ : state) {
    auto text = core::status_message_text(record);
    benchmark::DoNotOptimize(text);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_StatusMessageJson);

// A RocksDB log in a fresh temp directory, removed afterwards.
class ScratchLog {
 public:
  explicit ScratchLog(bool sync)
      : dir_(fs::temp_directory_path() / ("oee-micro-" + std::to_string(::getpid()) + "-" + OrderId::random().str())) {
    fs::create_directories(dir_);
    eventlog::Options options;
    options.path = (dir_ / "log").string();
    options.durability = sync ? eventlog::Durability::sync : eventlog::Durability::async;
    options.fold = core::fold_for_log;
    log_ = eventlog::open_primary(options);
  }
  ~ScratchLog() {
    log_->close();
    log_.reset();
    fs::remove_all(dir_);
  }
  ScratchLog(const ScratchLog&) = delete;
  ScratchLog& operator=(const ScratchLog&) = delete;
  eventlog::EventLogWriter& operator*() { return *log_; }
  eventlog::EventLogWriter* operator->() { return log_.get(); }

 private:
  fs::path dir_;
  std::unique_ptr<eventlog::EventLogWriter> log_;
};

// Appends with `range(0)` commands in flight at once, so the writer thread
// commits them in groups; `range(1)`: 1 = fsync per group (sync), 0 = async.
void BM_GroupCommitAppend(benchmark::State& state) {
  const auto in_flight = static_cast<int>(state.range(0));
  const bool sync = state.range(1) == 1;
  {
    ScratchLog log(sync);
    const auto events = lifecycle();
    const std::string payload = core::encode_event(events[1]);
    const std::string snapshot(120, 's');  // about the size of a folded order
    // Orders of five events, as the engine's: each round appends one event
    // of each of `in_flight` orders, and every fifth round finishes them.
    std::vector<OrderId> orders(in_flight);
    std::int64_t round = 0;
    for (auto _ : state) {
      const bool begins = round % 5 == 0;
      const bool finishes = round % 5 == 4;
      ++round;
      if (begins) std::generate(orders.begin(), orders.end(), [] { return OrderId::random(); });
      std::latch done(in_flight);
      for (int i = 0; i < in_flight; ++i) {
        eventlog::AppendCommand cmd;
        cmd.order = orders[i];
        cmd.begins = begins;
        cmd.finishes = finishes;
        cmd.type = static_cast<std::uint8_t>(core::EventType::routing_started);
        cmd.payload = payload;
        cmd.snapshot = snapshot;
        log->append(std::move(cmd), [&done](eventlog::Result<eventlog::AppendOutcome>) { done.count_down(); });
      }
      done.wait();
    }
    state.SetItemsProcessed(state.iterations() * in_flight);
    state.counters["commits"] = static_cast<double>(log->stats().commits.load());
  }
}
BENCHMARK(BM_GroupCommitAppend)
    ->ArgsProduct({{1, 128, 1024}, {1, 0}})
    ->ArgNames({"in_flight", "sync"})
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

// The engine's write pattern: `range(0)` orders in flight, each taking its
// five lifecycle events one after another (an event is appended once the
// order's previous one is durable), all orders interleaved in the group
// commits, with real snapshots. Items are events.
void BM_LifecycleAppend(benchmark::State& state) {
  const auto orders = static_cast<int>(state.range(0));
  const bool sync = state.range(1) == 1;
  {
    ScratchLog log(sync);
    core::OrderStore store(*log);
    const auto events = lifecycle();
    std::int64_t appended = 0;
    for (auto _ : state) {
      // Each order's chain of appends runs on the writer thread's completions.
      std::latch done(orders);
      struct Chain {
        core::OrderStore* store = nullptr;
        const std::vector<core::OrderEvent>* events = nullptr;
        std::latch* done = nullptr;
        OrderId id = OrderId::random();
        core::OrderState state;
        std::size_t next = 0;
        void step() {
          if (next == events->size()) {
            done->count_down();
            return;
          }
          store->append(id, state, (*events)[next++], std::nullopt, [this](eventlog::Result<core::AppendedEvent> r) {
            state = std::move(r->state);
            step();
          });
        }
      };
      std::vector<Chain> chains(orders);  // each gets its own random id
      for (auto& c : chains) {
        c.store = &store;
        c.events = &events;
        c.done = &done;
      }
      for (auto& c : chains) c.step();
      done.wait();
      appended += orders * static_cast<std::int64_t>(events.size());
    }
    state.SetItemsProcessed(appended);
  }
}
BENCHMARK(BM_LifecycleAppend)
    ->ArgsProduct({{64, 1024}, {1, 0}})
    ->ArgNames({"orders", "sync"})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// `count` fresh order ids.
std::vector<OrderId> random_ids(std::size_t count) {
  std::vector<OrderId> ids(count);
  for (auto& id : ids) id = OrderId::random();
  return ids;
}

// Appends `event` to every order in `ids`, each in state `current`, all in
// flight at once; returns once all are in.
void append_to_each(core::OrderStore& store, const std::vector<OrderId>& ids, const core::OrderState& current,
                    const core::OrderEvent& event) {
  std::latch written(static_cast<std::ptrdiff_t>(ids.size()));
  for (const auto& id : ids) {
    store.append(id, current, event, std::nullopt,
                 [&written](eventlog::Result<core::AppendedEvent>) { written.count_down(); });
  }
  written.wait();
}

// Loads one order's folded state by id, as the executor does when it takes
// up an order and the API does for GET /api/orders/{id}: a point read of
// the snapshot family, here over 200,000 orders, most of them flushed to
// table files already.
void BM_LoadOrder(benchmark::State& state) {
  ScratchLog log(false);
  core::OrderStore store(*log);
  const auto ids = random_ids(200'000);
  append_to_each(store, ids, core::OrderState{}, lifecycle().front());
  std::size_t next = 0;
  for (auto _ : state) {
    auto loaded = store.load(ids[next]);
    if (!loaded || !*loaded) throw std::runtime_error("an appended order did not load");
    benchmark::DoNotOptimize(loaded);
    next = (next + 7919) % ids.size();  // a stride through the ids: no two neighbours in a row
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LoadOrder)->Unit(benchmark::kMicrosecond);

// Reads one order's events, as a WebSocket subscription's catch-up does
// right after the order is submitted (and the projector for an order it
// meets mid-life): 200,000 orders of two events each; `range(0)` = 1 reads
// the 1,000 newest (still in the memtables), 0 strides through all.
void BM_ReadOrder(benchmark::State& state) {
  constexpr int kOrders = 200'000;
  constexpr int kNewest = 1'000;
  const bool newest = state.range(0) == 1;
  ScratchLog log(false);
  core::OrderStore store(*log);
  const auto events = lifecycle();
  const auto ids = random_ids(kOrders);
  append_to_each(store, ids, core::OrderState{}, events[0]);
  append_to_each(store, ids, *core::apply(core::OrderState{}, events[0], TimestampNs::now()), events[1]);
  std::size_t next = 0;
  for (auto _ : state) {
    const OrderId& id = newest ? ids[kOrders - kNewest + next % kNewest] : ids[next % kOrders];
    auto records = log->read_order(id);
    if (!records || records->size() != 2) throw std::runtime_error("an order did not read back whole");
    benchmark::DoNotOptimize(records);
    next += 7919;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ReadOrder)->ArgName("newest")->Arg(1)->Arg(0)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
