#include "core/engine/executor.h"

#include <condition_variable>
#include <future>
#include <mutex>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/intrusive/list.hpp>
#include <spdlog/spdlog.h>

#include "core/engine/order_steps.h"
#include "core/engine/use_tuple.h"
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
    for (auto& s : sleeping_) s.timer.cancel();
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
  void launch(const OrderId& id) {
    running_.fetch_add(1);
    metrics_.orders_in_flight.fetch_add(1);
    asio::co_spawn(ioc_, run_order(id), [self = shared_from_this(), id](std::exception_ptr e) {
      if (e) {
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          // A bug (illegal transition): the order stays active in the log and
          // is retried on the next start; say so loudly.
          spdlog::critical("executor: order {} stopped: {}", id.str(), ex.what());
        }
      }
      self->finished(id);
    });
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

  // A timer an order sleeps on, listed so that stopping can cut it short.
  // Intrusive: joining and leaving the list allocates nothing and costs no
  // hashing, for every stage of every order.
  struct Sleeper : boost::intrusive::list_base_hook<boost::intrusive::link_mode<boost::intrusive::auto_unlink>> {
    Sleeper(asio::io_context& ioc, Clock::duration d) : timer(ioc, d) {}
    asio::steady_timer timer;
  };

  // After the log refused an order's event, or the chain its transaction:
  // logs it (once a second at most: a full disk refuses every order at
  // once) and pauses, 100 ms doubling to 5 s. False when stopping.
  asio::awaitable<bool> pause_before_retrying(const OrderId& id, std::string_view why, Clock::duration& pause) {
    const auto now = Clock::now();
    if (now - last_pause_log_ >= std::chrono::seconds(1)) {
      last_pause_log_ = now;
      spdlog::error("executor: order {} pauses: {}; {} appends and {} transactions refused so far; each order "
                    "goes on from its last durable event",
                    id.str(), why, metrics_.append_failures.load(), metrics_.chain_unavailable.load());
    }
    pause = std::clamp<Clock::duration>(pause * 2, std::chrono::milliseconds(100), std::chrono::seconds(5));
    metrics_.orders_paused.fetch_add(1);
    Clock::duration ignored{};  // a pause is the engine's own delay: it stays in the overhead
    const bool go_on = co_await sleep_for(pause, ignored);
    metrics_.orders_paused.fetch_sub(1);
    co_return go_on;
  }

  // Returns false when the executor is stopping (the sleep was cut short).
  // `waited` adds up the deliberate waits (simulated latency, retry
  // backoff), so what remains of an order's lifetime is the engine's own.
  asio::awaitable<bool> sleep_for(Clock::duration d, Clock::duration& waited) {
    if (stopping_) co_return false;
    if (d <= Clock::duration::zero()) co_return true;
    waited += d;
    Sleeper sleeper(ioc_, d);
    sleeping_.push_back(sleeper);  // leaves the list when it goes out of scope
    co_await sleeper.timer.async_wait(use_tuple);
    co_return !stopping_;
  }

  // An append on its way to the log while the order waits out the stage
  // that its event begins.
  struct InflightAppend {
    explicit InflightAppend(asio::io_context& ioc) : ready(ioc, asio::steady_timer::time_point::max()) {}
    Status from = Status::none;  // the status the event ends
    OrderState provisional;      // the order once the event is in: picks the next wait
    std::optional<eventlog::Result<AppendedEvent>> result;
    Clock::time_point durable_at;  // ends the stage: stage durations run from durable to durable
    asio::steady_timer ready;
  };

  std::shared_ptr<InflightAppend> start_append(const OrderId& id, const OrderState& current, const OrderEvent& event) {
    auto append = std::make_shared<InflightAppend>(ioc_);
    append->from = current.status;
    auto done = [append, &ioc = ioc_](eventlog::Result<AppendedEvent> r) {
      asio::post(ioc, [append, r = std::move(r)]() mutable {
        append->result = std::move(r);
        append->durable_at = Clock::now();
        append->ready.cancel();
      });
    };
    append->provisional = store_.append(id, current, event, std::nullopt, std::move(done));
    return append;
  }

  static asio::awaitable<eventlog::Result<AppendedEvent>> finish(InflightAppend& append) {
    while (!append.result) co_await append.ready.async_wait(use_tuple);
    co_return std::move(*append.result);
  }

  static Stage stage_of(Status s) {
    switch (s) {
      case Status::routing: return Stage::routing;
      case Status::building: return Stage::building;
      case Status::submitted: return Stage::submitted;
      default: return Stage::queued;
    }
  }

  asio::awaitable<void> run_order(OrderId id) {
    auto loaded = store_.load(id);
    if (!loaded || !*loaded) {
      spdlog::error("executor: cannot load order {}: {}", id.str(),
                    loaded ? "no snapshot" : loaded.error().message());
      co_return;
    }
    OrderState state = (*loaded)->state;
    Seq last_seq = (*loaded)->last_seq;
    // Only an order this process drove from its submission on has a
    // meaningful overhead: a resumed one spent part of its life in a restart.
    const bool whole_life = state.status == Status::pending && state.attempt == 0 && state.created >= started_;
    Clock::duration waited{};
    auto stage_start = Clock::now();
    // Each stage's deliberate wait runs while the event that began the stage
    // is being made durable, so the append's latency hides behind it. The
    // next event is only decided, and the chain only reached, once the
    // previous event is durable: the write-ahead rule holds.
    std::shared_ptr<InflightAppend> inflight;
    Clock::duration pause{};  // before trying again a step the log or the chain could not store
    for (;;) {
      const OrderState& entering = inflight ? inflight->provisional : state;
      bool go_on = !is_terminal(entering.status) && !stopping_;
      if (go_on) go_on = co_await sleep_for(steps_.stage_wait(entering), waited);
      if (inflight) {
        auto appended = co_await finish(*inflight);
        if (!appended) {
          // The event is not durable, so nothing it decided has happened:
          // the order goes on from its last durable state once the log
          // takes appends again, deciding the step afresh.
          if (inflight->provisional.status == Status::cancelled) {
            waiting_orders_->answer_cancels(
                id, CancelAnswer{CancelAnswer::Outcome::unavailable, {}, appended.error().message()});
          }
          inflight.reset();
          metrics_.append_failures.fetch_add(1);
          const std::string why = "the log refused its next event: " + appended.error().message();
          if (!co_await pause_before_retrying(id, why, pause)) break;
          continue;
        }
        pause = Clock::duration{};
        metrics_.stage_seconds[static_cast<std::size_t>(stage_of(inflight->from))].observe(
            std::chrono::duration<double>(inflight->durable_at - stage_start).count());
        stage_start = inflight->durable_at;
        state = std::move(appended->state);
        last_seq = appended->seq;
        inflight.reset();
      }
      if (!go_on || is_terminal(state.status) || is_waiting(state.status)) break;
      std::string not_now;
      std::optional<OrderEvent> event;
      if (waiting_orders_->cancel_requested(id)) {
        if (is_cancellable(state)) {
          event = Cancelled{state.attempt, std::string(kCancelledByOwner)};
        } else {
          waiting_orders_->answer_cancels(id, cancel_answer_for(OrderSnapshot{id, state, last_seq}));
        }
      }
      if (!event) event = steps_.next_event(id, state, not_now);
      if (!event && !not_now.empty()) {
        // Nothing happened and nothing was appended: the same step, and
        // the same transaction, go again after a pause.
        metrics_.chain_unavailable.fetch_add(1);
        if (!co_await pause_before_retrying(id, not_now, pause)) break;
        continue;
      }
      if (!event) break;
      inflight = start_append(id, state, *event);
    }
    if (is_waiting(state.status)) waiting_orders_->park(id, state, last_seq);
    if (is_terminal(state.status)) {
      waiting_orders_->answer_cancels(id, cancel_answer_for(OrderSnapshot{id, state, last_seq}));
      const double lifetime = static_cast<double>(state.updated.value - state.created.value) / 1e9;
      metrics_.submit_to_terminal_seconds.observe(lifetime);
      if (state.status == Status::confirmed) metrics_.recent.confirmed(lifetime, state.updated);
      if (whole_life) {
        // Until now, not the terminal event's stamp: its fsync counts too.
        const double until_durable = static_cast<double>(TimestampNs::now().value - state.created.value) / 1e9;
        metrics_.engine_overhead_seconds.observe(
            std::max(0.0, until_durable - std::chrono::duration<double>(waited).count()));
      }
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
  std::unordered_set<OrderId, OrderIdHash> known_;
  std::deque<OrderId> waiting_;
  boost::intrusive::list<Sleeper, boost::intrusive::constant_time_size<false>> sleeping_;
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
