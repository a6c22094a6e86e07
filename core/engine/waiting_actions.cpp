// What is asked of waiting orders from outside their wait: a client's
// cancel or amendment, a dead key's cancels, and the answers each gets
// (waiting_orders.h); the waits themselves: waiting_orders.cpp.
#include "core/engine/waiting_orders.h"

namespace oee::core {

namespace {

// Too late for a cancel or an amendment: the order ended, or it was triggered.
ActionAnswer too_late_for(const OrderSnapshot& order) {
  std::string why = is_terminal(order.state.status)
                        ? "the order is already " + std::string(status_name(order.state.status))
                        : "the order was triggered: its execution has started";
  return ActionAnswer{ActionAnswer::Outcome::too_late, order, std::move(why)};
}

}  // namespace

ActionAnswer unavailable_answer(std::string why) {
  return ActionAnswer{ActionAnswer::Outcome::unavailable, {}, std::move(why)};
}

ActionAnswer cancel_answer_for(const OrderSnapshot& order) {
  if (order.state.status == Status::cancelled) return ActionAnswer{ActionAnswer::Outcome::done, order, {}};
  if (is_cancellable(order.state)) {
    // Waiting, yet not in the executor's hands (its last event could not
    // be recorded): neither cancelled nor too late.
    return ActionAnswer{ActionAnswer::Outcome::unavailable, order, "the order is not being run; try again"};
  }
  return too_late_for(order);
}

ActionAnswer amend_answer_for(const OrderSnapshot& order) {
  if (is_cancellable(order.state)) {
    return ActionAnswer{ActionAnswer::Outcome::unavailable, order,
                        is_waiting(order.state.status) ? "the order is not being run; try again"
                                                       : "the order does not wait yet; try again"};
  }
  return too_late_for(order);
}

std::vector<ActionDone> WaitingOrders::take_cancels(const OrderId& id) {
  const auto it = cancels_.find(id);
  if (it == cancels_.end()) return {};
  auto taken = std::move(it->second);
  cancels_.erase(it);
  return taken;
}

void WaitingOrders::cancel(const OrderSnapshot& seen, ActionDone done) {
  const OrderId& id = seen.id;
  if (stopping_) {
    done(unavailable_answer("the engine is stopping"));
    return;
  }
  if (parked_.contains(id)) {
    cancels_[id].push_back(std::move(done));
    cancel_parked(id, std::string(kCancelledByOwner));
    return;
  }
  if (holds(id) || runner_.running(id)) {
    cancels_[id].push_back(std::move(done));
    return;
  }
  done(cancel_answer_for(as_held_now(seen)));
}

void WaitingOrders::amend(const OrderSnapshot& seen, Amendment change, ActionDone done) {
  const OrderId& id = seen.id;
  if (stopping_) {
    done(unavailable_answer("the engine is stopping"));
    return;
  }
  if (const auto it = parked_.find(id); it != parked_.end()) {
    const OrderState& state = it->second.state;
    if (!amend_event(state, change)) {
      done(ActionAnswer{ActionAnswer::Outcome::done, OrderSnapshot{id, state, it->second.seq}, {}});
      return;
    }
    amends_[id].push_back(PendingAmend{change, std::move(done)});
    if (!book_.remove(id)) snipers_.remove(id);
    Parked waiting = unpark(id);
    park(id, std::move(waiting.state), waiting.seq);  // takes the amendment up, after the order's expiry
    return;
  }
  if (holds(id) || runner_.running(id)) {
    amends_[id].push_back(PendingAmend{change, std::move(done)});
    return;
  }
  done(amend_answer_for(as_held_now(seen)));
}

// Nobody here writes the order: it is answered as the log holds it now. The
// caller read it before asking, and a trigger and the whole run may have
// come between (a filled order is then too late, not "not being run").
OrderSnapshot WaitingOrders::as_held_now(const OrderSnapshot& seen) const {
  auto held = store_.load(seen.id);
  if (!held || !*held || (*held)->last_seq < seen.last_seq) return seen;
  return std::move(**held);
}

bool WaitingOrders::take_amend(const OrderId& id, const Parked& waiting) {
  const auto it = amends_.find(id);
  if (it == amends_.end()) return false;
  const OrderState& s = waiting.state;
  auto& queue = it->second;
  while (!queue.empty()) {
    PendingAmend next = std::move(queue.front());
    queue.pop_front();
    auto event = amend_event(s, next.change);
    if (!event) {
      next.done(ActionAnswer{ActionAnswer::Outcome::done, OrderSnapshot{id, s, waiting.seq}, {}});
      continue;
    }
    if (queue.empty()) amends_.erase(it);
    amending_.emplace(id, std::move(next.done));
    settle(id, waiting, std::move(*event));
    return true;
  }
  amends_.erase(it);
  return false;
}

void WaitingOrders::answer_cancels(const OrderId& id, const ActionAnswer& answer) {
  for (auto& done : take_cancels(id)) done(answer);
}

void WaitingOrders::answer_amending(const OrderId& id, const ActionAnswer& answer) {
  const auto it = amending_.find(id);
  if (it == amending_.end()) return;
  auto done = std::move(it->second);
  amending_.erase(it);
  done(answer);
}

void WaitingOrders::answer_amends(const OrderId& id, const ActionAnswer& answer) {
  answer_amending(id, answer);
  auto it = amends_.find(id);
  if (it == amends_.end()) return;
  auto answers = std::move(it->second);
  amends_.erase(it);
  for (auto& a : answers) a.done(answer);
}

void WaitingOrders::answer_all(const OrderSnapshot& now) {
  if (cancels_.contains(now.id)) answer_cancels(now.id, cancel_answer_for(now));
  if (amending_.contains(now.id) || amends_.contains(now.id)) answer_amends(now.id, amend_answer_for(now));
}

void WaitingOrders::answer_all_unavailable(const OrderId& id, const std::string& why) {
  answer_cancels(id, unavailable_answer(why));
  answer_amends(id, unavailable_answer(why));
}

void WaitingOrders::cancel_owned_by(const KeyId& key, const std::string& reason) {
  if (stopping_) return;
  std::vector<OrderId> owned;
  for (const auto& [id, p] : parked_)
    if (p.state.owner == key) owned.push_back(id);
  for (const OrderId& id : owned) cancel_parked(id, reason);
  // One whose wait's end the log refused a moment ago is parked again
  // later, and park() asks its key then.
}

void WaitingOrders::cancel_parked(const OrderId& id, std::string reason) {
  if (!book_.remove(id)) snipers_.remove(id);
  Parked waiting = unpark(id);
  const std::uint32_t attempt = waiting.state.attempt;
  settle(id, std::move(waiting), Cancelled{attempt, std::move(reason)});
}

}  // namespace oee::core
