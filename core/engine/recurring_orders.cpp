#include "core/engine/recurring_orders.h"

#include <algorithm>

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "core/domain/recurring.h"
#include "core/domain/router.h"
#include "core/domain/sim_clock.h"

namespace oee::core {

namespace asio = boost::asio;

RecurringOrders::RecurringOrders(asio::io_context& ioc, OrderStore& store, const Market& market,
                                 EngineMetrics& metrics, SliceGate gate)
    : ioc_(ioc), store_(store), market_(market), metrics_(metrics), gate_(std::move(gate)) {}

void RecurringOrders::take(const OrderId& id, OrderState state, Seq seq, std::vector<ActionDone> cancels) {
  if (stopping_) {
    for (auto& done : cancels) done(ActionAnswer{ActionAnswer::Outcome::unavailable, {}, "the engine is stopping"});
    return;
  }
  auto [it, inserted] = parents_.try_emplace(id, std::make_unique<Parent>(ioc_));
  held_.store(parents_.size(), std::memory_order_relaxed);
  Parent& p = *it->second;
  p.state = std::move(state);
  p.seq = seq;
  p.cancels = std::move(cancels);
  // A restart may have come between a slice's start and its child.
  p.check_child = !p.state.slices.empty() && p.state.slices.back().child;
  step(id);
}

void RecurringOrders::cancel(const OrderSnapshot& seen, ActionDone done) {
  const auto it = parents_.find(seen.id);
  if (it == parents_.end() || stopping_) {
    done(cancel_answer_for(seen));
    return;
  }
  it->second->cancels.push_back(std::move(done));
  it->second->timer.cancel();
  step(seen.id);
}

void RecurringOrders::cancel_owned_by(const KeyId& key, const std::string& reason) {
  std::vector<OrderId> owned;
  for (auto& [id, p] : parents_) {
    if (p->state.owner != key || !p->key_stop.empty()) continue;
    p->key_stop = reason;
    p->timer.cancel();
    owned.push_back(id);
  }
  for (const OrderId& id : owned) step(id);
}

void RecurringOrders::ended(const OrderId& order) {
  const auto it = awaited_.find(order);
  if (it == awaited_.end()) return;
  const OrderId parent = it->second;
  awaited_.erase(it);
  step(parent);
}

void RecurringOrders::changed_elsewhere(const OrderId& order) {
  const auto it = parents_.find(order);
  if (it == parents_.end()) return;
  it->second->stale = true;
  it->second->timer.cancel();
  step(order);
}

void RecurringOrders::stop() {
  stopping_ = true;
  for (auto& [id, p] : parents_) {
    p->timer.cancel();
    for (auto& done : std::exchange(p->cancels, {})) {
      done(ActionAnswer{ActionAnswer::Outcome::unavailable, {}, "the engine is stopping"});
    }
  }
}

bool RecurringOrders::quiet() const {
  return std::none_of(parents_.begin(), parents_.end(), [](const auto& e) { return e.second->appending; });
}

void RecurringOrders::step(const OrderId& id) {
  const auto it = parents_.find(id);
  if (it == parents_.end() || stopping_) return;
  Parent& p = *it->second;
  if (p.appending) return;
  if (p.stale && !reload(id, p)) return;
  if (p.check_child) {
    const auto child = store_.load(*p.state.slices.back().child);
    if (!child) {
      pause(id, p, "its last slice's order could not be read: " + child.error().message());
      return;
    }
    p.check_child = false;
    p.child_missing = !*child;
  }
  // A started slice's child is created before anything else happens, a
  // cancel included: the slice started before the cancel, so it runs.
  if (p.child_missing) {
    create_child(id, p);
  } else if (is_terminal(p.state.status)) {
    spdlog::info("executor: recurring order {} ended elsewhere ({})", id.str(), status_name(p.state.status));
    const OrderSnapshot now{id, p.state, p.seq};
    for (auto& done : std::exchange(p.cancels, {})) done(cancel_answer_for(now));
    forget(id);
  } else if (!p.key_stop.empty()) {
    write(id, p, id, Cancelled{p.state.attempt, p.key_stop});
  } else if (!p.cancels.empty()) {
    write(id, p, id, Cancelled{p.state.attempt, std::string(kCancelledByOwner)});
  } else if (p.state.slices.size() < p.state.recurring.slices) {
    decide_slice(id, p);
  } else {
    complete_if_ended(id, p);
  }
}

bool RecurringOrders::reload(const OrderId& id, Parent& p) {
  const auto now = store_.load(id);
  if (!now || !*now) {
    pause(id, p, "its state could not be read: " + (now ? std::string("not in the log") : now.error().message()));
    return false;
  }
  p.stale = false;
  if ((*now)->last_seq <= p.seq) return true;
  // A slice that started after all (its append's answer was lost): whether
  // its order is in the log is read before anything else happens.
  if ((*now)->state.slices.size() != p.state.slices.size()) {
    p.check_child = !(*now)->state.slices.empty() && (*now)->state.slices.back().child;
    p.child_missing = false;
  }
  p.state = std::move((*now)->state);
  p.seq = (*now)->last_seq;
  return true;
}

void RecurringOrders::decide_slice(const OrderId& id, Parent& p) {
  const OrderState& s = p.state;
  const TimestampNs now = sim_now();
  const TimestampNs due = next_slice_due(s, now);
  if (due > now) {
    wake_after(id, p, std::chrono::nanoseconds(due.value - now.value));
    return;
  }
  // The order's key is asked again as each slice falls due: revoked or
  // expired, the order ends here; its writes spent, the slice waits.
  if (gate_) {
    const SliceClearance clearance = gate_(s);
    if (!clearance.stop.empty()) {
      write(id, p, id, Cancelled{s.attempt, clearance.stop});
      return;
    }
    if (clearance.wait.count() > 0) {
      wake_after(id, p, clearance.wait);
      return;
    }
  }
  const auto k = static_cast<std::uint32_t>(s.slices.size());
  const Amount amount = slice_amount(s.amount_in, s.recurring.slices, k);
  SliceSkipped skipped{k, amount, due, {}, Venue::raydium, {}, {}, s.input_token, s.output_token};
  const auto pools = s.input_token && s.output_token
                         ? market_.pools(s.input_token.token(), s.output_token.token(), to_time_point(now))
                         : std::nullopt;
  if (!pools) {
    skipped.reason = "no pool for the pair";
    write(id, p, id, std::move(skipped));
    return;
  }
  RouteDecision decision = route_on(*pools, amount);
  skipped.venue = decision.best.venue;
  skipped.expected_out = decision.best.amount_out;
  auto outside = decision.best.amount_out.base == 0
                     ? std::optional<std::string>("the slice is too small to fetch anything")
                     : outside_price_range(s.recurring, amount, s.input_token.decimals(), decision.best.amount_out,
                                           s.output_token.decimals());
  if (outside) {
    skipped.reason = std::move(*outside);
    skipped.quotes = std::move(decision.quotes);
    write(id, p, id, std::move(skipped));
    return;
  }
  write(id, p, id, SliceStarted{k, slice_order_id(id, k), amount, due, s.input_token, s.output_token});
}

void RecurringOrders::complete_if_ended(const OrderId& id, Parent& p) {
  // A child that ended stays as it ended: only the others are read again.
  std::vector<const OrderState*> children;
  bool running = false;
  for (const SliceState& slice : p.state.slices) {
    if (!slice.child) continue;
    auto ended = p.ended.find(*slice.child);
    if (ended == p.ended.end()) {
      auto loaded = store_.load(*slice.child);
      if (!loaded) {
        pause(id, p, loaded.error().message());
        return;
      }
      if (!*loaded || !is_terminal((*loaded)->state.status)) {
        // It completes when the last of them ends.
        awaited_[*slice.child] = id;
        running = true;
        continue;
      }
      ended = p.ended.emplace(*slice.child, std::move((*loaded)->state)).first;
    }
    children.push_back(&ended->second);
  }
  if (running) return;
  const RecurringProgress progress = recurring_progress(p.state, children);
  write(id, p, id,
        RecurringCompleted{progress.done, progress.skipped, progress.spent, progress.received, p.state.input_token,
                           p.state.output_token});
}

void RecurringOrders::create_child(const OrderId& id, Parent& p) {
  const OrderState& s = p.state;
  const SliceState& slice = s.slices.back();
  OrderSubmitted child;
  child.order_type = OrderType::market;
  child.input_token = s.input_token;
  child.output_token = s.output_token;
  child.amount_in = slice.amount_in;
  child.slippage_bps = s.slippage_bps;
  child.owner = s.owner;
  child.parent = id;
  child.slice = static_cast<std::uint32_t>(s.slices.size() - 1);
  write(id, p, *slice.child, std::move(child));
}

void RecurringOrders::write(const OrderId& id, Parent& p, const OrderId& order, OrderEvent event) {
  const bool own = order == id;
  p.appending = true;
  auto done = [self = shared_from_this(), id, own](eventlog::Result<AppendedEvent> r) {
    asio::post(self->ioc_, [self, id, own, r = std::move(r)]() mutable { self->written(id, own, std::move(r)); });
  };
  try {
    // The parent's own events are decided on its state as of p.seq: a
    // cancel another node appended meanwhile refuses them. A slice's order
    // is create-only.
    if (own) {
      store_.append_on(order, p.state, p.seq, std::move(event), std::move(done));
    } else {
      store_.append(order, OrderState{}, std::move(event), std::nullopt, std::move(done));
    }
  } catch (const std::exception& e) {
    // A bug (an illegal event): the order stays as the log has it and is
    // taken up again on the next start; say so loudly.
    spdlog::critical("executor: recurring order {}: {}", id.str(), e.what());
    for (auto& done : std::exchange(p.cancels, {})) {
      done(ActionAnswer{ActionAnswer::Outcome::unavailable, {}, e.what()});
    }
    forget(id);
  }
}

void RecurringOrders::written(const OrderId& id, bool own, eventlog::Result<AppendedEvent> r) {
  const auto it = parents_.find(id);
  if (it == parents_.end()) return;
  Parent& p = *it->second;
  p.appending = false;
  if (!r) {
    metrics_.append_failures.fetch_add(1);
    // Nothing was written, its cancel included: the client may send it again.
    if (own) {
      for (auto& done : std::exchange(p.cancels, {})) {
        done(ActionAnswer{ActionAnswer::Outcome::unavailable, {}, r.error().message()});
      }
    }
    // Refused or unknown: the parent reads its state again (another node
    // may have cancelled it), a slice's order whether it is in the log
    // after all (an earlier try, or the last owner's, may have landed).
    p.stale = p.stale || own;
    p.check_child = p.check_child || !own;
    pause(id, p, (own ? "the log refused its next event: " : "the log refused a slice's order: ") +
                     r.error().message());
    return;
  }
  p.pause = {};
  if (!own) {
    p.child_missing = false;
    step(id);
    return;
  }
  const bool started = r->state.slices.size() > p.state.slices.size() && r->state.slices.back().child;
  p.state = std::move(r->state);
  p.seq = r->seq;
  if (is_terminal(p.state.status)) {
    const OrderSnapshot now{id, p.state, p.seq};
    for (auto& done : std::exchange(p.cancels, {})) done(cancel_answer_for(now));
    forget(id);
    return;
  }
  p.child_missing = started;
  step(id);
}

void RecurringOrders::wake_after(const OrderId& id, Parent& p, std::chrono::nanoseconds wait) {
  p.timer.expires_after(wait);
  p.timer.async_wait([weak = weak_from_this(), id](boost::system::error_code ec) {
    auto self = weak.lock();
    if (ec || !self) return;
    self->step(id);
  });
}

void RecurringOrders::pause(const OrderId& id, Parent& p, std::string_view why) {
  p.pause = std::clamp<std::chrono::steady_clock::duration>(p.pause * 2, std::chrono::milliseconds(100),
                                                            std::chrono::seconds(5));
  spdlog::error("executor: recurring order {} pauses: {}", id.str(), why);
  wake_after(id, p, p.pause);
}

void RecurringOrders::forget(const OrderId& id) {
  std::erase_if(awaited_, [&id](const auto& entry) { return entry.second == id; });
  parents_.erase(id);
  held_.store(parents_.size(), std::memory_order_relaxed);
}

}  // namespace oee::core
