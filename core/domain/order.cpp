#include "core/domain/order.h"

#include <algorithm>
#include <array>

namespace oee::core {

namespace {

using S = Status;
using E = EventType;

/// An event an order in status `from` may take, and the status it leaves.
struct Step {
  Status from;
  EventType event;
  Status to;
};

// Every step an order may take; any other (status, event) pair is illegal.
// A routed_and_sent is checked further as the events it holds, one after
// another.
constexpr Step kSteps[] = {
    {S::none, E::submitted, S::pending},
    // An order that waits (new, or backing off after a failed attempt)
    // starts its next attempt, or, as a new limit, sniper or recurring
    // order, begins to wait; it can also be failed without one. Before an
    // attempt is under way it can be cancelled or expire (apply() checks
    // the attempt).
    {S::pending, E::routing_started, S::routing},
    {S::pending, E::routed_and_sent, S::submitted},
    {S::pending, E::order_failed, S::failed},
    {S::pending, E::opened, S::open},
    {S::pending, E::watch_started, S::watching},
    {S::pending, E::recurring_started, S::active},
    {S::pending, E::cancelled, S::cancelled},
    {S::pending, E::expired, S::expired},
    // A limit order's execution that re-prices below its threshold goes
    // back to the book instead of failing.
    {S::routing, E::routed, S::building},
    {S::routing, E::routed_and_sent, S::submitted},
    {S::routing, E::attempt_failed, S::pending},
    {S::routing, E::order_failed, S::failed},
    {S::routing, E::reopened, S::open},
    {S::building, E::tx_submitted, S::submitted},
    {S::building, E::attempt_failed, S::pending},
    {S::building, E::order_failed, S::failed},
    {S::building, E::reopened, S::open},
    // A submitted tx either lands or the attempt fails (dropped, slippage);
    // a split order's legs settle one by one first, and it may end with
    // some of them filled.
    {S::submitted, E::confirmed, S::confirmed},
    {S::submitted, E::attempt_failed, S::pending},
    {S::submitted, E::order_failed, S::failed},
    {S::submitted, E::reopened, S::open},
    {S::submitted, E::leg_settled, S::submitted},
    {S::submitted, E::partially_filled, S::partially_filled},
    // Failed is final for the engine; an operator either reopens it with a
    // retry or dismisses it from the dead-letter list, where it stays failed.
    {S::failed, E::order_retried, S::pending},
    {S::failed, E::dead_letter_dismissed, S::failed},
    // A waiting order fires (its next attempt begins), is cancelled,
    // expires or is amended; whichever of these the log takes first wins.
    {S::open, E::triggered, S::routing},
    {S::open, E::cancelled, S::cancelled},
    {S::open, E::expired, S::expired},
    {S::open, E::amended, S::open},
    // A sniper fires as an open order does; a launch it turns down leaves
    // it watching.
    {S::watching, E::triggered, S::routing},
    {S::watching, E::cancelled, S::cancelled},
    {S::watching, E::expired, S::expired},
    {S::watching, E::launch_rejected, S::watching},
    {S::watching, E::watch_amended, S::watching},
    // A recurring order runs or skips its slices one by one, and ends once
    // all of them have, or when its owner cancels it.
    {S::active, E::slice_started, S::active},
    {S::active, E::slice_skipped, S::active},
    {S::active, E::recurring_completed, S::completed},
    {S::active, E::cancelled, S::cancelled},
    // confirmed, cancelled, expired, partially_filled (a split order's
    // filled legs stand) and completed take nothing.
};

// kSteps as a table for transition(): rows the status, columns the stored
// event type - 1.
constexpr auto kTable = [] {
  std::array<std::array<std::optional<Status>, kMaxEventType>, kStatusCount> table{};
  for (const auto& step : kSteps)
    table[static_cast<std::size_t>(step.from)][static_cast<std::size_t>(step.event) - 1] = step.to;
  return table;
}();

}  // namespace

EventType type_of(const OrderEvent& event) {
  return std::visit([](const auto& e) { return event_type_of<std::decay_t<decltype(e)>>(); }, event);
}

bool is_terminal(Status status) {
  return status == Status::confirmed || status == Status::failed || status == Status::cancelled ||
         status == Status::expired || status == Status::partially_filled || status == Status::completed;
}

bool is_waiting(Status status) { return status == Status::open || status == Status::watching; }

bool any_leg_landed(const OrderState& state) {
  return std::any_of(state.legs.begin(), state.legs.end(), [](const LegState& l) { return l.landed; });
}

std::optional<std::uint32_t> unsettled_leg(const OrderState& state) {
  for (std::size_t i = 0; i < state.legs.size(); ++i) {
    if (!state.legs[i].settled) return static_cast<std::uint32_t>(i);
  }
  return std::nullopt;
}

Amount filled_in(const OrderState& state) {
  if (state.legs.empty()) return state.amount_in;
  Amount in{};
  for (const LegState& l : state.legs) {
    if (l.landed) in.base += l.leg.amount_in.base;
  }
  return in;
}

std::vector<Leg> routed_legs(const OrderState& state) {
  std::vector<Leg> legs;
  for (const LegState& l : state.legs) legs.push_back(l.leg);
  return legs;
}

std::vector<LegFill> leg_fills(const OrderState& state) {
  std::vector<LegFill> fills;
  for (const LegState& l : state.legs) {
    fills.push_back(LegFill{l.leg.venue, l.leg.amount_in, l.landed ? l.amount_out : Amount{}, l.tx_id});
  }
  return fills;
}

std::optional<OrderEvent> amend_event(const OrderState& waiting, const Amendment& change) {
  const Amount floor = change.min_amount_out.value_or(waiting.min_amount_out);
  const TimestampNs expiry = change.expires_at.value_or(waiting.expires_at);
  if (floor == waiting.min_amount_out && expiry == waiting.expires_at) return std::nullopt;
  return amend_event(waiting, floor, expiry);
}

OrderEvent amend_event(const OrderState& waiting, Amount min_amount_out, TimestampNs expires_at) {
  const Amended amended{waiting.attempt,  waiting.input_token, waiting.output_token,
                        waiting.amount_in, min_amount_out,      expires_at};
  if (waiting.status == Status::watching) return WatchAmended{amended};
  return amended;
}

bool is_cancellable(const OrderState& state) {
  // A split order with a filled leg has executed: it can no longer be undone.
  return is_waiting(state.status) || state.status == Status::active ||
         (state.status == Status::pending && state.attempt == state.retry_floor && !any_leg_landed(state));
}


Status status_after(EventType type) {
  switch (type) {
    case EventType::submitted: return Status::pending;
    case EventType::routing_started: return Status::routing;
    case EventType::routed: return Status::building;
    case EventType::tx_submitted: return Status::submitted;
    case EventType::confirmed: return Status::confirmed;
    case EventType::attempt_failed: return Status::pending;
    case EventType::order_failed: return Status::failed;
    case EventType::order_retried: return Status::pending;
    case EventType::dead_letter_dismissed: return Status::failed;
    case EventType::opened: return Status::open;
    case EventType::triggered: return Status::routing;
    case EventType::reopened: return Status::open;
    case EventType::cancelled: return Status::cancelled;
    case EventType::expired: return Status::expired;
    case EventType::watch_started: return Status::watching;
    case EventType::launch_rejected: return Status::watching;
    case EventType::amended: return Status::open;
    case EventType::watch_amended: return Status::watching;
    case EventType::leg_settled: return Status::submitted;
    case EventType::partially_filled: return Status::partially_filled;
    case EventType::recurring_started: return Status::active;
    case EventType::slice_started: return Status::active;
    case EventType::slice_skipped: return Status::active;
    case EventType::recurring_completed: return Status::completed;
    case EventType::routed_and_sent: return Status::submitted;
  }
  return Status::none;
}

bool is_terminal_event(std::uint8_t stored_type) {
  return is_order_event_type(stored_type) &&
         is_terminal(status_after(static_cast<EventType>(stored_type)));
}

std::optional<Status> transition(Status from, EventType event) {
  const auto row = static_cast<std::size_t>(from);
  const auto col = static_cast<std::size_t>(event) - 1;
  if (row >= kTable.size() || col >= kTable[row].size()) return std::nullopt;
  return kTable[row][col];
}

std::string_view describe(ApplyError e) {
  switch (e) {
    case ApplyError::illegal_transition: return "event not allowed in the order's current status";
    case ApplyError::wrong_attempt: return "event names a different attempt than the one in progress";
    case ApplyError::dismissed: return "the order was dismissed from the dead-letter list";
    case ApplyError::execution_started: return "the order's execution has started";
  }
  return "invalid event";
}

bool is_dead_letter(const OrderState& state) { return state.status == Status::failed && !state.dismissed; }

std::string_view dead_letter_reason(std::string_view error) {
  std::string_view reason = error.substr(0, error.find_first_of(":("));
  while (!reason.empty() && reason.back() == ' ') reason.remove_suffix(1);
  while (!reason.empty() && reason.front() == ' ') reason.remove_prefix(1);
  return reason;
}

namespace {

// One stored event as it stands alone: checked against the state, then folded.
template <class T>
boost::system::result<OrderState, ApplyError> apply_one(const OrderState& state, const T& e, TimestampNs at) {
  const auto next = transition(state.status, event_type_of<T>());
  if (!next) return ApplyError::illegal_transition;
  // The table knows statuses; a dismissed dead letter is still failed.
  if (state.dismissed &&
      (std::is_same_v<T, OrderRetried> || std::is_same_v<T, DeadLetterDismissed>)) {
    return ApplyError::dismissed;
  }
  // A pending order may be cancelled or expire only before its execution
  // begins: an order backing off between attempts is already triggered.
  if ((std::is_same_v<T, Cancelled> || std::is_same_v<T, Expired>) &&
      !is_cancellable(state)) {
    return ApplyError::execution_started;
  }
  // A leg settles once per attempt, and only one this attempt sent.
  if constexpr (std::is_same_v<T, LegSettled>) {
    if (e.leg >= state.legs.size() || state.legs[e.leg].settled) return ApplyError::illegal_transition;
  }
  // A recurring order's slices start or are skipped in order, each once,
  // and it completes only after the last.
  if constexpr (std::is_same_v<T, SliceStarted> || std::is_same_v<T, SliceSkipped>) {
    if (e.slice != state.slices.size() || e.slice >= state.recurring.slices) return ApplyError::illegal_transition;
  }
  if (std::is_same_v<T, RecurringCompleted> && state.slices.size() != state.recurring.slices) {
    return ApplyError::illegal_transition;
  }
  // Attempts are numbered 1, 2, ...; every event of an attempt names it.
  std::uint32_t attempt = 0;
  if constexpr (requires { e.attempt; }) attempt = e.attempt;
  if (std::is_same_v<T, RoutingStarted> || std::is_same_v<T, Triggered>) {
    if (attempt != state.attempt + 1) return ApplyError::wrong_attempt;
  } else if (!std::is_same_v<T, OrderSubmitted> && attempt != state.attempt) {
    return ApplyError::wrong_attempt;
  }

  OrderState s = state;
  s.status = *next;
  s.updated = at;
  if constexpr (std::is_same_v<T, OrderSubmitted>) {
    s.order_type = e.order_type;
    s.input_token = e.input_token;
    s.output_token = e.output_token;
    s.amount_in = e.amount_in;
    s.slippage_bps = e.slippage_bps;
    s.idempotency_key = e.idempotency_key;
    s.owner = e.owner;
    s.min_amount_out = e.min_amount_out;
    s.expires_at = e.expires_at;
    s.checks = e.checks;
    s.recurring = e.recurring;
    s.parent = e.parent;
    s.slice = e.slice;
    s.created = at;
  } else if constexpr (std::is_same_v<T, RoutingStarted>) {
    s.attempt = e.attempt;
    s.retry_at = {};
  } else if constexpr (std::is_same_v<T, Routed>) {
    s.venue = e.venue;
    s.expected_out = e.expected_out;
    s.min_out = e.min_out;
    // A filled leg stands; the others go out again in this attempt.
    std::vector<LegState> legs;
    for (std::size_t i = 0; i < e.legs.size(); ++i) {
      if (i < s.legs.size() && s.legs[i].landed) {
        legs.push_back(s.legs[i]);
      } else {
        legs.push_back(LegState{e.legs[i], {}, false, false, {}});
      }
    }
    s.legs = std::move(legs);
  } else if constexpr (std::is_same_v<T, TxSubmitted>) {
    s.venue = e.venue;
    s.tx_id = e.tx_id;
    s.min_out = e.min_out;
    s.tx_last_valid_at = e.last_valid_at;
    for (std::size_t i = 0; i < e.leg_tx_ids.size() && i < s.legs.size(); ++i) {
      if (!s.legs[i].landed) s.legs[i].tx_id = e.leg_tx_ids[i];
    }
  } else if constexpr (std::is_same_v<T, Confirmed>) {
    s.venue = e.venue;
    s.tx_id = e.tx_id;
    s.amount_out = e.amount_out;
    s.last_error.clear();
  } else if constexpr (std::is_same_v<T, AttemptFailed>) {
    s.last_error = e.reason;
    s.retry_at = e.retry_at;
  } else if constexpr (std::is_same_v<T, OrderFailed>) {
    s.last_error = e.reason;
  } else if constexpr (std::is_same_v<T, OrderRetried>) {
    s.retry_floor = e.attempt;
    s.last_error.clear();
    s.retry_at = {};
  } else if constexpr (std::is_same_v<T, DeadLetterDismissed>) {
    s.dismissed = true;  // last_error stays: why it failed is still the answer
  } else if constexpr (std::is_same_v<T, Opened> || std::is_same_v<T, WatchStarted>) {
    s.retry_at = {};
  } else if constexpr (std::is_same_v<T, Triggered>) {
    s.attempt = e.attempt;
    s.venue = e.venue;
    s.expected_out = e.expected_out;
    s.min_out = e.threshold;
    s.triggered_at = at;
    s.last_error.clear();
  } else if constexpr (std::is_same_v<T, Reopened>) {
    // Waiting again: a re-price is no failure, so the attempts it used
    // do not count against the next trigger's retries.
    s.retry_floor = e.attempt;
    s.last_error = e.reason;
    s.retry_at = {};
    s.tx_id.clear();
    s.legs.clear();  // none filled: the next trigger routes afresh
  } else if constexpr (std::is_same_v<T, LaunchRejected>) {
    s.last_error = e.reason;  // the latest launch it turned down, and why
    s.launches_judged = std::max(s.launches_judged, e.launch);
  } else if constexpr (std::is_base_of_v<Amended, T>) {
    s.min_amount_out = e.min_amount_out;
    s.expires_at = e.expires_at;
  } else if constexpr (std::is_same_v<T, LegSettled>) {
    LegState& leg = s.legs[e.leg];
    leg.settled = true;
    leg.landed = e.landed;
    leg.amount_out = e.landed ? e.fill.amount_out : Amount{};
    if (!e.landed) s.last_error = e.reason;
  } else if constexpr (std::is_same_v<T, PartiallyFilled>) {
    s.amount_out = e.amount_out;
    s.last_error = e.reason;
  } else if constexpr (std::is_same_v<T, RecurringStarted>) {
    s.first_due = e.first_due;
  } else if constexpr (std::is_same_v<T, SliceStarted>) {
    s.slices.push_back(SliceState{e.child, e.amount_in, e.due_at});
  } else if constexpr (std::is_same_v<T, SliceSkipped>) {
    s.slices.push_back(SliceState{std::nullopt, e.amount_in, e.due_at});
    s.last_error = e.reason;  // the latest slice it skipped, and why
  } else if constexpr (std::is_same_v<T, RecurringCompleted>) {
    s.amount_out = e.received;
  } else {
    static_assert(std::is_same_v<T, Cancelled> || std::is_same_v<T, Expired>);
  }
  return s;
}

// The events a routed_and_sent holds, one after another, each checked as
// if it had come alone: the same state, and the same errors, as the
// records of a log written before it.
boost::system::result<OrderState, ApplyError> apply_routed_and_sent(const OrderState& state, const RoutedAndSent& e,
                                                                    TimestampNs at) {
  if (!transition(state.status, EventType::routed_and_sent)) return ApplyError::illegal_transition;
  if (e.starts_attempt != (state.status == Status::pending)) return ApplyError::illegal_transition;
  auto s = e.starts_attempt ? apply_one(state, RoutingStarted{e.routed.attempt}, at) : state;
  if (!s) return s;
  s = apply_one(*s, e.routed, at);
  if (!s) return s;
  return apply_one(*s, e.sent, at);
}

}  // namespace

boost::system::result<OrderState, ApplyError> apply(const OrderState& state, const OrderEvent& event, TimestampNs at) {
  return std::visit(
      [&](const auto& e) -> boost::system::result<OrderState, ApplyError> {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, RoutedAndSent>) {
          return apply_routed_and_sent(state, e, at);
        } else {
          return apply_one(state, e, at);
        }
      },
      event);
}

}  // namespace oee::core
