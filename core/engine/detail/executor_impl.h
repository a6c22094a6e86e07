#pragma once
// The executor's insides, shared by its two halves: executor.cpp (the
// queue of orders to run, the concurrency limit, start and stop) and
// order_runs.cpp (stepping the running orders in batches).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "core/domain/sim_clock.h"
#include "core/engine/executor.h"
#include "core/engine/order_steps.h"
#include "core/engine/recurring_orders.h"
#include "core/engine/sim_timer.h"

namespace oee::core {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

class Executor::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(asio::io_context& ioc, OrderStore& store, const Market& market, SimChain& chain, ExecutorOptions options,
       EngineMetrics& metrics)
      : ioc_(ioc),
        store_(store),
        steps_(market, chain, options),
        options_(options),
        metrics_(metrics),
        waiting_orders_(std::make_shared<WaitingOrders>(ioc, store, market, metrics, options.watch_interval, options.key_check)),
        recurring_(std::make_shared<RecurringOrders>(ioc, store, market, metrics, options.slice_gate)) {}

  OrderStore& store() { return store_; }
  EngineMetrics& metrics() { return metrics_; }
  WaitingOrders& waiting_orders() { return *waiting_orders_; }
  RecurringOrders& recurring() { return *recurring_; }

  // Runs on the log's writer thread: atomics and one short lock only.
  void count(const eventlog::Record& r);

  // The rest runs on the io_context's single thread, but for wait_idle and
  // appended. The caller of schedule has already counted `id` in
  // orders_waiting (when it was queued to this thread), so /health never
  // shows an idle executor while an order is on its way here.
  void schedule(const OrderId& id);
  void begin_stop();
  // Starts the watcher; the runner reaches this Impl only while it lives.
  void start_watching();
  bool wait_idle(std::chrono::milliseconds timeout);
  /// Under a virtual clock: nothing is left that the executor could do at
  /// the clock's time, every run waits for the clock or is done.
  [[nodiscard]] bool settled() const;
  /// begin_stop() ran and no run is in flight (any thread).
  [[nodiscard]] bool stopped_and_idle() const { return stopped_.load() && running_.load() == 0; }

 private:
  // One order's run: where it is between its steps. A run waits for two
  // things at once, the wait of the stage it is in and the durability of
  // the event that began that stage; once both are over it is ready, and
  // the next drain decides its next event together with every other ready
  // run. Owned by runs_, used on the executor's thread only.
  struct Run {
    Run(asio::io_context& ioc, const OrderId& order) : id(order), timer(ioc) {}
    OrderId id;
    OrderState state;  // as of its last durable event
    Seq last_seq{};
    // Only an order this process drove from its submission on has a
    // meaningful overhead: a resumed one spent part of its life in a restart.
    bool whole_life = false;
    // The deliberate waits so far (simulated latency, retry backoff), so
    // that what remains of an order's lifetime is the engine's own.
    Clock::duration waited{};
    Clock::time_point stage_start;  // stage durations run from durable to durable
    Clock::duration pause{};        // before trying again a step the log or the chain could not store
    bool go_on = true;              // false once stopping cut its wait short
    bool sleeping = false;          // the stage's wait, or a pause
    bool pausing = false;           // the sleep is a pause
    // The event on its way to the log.
    bool appending = false;
    Status from = Status::none;  // the status the event ends
    OrderState provisional;      // the order once the event is in: picks the stage's wait
    std::optional<eventlog::Result<Seq>> appended;
    Clock::time_point durable_at;
    SimTimer timer;
  };

  // An append's outcome, from the log's writer thread to this one.
  struct Completion {
    OrderId order;
    eventlog::Result<Seq> seq;
    Clock::time_point at;
  };

  // executor.cpp: the queue of orders to run.
  void launch(const OrderId& id);
  void finished(const OrderId& id);
  void notify_if_idle();

  // order_runs.cpp: stepping the runs.
  // Each stage's deliberate wait runs while the event that began the stage
  // is being made durable, so the append's latency hides behind it. The
  // next event is only decided, and the chain only reached, once the
  // previous event is durable: the write-ahead rule holds.
  void enter_stage(Run& r);
  void sleep(Run& r, Clock::duration d);
  // Queues the run for the next drain once its wait and its append are
  // over; ready_if_done also makes sure a drain is on its way.
  bool queue_if_ready(Run& r);
  void ready_if_done(Run& r);

  // Runs on the log's writer thread: one post for all the appends that one
  // commit made durable.
  void appended(const OrderId& order, eventlog::Result<eventlog::AppendOutcome> outcome);
  void take_completions();

  // Decides the next event of every ready run: the chain gets the
  // transactions of all of them in one call, and the log all the events
  // in one append.
  void drain();

  // A bug (an illegal transition) stops the order's run: the order stays
  // active in the log and is retried on the next start; say so loudly.
  template <typename F>
  void guarded(Run& r, F&& step);
  void decide(Run& r);

  // Goes on with the step decided: its event appended, a pause when the
  // step could not be taken now, or the run's end.
  void take(Run& r, std::optional<OrderEvent> event, const std::string& not_now);

  // After the log refused an order's event, or the chain its transaction:
  // logs it (once a second at most: a full disk refuses every order at
  // once) and pauses, 100 ms doubling to 5 s. The run ends when stopping.
  void pause(Run& r, std::string_view why);

  void finish_run(Run& r);

  asio::io_context& ioc_;
  OrderStore& store_;
  OrderSteps steps_;
  ExecutorOptions options_;
  EngineMetrics& metrics_;
  const TimestampNs started_ = sim_now();
  std::shared_ptr<WaitingOrders> waiting_orders_;
  std::shared_ptr<RecurringOrders> recurring_;

  bool stopping_ = false;
  std::atomic<bool> stopped_{false};  // begin_stop() ran: read by Executor::idle() from any thread
  Clock::time_point last_pause_log_{};
  std::unordered_set<OrderId, OrderIdHash> known_;  // queued or running
  std::deque<OrderId> waiting_;                      // queued: over the concurrency
  std::unordered_map<OrderId, std::unique_ptr<Run>, OrderIdHash> runs_;
  std::vector<Run*> ready_;
  bool drain_posted_ = false;
  // The drain's working lists, kept for their capacity.
  std::vector<Run*> batch_;
  std::vector<Run*> chain_runs_;
  std::vector<TxRequest> txs_;
  std::vector<eventlog::AppendRequest> requests_;
  std::vector<Run*> staged_;
  mutable std::mutex completions_mu_;
  std::vector<Completion> completions_;  // guarded by completions_mu_
  std::vector<Completion> taken_;
  std::atomic<std::size_t> running_{0};
  std::mutex idle_mu_;
  std::condition_variable idle_cv_;
};

}  // namespace oee::core
