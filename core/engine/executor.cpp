#include "core/engine/executor.h"

#include <algorithm>
#include <future>
#include <thread>

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "core/engine/detail/executor_impl.h"
#include "core/engine/virtual_clock.h"
#include "core/wire/event_codec.h"

namespace oee::core {

std::string_view sim_profile_name(SimProfile p) { return p == SimProfile::fast ? "fast" : "realistic"; }

namespace asio = boost::asio;

void Executor::Impl::count(const eventlog::Record& r) {
  if (!is_order_event_type(r.type)) return;
  const auto type = static_cast<EventType>(r.type);
  const Status status = status_after(type);
  metrics_.events_by_status[static_cast<std::size_t>(status)].fetch_add(1, std::memory_order_relaxed);
  if (type == EventType::routed_and_sent) {
    // The recent figures count what clients see: the statuses it stands for.
    if (starts_attempt(r.payload)) metrics_.recent.count(Status::routing, r.ts);
    metrics_.recent.count(Status::building, r.ts);
  }
  metrics_.recent.count(status, r.ts);
  if (type == EventType::confirmed) {
    auto ev = decode_event(r.type, r.payload);
    const std::size_t venue = ev ? static_cast<std::size_t>(std::get<Confirmed>(*ev).venue) : 2;
    metrics_.terminal_by_venue[0][venue].fetch_add(1, std::memory_order_relaxed);
  } else if (type == EventType::order_failed) {
    metrics_.terminal_by_venue[1][2].fetch_add(1, std::memory_order_relaxed);
  } else if (type == EventType::partially_filled) {
    auto ev = decode_event(r.type, r.payload);
    std::size_t venue = 2;
    if (ev) {
      for (const auto& leg : std::get<PartiallyFilled>(*ev).legs) {
        if (leg.amount_out.base != 0) venue = static_cast<std::size_t>(leg.venue);
      }
    }
    metrics_.terminal_by_venue[2][venue].fetch_add(1, std::memory_order_relaxed);
  }
}

void Executor::Impl::schedule(const OrderId& id) {
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

void Executor::Impl::begin_stop() {
  stopping_ = true;
  metrics_.orders_waiting.fetch_sub(static_cast<std::int64_t>(waiting_.size()));
  waiting_.clear();
  for (auto& [id, run] : runs_) {
    if (run->sleeping) run->timer.cancel();
  }
  waiting_orders_->stop();
  recurring_->stop();
  stopped_.store(true);
  notify_if_idle();
}

void Executor::Impl::start_watching() {
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

bool Executor::Impl::wait_idle(std::chrono::milliseconds timeout) {
  std::unique_lock lock(idle_mu_);
  return idle_cv_.wait_for(lock, timeout, [&] { return running_.load() == 0; });
}

void Executor::Impl::launch(const OrderId& id) {
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

void Executor::Impl::finished(const OrderId& id) {
  known_.erase(id);
  // A run that ended without deciding (its state did not load, or a bug
  // stopped it) leaves no cancel or amendment waiting for an answer.
  if (!waiting_orders_->holds(id)) waiting_orders_->answer_all_unavailable(id, "the order's run stopped; see the log");
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

void Executor::Impl::notify_if_idle() {
  if (running_.load() != 0) return;
  std::lock_guard lock(idle_mu_);
  idle_cv_.notify_all();
}

Executor::Executor(asio::io_context& ioc, OrderStore& store, const Market& market, SimChain& chain,
                   ExecutorOptions options, EngineMetrics& metrics)
    : impl_(std::make_shared<Impl>(ioc, store, market, chain, options, metrics)), ioc_(ioc) {
  if (auto* clock = VirtualClock::installed()) {
    settle_check_ = clock->add_settle_check(
        // Asks the executor's thread, again until `limit`, whether it is
        // settled: what one step sets off (an append, a trigger) shows on a later ask.
        [weak = std::weak_ptr<Impl>(impl_), &ioc](std::chrono::milliseconds limit) {
          const auto deadline = std::chrono::steady_clock::now() + limit;
          for (;;) {
            auto self = weak.lock();
            if (!self || ioc.stopped()) return true;
            auto answer = std::make_shared<std::promise<bool>>();
            auto settled = answer->get_future();
            asio::post(ioc, [self, answer] { answer->set_value(self->settled()); });
            self.reset();
            if (settled.wait_until(deadline) != std::future_status::ready) return false;
            if (settled.get()) return true;
            if (std::chrono::steady_clock::now() >= deadline) return false;
            std::this_thread::sleep_for(std::chrono::microseconds(100));
          }
        });
  }
}

Executor::~Executor() {
  if (auto* clock = VirtualClock::installed(); clock != nullptr && settle_check_ != 0) {
    clock->remove_settle_check(settle_check_);
  }
}

bool Executor::Impl::settled() const {
  // Orders queued over the concurrency wait for a run to end, which only
  // the clock can bring; those on their way to this thread do not.
  const auto on_their_way = metrics_.orders_waiting.load() - static_cast<std::int64_t>(waiting_.size());
  const bool queue_moves = !waiting_.empty() && running_.load() < options_.concurrency;
  if (on_their_way != 0 || queue_moves || drain_posted_ || !ready_.empty() || !waiting_orders_->quiet() ||
      !recurring_->quiet()) {
    return false;
  }
  {
    std::lock_guard lock(completions_mu_);
    if (!completions_.empty()) return false;
  }
  return std::all_of(runs_.begin(), runs_.end(), [](const auto& entry) { return entry.second->sleeping; });
}


void Executor::start(std::vector<OrderSnapshot> resumable) {
  start([&resumable] { return std::move(resumable); });
}

void Executor::start(const std::function<std::vector<OrderSnapshot>()>& read_resumable) {
  auto& log = impl_->store().log();
  // New submissions: the log is the queue; the commit listener only wakes us.
  // One post per commit, not per order: the writer thread is the log's
  // bottleneck, and the executor wakes once for the whole batch.
  commits_ = log.on_commit([this](std::span<const eventlog::Record> records) {
    std::vector<OrderId> queued, changed, ended;
    const bool recurring = impl_->recurring().any();
    for (const auto& r : records) {
      impl_->count(r);
      if (recurring && is_terminal_event(r.type)) ended.push_back(r.order);
      if (r.type == static_cast<std::uint8_t>(EventType::submitted) ||
          r.type == static_cast<std::uint8_t>(EventType::order_retried)) {
        queued.push_back(r.order);
      } else if (r.type == static_cast<std::uint8_t>(EventType::cancelled) ||
                 r.type == static_cast<std::uint8_t>(EventType::amended) ||
                 r.type == static_cast<std::uint8_t>(EventType::watch_amended)) {
        changed.push_back(r.order);
      }
    }
    // A cancel or amendment this executor did not write (another node's,
    // in a cluster) takes effect in the book at once; its own finds the
    // book up to date.
    if (!changed.empty()) {
      asio::post(ioc_, [impl = impl_, ids = std::move(changed)] {
        for (const auto& id : ids) {
          impl->waiting_orders().changed_elsewhere(id);
          impl->recurring().changed_elsewhere(id);
        }
      });
    }
    // A recurring order completes once its last child ends.
    if (!ended.empty()) {
      asio::post(ioc_, [impl = impl_, ids = std::move(ended)] {
        for (const auto& id : ids) impl->recurring().ended(id);
      });
    }
    if (queued.empty()) return;
    impl_->metrics().orders_waiting.fetch_add(static_cast<std::int64_t>(queued.size()));
    asio::post(ioc_, [impl = impl_, ids = std::move(queued)] {
      for (const auto& id : ids) impl->schedule(id);
    });
  });
  // A waiting order goes straight back to its book or watch, whose park
  // applies its expiry first; any other resumes its run from the state read.
  auto resumable = read_resumable();
  std::vector<OrderId> running;
  std::vector<OrderSnapshot> waiting, recurring;
  for (auto& order : resumable) {
    if (order.state.status == Status::active) {
      recurring.push_back(std::move(order));
    } else if (is_waiting(order.state.status)) {
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
  asio::post(ioc_, [impl = impl_, recurring = std::move(recurring)] {
    for (const auto& order : recurring) impl->recurring().take(order.id, order.state, order.last_seq);
  });
  asio::post(ioc_, [impl = impl_] { impl->start_watching(); });
}

void Executor::amend(const OrderSnapshot& seen, Amendment change, std::function<void(ActionAnswer)> done) {
  asio::post(ioc_, [impl = impl_, seen, change, done = std::move(done)]() mutable {
    impl->waiting_orders().amend(seen, change, std::move(done));
  });
}

void Executor::cancel(const OrderSnapshot& seen, std::function<void(ActionAnswer)> done) {
  asio::post(ioc_, [impl = impl_, seen, done = std::move(done)]() mutable {
    if (impl->recurring().holds(seen.id)) {
      impl->recurring().cancel(seen, std::move(done));
    } else {
      impl->waiting_orders().cancel(seen, std::move(done));
    }
  });
}

void Executor::cancel_orders_of(const KeyId& key, std::string reason) {
  asio::post(ioc_, [impl = impl_, key, reason = std::move(reason)] {
    impl->waiting_orders().cancel_owned_by(key, reason);
    impl->recurring().cancel_owned_by(key, reason);
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

bool Executor::idle() const { return impl_->stopped_and_idle(); }

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
