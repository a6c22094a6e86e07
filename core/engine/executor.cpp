#include "core/engine/executor.h"

#include <condition_variable>
#include <future>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include "core/engine/order_steps.h"
#include "core/wire/event_codec.h"

namespace oee::core {

std::string_view sim_profile_name(SimProfile p) { return p == SimProfile::fast ? "fast" : "realistic"; }

namespace asio = boost::asio;
using namespace std::chrono_literals;
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
        waiting_orders_(std::make_shared<WaitingOrders>(ioc, store, market, metrics, options.watch_interval)) {}

  OrderStore& store() { return store_; }

  // Runs on the log's writer thread: atomics and one short lock only.
  void count(const eventlog::Record& r) {
    if (!is_order_event_type(r.type)) return;
    const auto type = static_cast<EventType>(r.type);
    const Status status = status_after(type);
    metrics_.events_by_status[static_cast<std::size_t>(status)].fetch_add(1, std::memory_order_relaxed);
    metrics_.recent.count(status, r.ts);
    if (type == EventType::confirmed) {
      auto ev = decode_event(r.type, r.payload);
      const std::size_t venue = ev ? static_cast<std::size_t>(std::get<Confirmed>(*ev).venue) : 2;
      metrics_.terminal_by_venue[0][venue].fetch_add(1, std::memory_order_relaxed);
    } else if (type == EventType::order_failed) {
      metrics_.terminal_by_venue[1][2].fetch_add(1, std::memory_order_relaxed);
    }
  }

  // All of the following run on the io_context's single thread.
  // The caller has already counted `id` in orders_waiting (when it was
  // queued to this thread), so /health never shows an idle executor while
  // an order is on its way here.
  void schedule(const OrderId& id) {
    if (stopping_ || !known_.insert(id).second) {
      metrics_.orders_waiting.fetch_sub(1);
      return;
    }
    if (running_.load() < options_.concurrency) {
      metrics_.orders_waiting.fetch_sub(1);
      launch(id);
    } else {
      waiting_.push_back(id);
    }
  }

  EngineMetrics& metrics() { return metrics_; }

  void begin_stop() {
    stopping_ = true;
    metrics_.orders_waiting.fetch_sub(static_cast<std::int64_t>(waiting_.size()));
    waiting_.clear();
    for (auto& [id, run] : runs_) {
      if (run->sleeping) run->timer.cancel();
    }
    waiting_orders_->stop();
    notify_if_idle();
  }

  WaitingOrders& waiting_orders() { return *waiting_orders_; }

  // Starts the watcher; the runner reaches this Impl only while it lives.
  void start_watching() {
    std::weak_ptr<Impl> weak = weak_from_this();
    waiting_orders_->start(WaitingOrders::Runner{
        [weak](const OrderId& id) {
          auto self = weak.lock();
          return self && self->known_.contains(id);
        },
        [weak](const OrderId& id) {
          if (auto self = weak.lock()) {
            self->metrics_.orders_waiting.fetch_add(1);
            self->schedule(id);
          }
        }});
  }

  bool wait_idle(std::chrono::milliseconds timeout) {
    std::unique_lock lock(idle_mu_);
    return idle_cv_.wait_for(lock, timeout, [&] { return running_.load() == 0; });
  }


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
    asio::steady_timer timer;
  };

  // An append's outcome, from the log's writer thread to this one.
  struct Completion {
    OrderId order;
    eventlog::Result<Seq> seq;
    Clock::time_point at;
  };

  void launch(const OrderId& id) {
    running_.fetch_add(1);
    metrics_.orders_in_flight.fetch_add(1);
    auto loaded = store_.load(id);
    if (!loaded || !*loaded) {
      spdlog::error("executor: cannot load order {}: {}", id.str(),
                    loaded ? "no snapshot" : loaded.error().message());
      // Not from here: finishing launches the next queued order.
      asio::post(ioc_, [self = shared_from_this(), id] { self->finished(id); });
      return;
    }
    auto [it, inserted] = runs_.try_emplace(id, std::make_unique<Run>(ioc_, id));
    Run& r = *it->second;
    r.state = std::move((*loaded)->state);
    r.last_seq = (*loaded)->last_seq;
    r.whole_life = r.state.status == Status::pending && r.state.attempt == 0 && r.state.created >= started_;
    r.stage_start = Clock::now();
    enter_stage(r);
  }

  // Each stage's deliberate wait runs while the event that began the stage
  // is being made durable, so the append's latency hides behind it. The
  // next event is only decided, and the chain only reached, once the
  // previous event is durable: the write-ahead rule holds.
  void enter_stage(Run& r) {
    const OrderState& entering = r.appending ? r.provisional : r.state;
    r.go_on = !is_terminal(entering.status) && !stopping_;
    if (r.go_on) {
      const auto wait = steps_.stage_wait(entering);
      if (wait > Clock::duration::zero()) {
        r.waited += wait;
        sleep(r, wait);
        return;
      }
    }
    ready_if_done(r);
  }

  void sleep(Run& r, Clock::duration d) {
    r.sleeping = true;
    r.timer.expires_after(d);
    r.timer.async_wait([self = shared_from_this(), &r](const boost::system::error_code&) {
      r.sleeping = false;
      if (r.pausing) {
        r.pausing = false;
        self->metrics_.orders_paused.fetch_sub(1);
        if (self->stopping_) {
          self->finish_run(r);
        } else {
          self->enter_stage(r);  // the step is decided afresh, after its stage's wait
        }
        return;
      }
      if (self->stopping_) r.go_on = false;
      self->ready_if_done(r);
    });
  }

  void ready_if_done(Run& r) {
    if (r.sleeping || (r.appending && !r.appended)) return;
    ready_.push_back(&r);
    if (!drain_posted_) {
      drain_posted_ = true;
      asio::post(ioc_, [self = shared_from_this()] { self->drain(); });
    }
  }

  // Runs on the log's writer thread: one post for all the appends that one
  // commit made durable.
  void appended(const OrderId& order, eventlog::Result<eventlog::AppendOutcome> outcome) {
    bool first = false;
    {
      std::lock_guard lock(completions_mu_);
      first = completions_.empty();
      completions_.push_back(Completion{order, outcome ? eventlog::Result<Seq>(outcome->seq)
                                                   : eventlog::Result<Seq>(outcome.error()),
                                        Clock::now()});
    }
    if (first) asio::post(ioc_, [self = shared_from_this()] { self->take_completions(); });
  }

  void take_completions() {
    {
      std::lock_guard lock(completions_mu_);
      taken_.swap(completions_);
    }
    const bool drain_was_posted = drain_posted_;
    drain_posted_ = true;  // drained below, at once
    for (auto& c : taken_) {
      // Found by id: a run that a bug stopped (guarded) is gone, whatever
      // it had queued.
      const auto it = runs_.find(c.order);
      if (it == runs_.end() || !it->second->appending) continue;
      Run& r = *it->second;
      r.appended = std::move(c.seq);
      r.durable_at = c.at;
      ready_if_done(r);
    }
    taken_.clear();
    drain_posted_ = drain_was_posted;
    if (!ready_.empty()) drain();
  }

  // Decides the next event of every ready run: the chain gets the
  // transactions of all of them in one call, and the log all the events
  // in one append.
  void drain() {
    drain_posted_ = false;
    batch_.swap(ready_);
    for (Run* r : batch_) decide(*r);
    batch_.clear();
    if (!chain_runs_.empty()) {
      const auto results = steps_.chain().submit_all(txs_, std::chrono::system_clock::now());
      for (std::size_t i = 0; i < chain_runs_.size(); ++i) {
        Run& r = *chain_runs_[i];
        guarded(r, [&] {
          std::string not_now;
          auto event = steps_.event_after_tx(r.state, results[i], not_now);
          take(r, std::move(event), not_now);
        });
      }
      chain_runs_.clear();
      txs_.clear();
    }
    if (!requests_.empty()) {
      store_.log().append_all(std::exchange(requests_, {}));
      for (Run* r : staged_) enter_stage(*r);
      staged_.clear();
    }
  }

  // A bug (an illegal transition) stops the order's run: the order stays
  // active in the log and is retried on the next start; say so loudly.
  template <typename F>
  void guarded(Run& r, F&& step) {
    const OrderId id = r.id;  // `r` may be gone when step() throws
    try {
      step();
    } catch (const std::exception& ex) {
      spdlog::critical("executor: order {} stopped: {}", id.str(), ex.what());
      // Finished already if the run ended before the throw.
      if (const auto it = runs_.find(id); it != runs_.end()) {
        runs_.erase(it);
        finished(id);
      }
    }
  }

  void decide(Run& r) {
    guarded(r, [&] {
      if (r.appending) {
        r.appending = false;
        auto seq = std::move(*r.appended);
        r.appended.reset();
        if (!seq) {
          // The event is not durable, so nothing it decided has happened:
          // the order goes on from its last durable state once the log
          // takes appends again, deciding the step afresh.
          if (r.provisional.status == Status::cancelled) {
            waiting_orders_->answer_cancels(r.id,
                                            CancelAnswer{CancelAnswer::Outcome::unavailable, {}, seq.error().message()});
          }
          metrics_.append_failures.fetch_add(1);
          pause(r, "the log refused its next event: " + seq.error().message());
          return;
        }
        r.pause = Clock::duration{};
        metrics_.stage_seconds[static_cast<std::size_t>(stage_of(r.from))].observe(
            std::chrono::duration<double>(r.durable_at - r.stage_start).count());
        r.stage_start = r.durable_at;
        r.state = std::move(r.provisional);
        r.last_seq = *seq;
      }
      if (!r.go_on || stopping_ || is_terminal(r.state.status) || is_waiting(r.state.status)) {
        finish_run(r);
        return;
      }
      std::optional<OrderEvent> event;
      if (waiting_orders_->cancel_requested(r.id)) {
        if (is_cancellable(r.state)) {
          event = Cancelled{r.state.attempt, std::string(kCancelledByOwner)};
        } else {
          waiting_orders_->answer_cancels(r.id, cancel_answer_for(OrderSnapshot{r.id, r.state, r.last_seq}));
        }
      }
      if (!event && OrderSteps::needs_chain(r.state)) {
        // Both lists or neither: a run that throws here is erased.
        txs_.push_back(OrderSteps::tx_request(r.state));
        try {
          chain_runs_.push_back(&r);
        } catch (...) {
          txs_.pop_back();
          throw;
        }
        return;
      }
      std::string not_now;
      if (!event) event = steps_.next_event(r.id, r.state, not_now);
      take(r, std::move(event), not_now);
    });
  }

  // Goes on with the step decided: its event appended, a pause when the
  // step could not be taken now, or the run's end.
  void take(Run& r, std::optional<OrderEvent> event, const std::string& not_now) {
    if (!event && !not_now.empty()) {
      // Nothing happened and nothing was appended: the same step, and
      // the same transaction, go again after a pause.
      metrics_.chain_unavailable.fetch_add(1);
      pause(r, not_now);
      return;
    }
    if (!event) {
      finish_run(r);
      return;
    }
    auto prepared = OrderStore::prepare(r.id, r.state, std::move(*event), std::nullopt);
    // Both lists or neither: a run that throws here is erased, and no event
    // of it may be appended.
    staged_.push_back(&r);
    try {
      requests_.push_back(eventlog::AppendRequest{
          std::move(prepared.command),
          [self = shared_from_this(), order = r.id](eventlog::Result<eventlog::AppendOutcome> outcome) {
            self->appended(order, std::move(outcome));
          }});
    } catch (...) {
      staged_.pop_back();
      throw;
    }
    r.from = r.state.status;
    r.provisional = std::move(prepared.next);
    r.appending = true;
  }

  // After the log refused an order's event, or the chain its transaction:
  // logs it (once a second at most: a full disk refuses every order at
  // once) and pauses, 100 ms doubling to 5 s. The run ends when stopping.
  void pause(Run& r, std::string_view why) {
    const auto now = Clock::now();
    if (now - last_pause_log_ >= std::chrono::seconds(1)) {
      last_pause_log_ = now;
      spdlog::error("executor: order {} pauses: {}; {} appends and {} transactions refused so far; each order "
                    "goes on from its last durable event",
                    r.id.str(), why, metrics_.append_failures.load(), metrics_.chain_unavailable.load());
    }
    r.pause = std::clamp<Clock::duration>(r.pause * 2, std::chrono::milliseconds(100), std::chrono::seconds(5));
    if (stopping_) {
      finish_run(r);
      return;
    }
    // A pause is the engine's own delay: it stays in the overhead.
    metrics_.orders_paused.fetch_add(1);
    r.pausing = true;
    sleep(r, r.pause);
  }

  void finish_run(Run& r) {
    const OrderId id = r.id;
    const OrderState& state = r.state;
    if (is_waiting(state.status)) waiting_orders_->park(id, state, r.last_seq);
    if (is_terminal(state.status)) {
      waiting_orders_->answer_cancels(id, cancel_answer_for(OrderSnapshot{id, state, r.last_seq}));
      const double lifetime = static_cast<double>(state.updated.value - state.created.value) / 1e9;
      metrics_.submit_to_terminal_seconds.observe(lifetime);
      if (state.status == Status::confirmed) metrics_.recent.confirmed(lifetime, state.updated);
      if (r.whole_life) {
        // Until now, not the terminal event's stamp: its fsync counts too.
        const double until_durable = static_cast<double>(TimestampNs::now().value - state.created.value) / 1e9;
        metrics_.engine_overhead_seconds.observe(
            std::max(0.0, until_durable - std::chrono::duration<double>(r.waited).count()));
      }
    }
    runs_.erase(id);
    finished(id);
  }

  void finished(const OrderId& id) {
    known_.erase(id);
    // A run that ended without deciding (its state did not load, or a bug
    // stopped it) leaves no cancel waiting for an answer.
    if (!waiting_orders_->holds(id)) {
      waiting_orders_->answer_cancels(
          id, CancelAnswer{CancelAnswer::Outcome::unavailable, {}, "the order's run stopped; see the log"});
    }
    metrics_.orders_in_flight.fetch_sub(1);
    running_.fetch_sub(1);
    if (!stopping_ && !waiting_.empty()) {
      const OrderId next = waiting_.front();
      waiting_.pop_front();
      metrics_.orders_waiting.fetch_sub(1);
      launch(next);
    }
    notify_if_idle();
  }

  void notify_if_idle() {
    if (running_.load() != 0) return;
    std::lock_guard lock(idle_mu_);
    idle_cv_.notify_all();
  }

  static Stage stage_of(Status s) {
    switch (s) {
      case Status::routing: return Stage::routing;
      case Status::building: return Stage::building;
      case Status::submitted: return Stage::submitted;
      default: return Stage::queued;
    }
  }

  asio::io_context& ioc_;
  OrderStore& store_;
  OrderSteps steps_;
  ExecutorOptions options_;
  EngineMetrics& metrics_;
  const TimestampNs started_ = TimestampNs::now();
  std::shared_ptr<WaitingOrders> waiting_orders_;

  bool stopping_ = false;
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
  std::mutex completions_mu_;
  std::vector<Completion> completions_;  // guarded by completions_mu_
  std::vector<Completion> taken_;
  std::atomic<std::size_t> running_{0};
  std::mutex idle_mu_;
  std::condition_variable idle_cv_;
};

Executor::Executor(asio::io_context& ioc, OrderStore& store, const Market& market, SimChain& chain,
                   ExecutorOptions options, EngineMetrics& metrics)
    : impl_(std::make_shared<Impl>(ioc, store, market, chain, options, metrics)), ioc_(ioc) {}

Executor::~Executor() = default;

void Executor::start(std::vector<OrderSnapshot> resumable) {
  auto& log = impl_->store().log();
  // New submissions: the log is the queue; the commit listener only wakes us.
  // One post per commit, not per order: the writer thread is the log's
  // bottleneck, and the executor wakes once for the whole batch.
  commits_ = log.on_commit([this](std::span<const eventlog::Record> records) {
    std::vector<OrderId> queued;
    for (const auto& r : records) {
      impl_->count(r);
      if (r.type == static_cast<std::uint8_t>(EventType::submitted) ||
          r.type == static_cast<std::uint8_t>(EventType::order_retried)) {
        queued.push_back(r.order);
      }
    }
    if (queued.empty()) return;
    impl_->metrics().orders_waiting.fetch_add(static_cast<std::int64_t>(queued.size()));
    asio::post(ioc_, [impl = impl_, ids = std::move(queued)] {
      for (const auto& id : ids) impl->schedule(id);
    });
  });
  // A waiting order goes straight back to its book or watch, whose park
  // applies its expiry first; any other resumes its run from the state read.
  std::vector<OrderId> running;
  std::vector<OrderSnapshot> waiting;
  for (auto& order : resumable) {
    if (is_waiting(order.state.status)) {
      waiting.push_back(std::move(order));
    } else {
      running.push_back(order.id);
    }
  }
  if (!resumable.empty()) {
    spdlog::info("executor: resuming {} non-terminal orders, {} of them waiting", resumable.size(), waiting.size());
  }
  impl_->metrics().orders_waiting.fetch_add(static_cast<std::int64_t>(running.size()));
  asio::post(ioc_, [impl = impl_, ids = std::move(running)] {
    for (const auto& id : ids) impl->schedule(id);
  });
  asio::post(ioc_, [impl = impl_, waiting = std::move(waiting)] {
    for (const auto& order : waiting) impl->waiting_orders().park(order.id, order.state, order.last_seq);
  });
  asio::post(ioc_, [impl = impl_] { impl->start_watching(); });
}

void Executor::cancel(const OrderSnapshot& seen, std::function<void(CancelAnswer)> done) {
  asio::post(ioc_, [impl = impl_, seen, done = std::move(done)]() mutable {
    impl->waiting_orders().cancel(seen, std::move(done));
  });
}

void Executor::poke() {
  asio::post(ioc_, [impl = impl_] { impl->waiting_orders().poke(); });
}

void Executor::book(TokenId input, TokenId output, std::size_t max_levels, std::function<void(BookView)> done) {
  asio::post(ioc_, [impl = impl_, input, output, max_levels, done = std::move(done)] {
    done(impl->waiting_orders().book(input, output, max_levels));
  });
}

bool Executor::stop(std::chrono::milliseconds timeout) {
  auto stopped = std::make_shared<std::promise<void>>();
  auto stopped_future = stopped->get_future();
  asio::post(ioc_, [impl = impl_, stopped] {
    impl->begin_stop();
    stopped->set_value();
  });
  if (stopped_future.wait_for(timeout) != std::future_status::ready) return false;
  return impl_->wait_idle(timeout);
}

}  // namespace oee::core
