#include "core/domain/order.h"

#include <array>

namespace oee::core {

namespace {

constexpr auto N = std::nullopt;
using S = Status;

// Rows: current status. Columns: event type (submitted, routing_started,
// routed, tx_submitted, confirmed, attempt_failed, order_failed,
// order_retried, dead_letter_dismissed).
constexpr std::array<std::array<std::optional<Status>, kEventTypeCount>, kStatusCount> kTable{{
    /* none      */ {S::pending, N, N, N, N, N, N, N, N},
    // An order that waits (new, or backing off after a failed attempt)
    // starts its next attempt; it can also be failed without one (expiry).
    /* pending   */ {N, S::routing, N, N, N, N, S::failed, N, N},
    /* routing   */ {N, N, S::building, N, N, S::pending, S::failed, N, N},
    /* building  */ {N, N, N, S::submitted, N, S::pending, S::failed, N, N},
    // A submitted tx either lands or the attempt fails (dropped, slippage).
    /* submitted */ {N, N, N, N, S::confirmed, S::pending, S::failed, N, N},
    /* confirmed */ {N, N, N, N, N, N, N, N, N},
    // Failed is final for the engine; an operator either reopens it with a
    // retry or dismisses it from the dead-letter list, where it stays failed.
    /* failed    */ {N, N, N, N, N, N, N, S::pending, S::failed},
}};

std::uint32_t attempt_of(const OrderEvent& e) {
  return std::visit(
      [](const auto& ev) -> std::uint32_t {
        if constexpr (requires { ev.attempt; }) {
          return ev.attempt;
        } else {
          return 0;
        }
      },
      e);
}

}  // namespace

EventType type_of(const OrderEvent& event) {
  return std::visit(
      [](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, OrderSubmitted>) return EventType::submitted;
        else if constexpr (std::is_same_v<T, RoutingStarted>) return EventType::routing_started;
        else if constexpr (std::is_same_v<T, Routed>) return EventType::routed;
        else if constexpr (std::is_same_v<T, TxSubmitted>) return EventType::tx_submitted;
        else if constexpr (std::is_same_v<T, Confirmed>) return EventType::confirmed;
        else if constexpr (std::is_same_v<T, AttemptFailed>) return EventType::attempt_failed;
        else if constexpr (std::is_same_v<T, OrderFailed>) return EventType::order_failed;
        else if constexpr (std::is_same_v<T, OrderRetried>) return EventType::order_retried;
        else return EventType::dead_letter_dismissed;
      },
      event);
}

std::string_view event_name(EventType type) {
  switch (type) {
    case EventType::submitted: return "submitted";
    case EventType::routing_started: return "routingStarted";
    case EventType::routed: return "routed";
    case EventType::tx_submitted: return "txSubmitted";
    case EventType::confirmed: return "confirmed";
    case EventType::attempt_failed: return "attemptFailed";
    case EventType::order_failed: return "orderFailed";
    case EventType::order_retried: return "orderRetried";
    case EventType::dead_letter_dismissed: return "deadLetterDismissed";
  }
  return "unknown";
}

std::string_view status_name(Status status) {
  switch (status) {
    case Status::none: return "none";
    case Status::pending: return "pending";
    case Status::routing: return "routing";
    case Status::building: return "building";
    case Status::submitted: return "submitted";
    case Status::confirmed: return "confirmed";
    case Status::failed: return "failed";
  }
  return "unknown";
}

std::optional<Status> parse_status(std::string_view name) {
  for (int i = 1; i < kStatusCount; ++i) {
    if (status_name(static_cast<Status>(i)) == name) return static_cast<Status>(i);
  }
  return std::nullopt;
}

std::optional<OrderType> parse_order_type(std::string_view name) {
  for (OrderType t : {OrderType::market, OrderType::limit, OrderType::sniper}) {
    if (order_type_name(t) == name) return t;
  }
  return std::nullopt;
}

std::string_view order_type_name(OrderType type) {
  switch (type) {
    case OrderType::market: return "market";
    case OrderType::limit: return "limit";
    case OrderType::sniper: return "sniper";
  }
  return "unknown";
}

bool is_terminal(Status status) { return status == Status::confirmed || status == Status::failed; }

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
  }
  return Status::none;
}

bool is_terminal_event(std::uint8_t stored_type) {
  return stored_type >= 1 && stored_type <= kEventTypeCount &&
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

boost::system::result<OrderState, ApplyError> apply(const OrderState& state, const OrderEvent& event, TimestampNs at) {
  const auto next = transition(state.status, type_of(event));
  if (!next) return ApplyError::illegal_transition;
  // The table knows statuses; a dismissed dead letter is still failed.
  if (state.dismissed &&
      (std::holds_alternative<OrderRetried>(event) || std::holds_alternative<DeadLetterDismissed>(event))) {
    return ApplyError::dismissed;
  }
  // Attempts are numbered 1, 2, ...; every event of an attempt names it.
  const std::uint32_t attempt = attempt_of(event);
  if (std::holds_alternative<RoutingStarted>(event)) {
    if (attempt != state.attempt + 1) return ApplyError::wrong_attempt;
  } else if (!std::holds_alternative<OrderSubmitted>(event) && attempt != state.attempt) {
    return ApplyError::wrong_attempt;
  }

  OrderState s = state;
  s.status = *next;
  s.updated = at;
  std::visit(
      [&](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, OrderSubmitted>) {
          s.order_type = e.order_type;
          s.input_token = e.input_token;
          s.output_token = e.output_token;
          s.amount_in = e.amount_in;
          s.slippage_bps = e.slippage_bps;
          s.idempotency_key = e.idempotency_key;
          s.owner = e.owner;
          s.created = at;
        } else if constexpr (std::is_same_v<T, RoutingStarted>) {
          s.attempt = e.attempt;
          s.retry_at = {};
        } else if constexpr (std::is_same_v<T, Routed>) {
          s.venue = e.venue;
          s.expected_out = e.expected_out;
          s.min_out = e.min_out;
        } else if constexpr (std::is_same_v<T, TxSubmitted>) {
          s.venue = e.venue;
          s.tx_id = e.tx_id;
          s.min_out = e.min_out;
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
        } else {
          static_assert(std::is_same_v<T, DeadLetterDismissed>);
          s.dismissed = true;  // last_error stays: why it failed is still the answer
        }
      },
      event);
  return s;
}

}  // namespace oee::core
