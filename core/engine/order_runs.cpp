#include <algorithm>
#include <utility>

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "core/domain/sim_clock.h"
#include "core/engine/detail/executor_impl.h"

namespace oee::core {

namespace {

Stage stage_of(Status s) {
  switch (s) {
    case Status::routing: return Stage::routing;
    case Status::building: return Stage::building;
    case Status::submitted: return Stage::submitted;
    default: return Stage::queued;
  }
}

}  // namespace

void Executor::Impl::enter_stage(Run& r) {
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

void Executor::Impl::sleep(Run& r, Clock::duration d) {
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

bool Executor::Impl::queue_if_ready(Run& r) {
  if (r.sleeping || (r.appending && !r.appended)) return false;
  ready_.push_back(&r);
  return true;
}

void Executor::Impl::ready_if_done(Run& r) {
  if (queue_if_ready(r) && !drain_posted_) {
    drain_posted_ = true;
    asio::post(ioc_, [self = shared_from_this()] { self->drain(); });
  }
}

void Executor::Impl::appended(const OrderId& order, eventlog::Result<eventlog::AppendOutcome> outcome) {
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

void Executor::Impl::take_completions() {
  {
    std::lock_guard lock(completions_mu_);
    taken_.swap(completions_);
  }
  for (auto& c : taken_) {
    // Found by id: a run that a bug stopped (guarded) is gone, whatever
    // it had queued.
    const auto it = runs_.find(c.order);
    if (it == runs_.end() || !it->second->appending) continue;
    Run& r = *it->second;
    r.appended = std::move(c.seq);
    r.durable_at = c.at;
    queue_if_ready(r);
  }
  taken_.clear();
  if (!ready_.empty()) drain();  // at once: a drain already posted finds less or nothing
}

void Executor::Impl::drain() {
  drain_posted_ = false;
  batch_.swap(ready_);
  for (Run* r : batch_) decide(*r);
  batch_.clear();
  if (!chain_runs_.empty()) {
    if (store_.log().may_act()) {
      const auto results = steps_.chain().submit_all(txs_, sim_time_point());
      for (std::size_t i = 0; i < chain_runs_.size(); ++i) {
        Run& r = *chain_runs_[i];
        guarded(r, [&] {
          std::string not_now;
          auto event = steps_.event_after_tx(r.state, results[i], not_now);
          take(r, std::move(event), not_now);
        });
      }
    } else {
      // Checked just before the send: a node woken from a pause longer
      // than its lease sends nothing. Whoever owns the partition now sends
      // the same signatures, and the chain gives each one outcome.
      for (Run* r : chain_runs_) pause(*r, "this node may no longer own the order's partition: nothing sent");
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

template <typename F>
void Executor::Impl::guarded(Run& r, F&& step) {
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

void Executor::Impl::decide(Run& r) {
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
                                          ActionAnswer{ActionAnswer::Outcome::unavailable, {}, seq.error().message()});
        }
        metrics_.append_failures.fetch_add(1);
        // Another writer may have moved the order on meanwhile (a cancel
        // sent to another node of a cluster): the step is decided afresh on
        // the order as the log holds it.
        if (auto held = store_.load(r.id); held && *held && (*held)->last_seq > r.last_seq) {
          r.state = std::move((*held)->state);
          r.last_seq = (*held)->last_seq;
        }
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
    if (!r.go_on || stopping_ || is_terminal(r.state.status) || is_waiting(r.state.status) ||
        r.state.status == Status::active) {
      finish_run(r);
      return;
    }
    std::optional<OrderEvent> event;
    if (waiting_orders_->requested(r.id)) {
      // An amendment waits for the order to wait (a new limit order); once
      // it is triggered, neither it nor a cancel can take effect.
      if (!is_cancellable(r.state)) {
        waiting_orders_->answer_all(OrderSnapshot{r.id, r.state, r.last_seq});
      } else if (waiting_orders_->cancel_requested(r.id)) {
        event = Cancelled{r.state.attempt, std::string(kCancelledByOwner)};
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
    if (!event) event = steps_.next_event(r.id, r.state);
    take(r, std::move(event), {});
  });
}

void Executor::Impl::take(Run& r, std::optional<OrderEvent> event, const std::string& not_now) {
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
  // Decided on the order as of its last seq: a log others append to
  // (a cluster partition) refuses it if anything of the order came since,
  // and the step is decided again on what came.
  if (r.last_seq.value != 0) prepared.command.basis = r.last_seq;
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

void Executor::Impl::pause(Run& r, std::string_view why) {
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

void Executor::Impl::finish_run(Run& r) {
  const OrderId id = r.id;
  const OrderState& state = r.state;
  if (is_waiting(state.status)) waiting_orders_->park(id, state, r.last_seq);
  if (state.status == Status::active) {
    // A recurring order runs its slices from now on; a cancel sent while
    // it began goes with it.
    recurring_->take(id, state, r.last_seq, waiting_orders_->take_cancels(id));
  }
  if (is_terminal(state.status)) {
    waiting_orders_->answer_all(OrderSnapshot{id, state, r.last_seq});
    const double lifetime = static_cast<double>(state.updated.value - state.created.value) / 1e9;
    metrics_.submit_to_terminal_seconds.observe(lifetime);
    if (state.status == Status::confirmed) metrics_.recent.confirmed(lifetime, state.updated);
    if (r.whole_life) {
      // Until now, not the terminal event's stamp: its fsync counts too.
      const double until_durable = static_cast<double>(sim_now().value - state.created.value) / 1e9;
      metrics_.engine_overhead_seconds.observe(
          std::max(0.0, until_durable - std::chrono::duration<double>(r.waited).count()));
    }
  }
  runs_.erase(id);
  finished(id);
}

}  // namespace oee::core
