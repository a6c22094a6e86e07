// What orders' statuses, events and types are called: on the wire, in the
// log dump and in the projection, which reads them back.
#include "core/domain/order.h"

namespace oee::core {

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
    case EventType::opened: return "opened";
    case EventType::triggered: return "triggered";
    case EventType::reopened: return "reopened";
    case EventType::cancelled: return "cancelled";
    case EventType::expired: return "expired";
    case EventType::watch_started: return "watchStarted";
    case EventType::launch_rejected: return "launchRejected";
    case EventType::amended: return "amended";
    case EventType::watch_amended: return "watchAmended";
    case EventType::leg_settled: return "legSettled";
    case EventType::partially_filled: return "partiallyFilled";
    case EventType::recurring_started: return "recurringStarted";
    case EventType::slice_started: return "sliceStarted";
    case EventType::slice_skipped: return "sliceSkipped";
    case EventType::recurring_completed: return "recurringCompleted";
    case EventType::routed_and_sent: return "routedAndSent";
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
    case Status::open: return "open";
    case Status::cancelled: return "cancelled";
    case Status::expired: return "expired";
    case Status::watching: return "watching";
    case Status::partially_filled: return "partially_filled";
    case Status::active: return "active";
    case Status::completed: return "completed";
  }
  return "unknown";
}

std::optional<Status> parse_status(std::string_view name) {
  for (int i = 1; i < kStatusCount; ++i) {
    if (status_name(static_cast<Status>(i)) == name) return static_cast<Status>(i);
  }
  return std::nullopt;
}

std::string status_names() {
  std::string names;
  for (int i = 1; i < kStatusCount; ++i) {
    if (!names.empty()) names += ", ";
    names += status_name(static_cast<Status>(i));
  }
  return names;
}

std::optional<OrderType> parse_order_type(std::string_view name) {
  for (OrderType t : {OrderType::market, OrderType::limit, OrderType::sniper, OrderType::recurring}) {
    if (order_type_name(t) == name) return t;
  }
  return std::nullopt;
}

std::string_view order_type_name(OrderType type) {
  switch (type) {
    case OrderType::market: return "market";
    case OrderType::limit: return "limit";
    case OrderType::sniper: return "sniper";
    case OrderType::recurring: return "recurring";
  }
  return "unknown";
}

}  // namespace oee::core
