#pragma once
// The order aggregate: its state and the one transition table that says
// which event (order_events.h) may follow which state.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <boost/system/result.hpp>

#include "core/domain/order_events.h"

namespace oee::core {

// Stored in snapshots by value: new statuses go at the end.
enum class Status : std::uint8_t {
  none,
  pending,
  routing,
  building,
  submitted,
  confirmed,
  failed,
  open,       // a limit order waiting for its price
  cancelled,  // by its owner, before it was triggered
  expired,    // its expiresAt passed before it was triggered
  watching,   // a sniper order waiting for its token's launch
  partially_filled,  // a split order some of whose legs filled and the rest failed for good
  active,     // a recurring order running its slices
  completed,  // a recurring order all of whose slices ran or were skipped, and ended
};
inline constexpr int kStatusCount = 14;

[[nodiscard]] std::string_view status_name(Status status);  // "pending", "confirmed", ...
[[nodiscard]] std::optional<Status> parse_status(std::string_view name);
/// "pending, routing, ...": every status an order can be in, for messages.
[[nodiscard]] std::string status_names();
[[nodiscard]] std::string_view order_type_name(OrderType type);
[[nodiscard]] std::optional<OrderType> parse_order_type(std::string_view name);
[[nodiscard]] bool is_terminal(Status status);
/// The status every event of this type leads to (each type has exactly one).
[[nodiscard]] Status status_after(EventType type);
/// Whether a stored event type (a log record's `type`) ends its order.
[[nodiscard]] bool is_terminal_event(std::uint8_t stored_type);

/// A split order's leg as the order holds it.
struct LegState {
  Leg leg{};
  std::string tx_id{};   // of the attempt that sent it last
  bool landed = false;   // filled: it stands
  bool settled = false;  // its outcome in the current attempt is known
  Amount amount_out{};
  friend bool operator==(const LegState&, const LegState&) = default;
};

/// A recurring order's slice as the order holds it.
struct SliceState {
  std::optional<OrderId> child{};  // none for a skipped slice
  Amount amount_in{};
  TimestampNs due_at{};
  friend bool operator==(const SliceState&, const SliceState&) = default;
};

/// The folded state of one order.
struct OrderState {
  Status status = Status::none;
  OrderType order_type = OrderType::market;
  TokenId input_token;
  TokenId output_token;
  Amount amount_in;
  std::uint32_t slippage_bps = 0;
  std::string idempotency_key;
  std::optional<OrderId> owner;  // the API key that submitted it
  std::uint32_t attempt = 0;  // attempts started so far
  std::uint32_t retry_floor = 0;  // attempts before the last operator retry
  bool dismissed = false;  // failed and taken off the dead-letter list
  std::optional<Venue> venue;
  Amount expected_out;
  Amount min_out;
  std::string tx_id;
  TimestampNs tx_last_valid_at;  // of the transactions sent last (TxSubmitted::last_valid_at)
  Amount amount_out;
  std::string last_error;
  TimestampNs retry_at;
  TimestampNs created;
  TimestampNs updated;
  Amount min_amount_out;   // limit and sniper orders
  TimestampNs expires_at;  // limit and sniper orders
  TimestampNs triggered_at;  // when it last fired
  SniperChecks checks;       // sniper orders
  std::uint64_t launches_judged = 0;  // sniper orders: the launches up to this number are judged
  std::vector<LegState> legs{};       // a split order's; none for one venue
  RecurringTerms recurring{};         // a recurring order's terms
  TimestampNs first_due{};            // a recurring order's: when its schedule began
  std::vector<SliceState> slices{};   // a recurring order's, started or skipped, in order
  std::optional<OrderId> parent{};    // a slice's recurring order
  std::uint32_t slice = 0;            // a slice's place in its parent's schedule
};


/// Whether some leg of a split order has filled.
[[nodiscard]] bool any_leg_landed(const OrderState& state);
/// The first leg of a split order sent in this attempt whose outcome is
/// not known yet.
[[nodiscard]] std::optional<std::uint32_t> unsettled_leg(const OrderState& state);
/// What the order has spent so far: its filled legs' amounts in (a split
/// order's), or its whole amount in.
[[nodiscard]] Amount filled_in(const OrderState& state);
/// The legs as they were routed (a split order's; none for one venue).
[[nodiscard]] std::vector<Leg> routed_legs(const OrderState& state);
/// The legs as an outcome event records them.
[[nodiscard]] std::vector<LegFill> leg_fills(const OrderState& state);

/// Whether the order waits for a trigger (open, or watching).
[[nodiscard]] bool is_waiting(Status status);
/// A new floor and/or expiry for a waiting order; what is not given stays.
struct Amendment {
  std::optional<Amount> min_amount_out;
  std::optional<TimestampNs> expires_at;
};
/// The amend event of a waiting order for `change`; none when it changes
/// nothing (what it leaves out stays, and what it gives may equal the old).
[[nodiscard]] std::optional<OrderEvent> amend_event(const OrderState& waiting, const Amendment& change);
/// The amend event of a waiting order, with its new floor and expiry.
[[nodiscard]] OrderEvent amend_event(const OrderState& waiting, Amount min_amount_out, TimestampNs expires_at);
/// Whether the order may still be cancelled or expire: it waits, or it is
/// pending with no attempt under way since its submission or its last
/// reopening.
[[nodiscard]] bool is_cancellable(const OrderState& state);

/// The transition table: the status after `event` in status `from`, or
/// nullopt if that event may not happen there.
[[nodiscard]] std::optional<Status> transition(Status from, EventType event);

enum class ApplyError { illegal_transition, wrong_attempt, dismissed, execution_started };
[[nodiscard]] std::string_view describe(ApplyError e);

/// An order as every reader renders it: its id, its folded state and the
/// seq of its last event (from the log or from the projection).
struct OrderSnapshot {
  OrderId id;
  OrderState state;
  Seq last_seq;
};

/// Whether a failed order is on the dead-letter list.
[[nodiscard]] bool is_dead_letter(const OrderState& state);
/// What the dead-letter stats group a failure by: the error's first clause
/// ("slippage exceeded: got 9.1, wanted 9.5" -> "slippage exceeded").
[[nodiscard]] std::string_view dead_letter_reason(std::string_view error);

/// The pure fold step: validates the event against the state, moves the
/// status through the table and records the event's data. A dismissed dead
/// letter takes neither a second dismissal nor a retry.
[[nodiscard]] boost::system::result<OrderState, ApplyError> apply(const OrderState& state, const OrderEvent& event,
                                                                  TimestampNs at);

}  // namespace oee::core
