#pragma once
// An order's events: what the log stores of each step, one type per step,
// and the order types they are about.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "core/domain/amount.h"
#include "core/domain/split.h"
#include "core/domain/tokens.h"
#include "core/domain/venue.h"
#include "eventlog/types.h"

namespace oee::core {

enum class OrderType : std::uint8_t { market = 0, limit = 1, sniper = 2, recurring = 3 };

/// Values match oee::fb::EventType, which is what the log stores.
enum class EventType : std::uint8_t {
  submitted = 1,
  routing_started = 2,
  routed = 3,
  tx_submitted = 4,
  confirmed = 5,
  attempt_failed = 6,
  order_failed = 7,
  order_retried = 8,
  dead_letter_dismissed = 9,
  // 10 and 11 are API key events (key_events.fbs).
  opened = 12,
  triggered = 13,
  reopened = 14,
  cancelled = 15,
  expired = 16,
  watch_started = 17,
  launch_rejected = 18,
  amended = 19,        // an open order's floor or expiry changed: it stays open
  watch_amended = 20,  // a watching sniper's: it stays watching
  leg_settled = 21,       // one leg of a split order landed or failed
  partially_filled = 22,  // a split order's filled legs stand; the rest failed for good
  recurring_started = 23,    // a recurring order's schedule begins: it is active
  slice_started = 24,        // a recurring order's slice runs as a child market order
  slice_skipped = 25,        // a recurring order's slice was outside its price range
  recurring_completed = 26,  // every slice ran or was skipped, and every child ended
  routed_and_sent = 27,      // a route and the transaction sent on it, in one record
};
/// The largest stored type an order event has.
inline constexpr int kMaxEventType = 27;
inline constexpr EventType kOrderEventTypes[] = {
    EventType::submitted,      EventType::routing_started, EventType::routed,    EventType::tx_submitted,
    EventType::confirmed,      EventType::attempt_failed,  EventType::order_failed, EventType::order_retried,
    EventType::dead_letter_dismissed, EventType::opened,  EventType::triggered, EventType::reopened,
    EventType::cancelled,      EventType::expired,         EventType::watch_started, EventType::launch_rejected,
    EventType::amended,        EventType::watch_amended,   EventType::leg_settled, EventType::partially_filled,
    EventType::recurring_started, EventType::slice_started, EventType::slice_skipped,
    EventType::recurring_completed, EventType::routed_and_sent};
inline constexpr std::uint32_t kOrderEventMask = [] {
  std::uint32_t mask = 0;
  for (EventType t : kOrderEventTypes) mask |= std::uint32_t{1} << static_cast<unsigned>(t);
  return mask;
}();
/// Whether a stored type (a log record's `type`) is an order event's: one
/// test per committed record, on the log's writer thread.
[[nodiscard]] constexpr bool is_order_event_type(std::uint8_t stored_type) {
  return stored_type < 32 && ((kOrderEventMask >> stored_type) & 1U) != 0;
}

/// What a sniper order asks of a launch before it buys.
struct SniperChecks {
  bool require_mint_renounced = true;  // nobody can mint more of the token
  bool require_no_freeze = true;       // nobody can freeze the holders' tokens
  Amount min_liquidity{};              // of the order's input token, in the pool at launch
  constexpr bool operator==(const SniperChecks&) const = default;
};

/// A launch as a sniper judged it: what its checks and its price bound were
/// decided on, recorded with the decision so that an audit can redo it.
struct LaunchSeen {
  Venue venue = Venue::raydium;
  std::uint64_t launch = 0;  // the launch's number on the market
  Amount token_reserve{};
  Amount quote_reserve{};  // its liquidity
  bool mint_renounced = true;
  bool freeze_authority = false;
  friend bool operator==(const LaunchSeen&, const LaunchSeen&) = default;
};

/// What a leg came to, as a split order's outcome event records it.
struct LegFill {
  Venue venue = Venue::raydium;
  Amount amount_in{};
  Amount amount_out{};  // 0 for a leg that did not fill
  std::string tx_id{};
  friend bool operator==(const LegFill&, const LegFill&) = default;
};

/// What a recurring order asks: its amount in `slices` slices, one every
/// `interval_s` seconds, each only within its price range.
struct RecurringTerms {
  std::uint32_t slices = 0;
  std::uint32_t interval_s = 0;
  /// Output per input, whole tokens, times 10^12; 0 for no bound. A slice
  /// whose quote is outside is skipped.
  std::uint64_t min_price_e12 = 0;
  std::uint64_t max_price_e12 = 0;
  /// Slices that fell due while the engine was down all run at restart,
  /// each on its own due time; without it one runs, and the schedule moves.
  bool catch_up = false;
  friend bool operator==(const RecurringTerms&, const RecurringTerms&) = default;
};

struct OrderSubmitted {
  OrderType order_type = OrderType::market;
  TokenId input_token;
  TokenId output_token;
  Amount amount_in;
  std::uint32_t slippage_bps = 0;
  std::string idempotency_key;
  /// The API key that submitted the order; none for the admin key or with
  /// authentication off.
  std::optional<OrderId> owner{};
  /// Limit and sniper orders: the least output that fires them (limit:
  /// what the whole amount must fetch; sniper: the price bound as output),
  /// and when they expire unless triggered.
  Amount min_amount_out{};
  TimestampNs expires_at{};
  SniperChecks checks{};  // sniper orders
  RecurringTerms recurring{};  // recurring orders
  /// A recurring order's slice: its parent and its place in the schedule.
  std::optional<OrderId> parent{};
  std::uint32_t slice = 0;
};
struct RoutingStarted {
  std::uint32_t attempt = 0;
};
struct Routed {
  std::uint32_t attempt = 0;
  TokenId input_token;
  TokenId output_token;
  Amount amount_in;
  std::vector<Quote> quotes;  // each venue's for the whole amount: the single-venue alternatives
  Venue venue = Venue::raydium;  // a split's: the venue of its larger leg
  Amount expected_out;           // a split's: its legs' together
  Amount min_out;
  /// A split order's legs (none for one venue). Once a leg filled, the
  /// next attempts send the others again as they were.
  std::vector<Leg> legs{};
  /// What the split decision weighed (absent in older logs): a second
  /// transaction's fee in output units, and the least gain that splits.
  std::optional<Amount> second_tx_fee{};
  std::optional<std::uint32_t> split_min_gain_bps{};
};
struct TxSubmitted {
  std::uint32_t attempt = 0;
  Venue venue = Venue::raydium;
  std::string tx_id;
  Amount min_out;
  /// A split order's: each leg's transaction in leg order (empty for a leg
  /// that filled in an earlier attempt).
  std::vector<std::string> leg_tx_ids{};
  /// After this (simulated time) the chain refuses the transaction and
  /// records it expired, as a real chain refuses one whose blockhash is too
  /// old; 0, in logs written before it, for none.
  TimestampNs last_valid_at{};
};
struct Confirmed {
  std::uint32_t attempt = 0;
  Venue venue = Venue::raydium;
  std::string tx_id;
  Amount amount_out;
  TokenId input_token;
  TokenId output_token;
  Amount amount_in;
  /// The pool the chain executed on, and what it gave; none when the
  /// chain's answer was its record of an earlier landing, or for a split.
  std::optional<Quote> executed_on{};
  std::vector<LegFill> legs{};  // a split order's, each filled (amount_out: the sum)
};
struct AttemptFailed {
  std::uint32_t attempt = 0;
  std::string reason;
  TimestampNs retry_at;
  /// A transaction the chain refused for slippage: the pool it would have
  /// executed on and what that gave.
  std::optional<Quote> executed_on{};
};
struct OrderFailed {
  std::uint32_t attempt = 0;
  std::string reason;
};
/// A failed order sent back to the queue by an operator; it gets a fresh
/// budget of attempts, numbered on from `attempt`.
struct OrderRetried {
  std::uint32_t attempt = 0;
  std::string reason;
};

/// A failed order an operator took off the dead-letter list: it stays
/// failed and keeps its history; it can no longer be retried.
struct DeadLetterDismissed {
  std::uint32_t attempt = 0;
  std::string reason;
};

/// A limit order enters the book: it waits for its price.
struct Opened {
  std::uint32_t attempt = 0;
};

/// A waiting order fired: the best venue's exact quote for the whole amount
/// (fee and price impact included) reached the threshold, on pools observed
/// at `observed_at`. Starts the next attempt, as RoutingStarted does.
struct Triggered {
  std::uint32_t attempt = 0;
  TokenId input_token{};
  TokenId output_token{};
  Amount amount_in{};
  std::vector<Quote> quotes{};  // one per venue, with the pool state each was made on
  Venue venue = Venue::raydium;
  Amount expected_out{};
  Amount threshold{};  // the order's min_amount_out when it fired
  TimestampNs observed_at{};
  std::vector<LaunchSeen> launches{};  // a sniper's: the launches that passed its checks and bound
};

/// A triggered order whose execution re-priced below its threshold goes
/// back to waiting; what it used of its attempts is given back.
struct Reopened {
  std::uint32_t attempt = 0;
  std::string reason{};
};

struct Cancelled {
  std::uint32_t attempt = 0;
  std::string reason{};
};

struct Expired {
  std::uint32_t attempt = 0;
};

/// A sniper order starts watching for its token's launch.
struct WatchStarted {
  std::uint32_t attempt = 0;
};

/// A launch of the sniper's token that it did not buy: it failed a check or
/// the price bound. The order watches on.
struct LaunchRejected {
  std::uint32_t attempt = 0;
  Venue venue = Venue::raydium;
  std::uint64_t launch = 0;  // the launch's number on the market
  std::string reason{};
  std::optional<LaunchSeen> seen{};  // what it was judged on (absent in older logs)
};

/// A waiting order's owner changed its floor or its expiry; it waits on with
/// the new ones (its place in the book is by its floor). Carries the new
/// values whole, and what they are rendered against.
struct Amended {
  std::uint32_t attempt = 0;
  TokenId input_token{};
  TokenId output_token{};
  Amount amount_in{};
  Amount min_amount_out{};
  TimestampNs expires_at{};
  friend bool operator==(const Amended&, const Amended&) = default;
};
/// The same for a watching sniper: a type of its own, since every event
/// type leads to exactly one status.
struct WatchAmended : Amended {};

/// One leg of a split order's attempt landed or failed; the order stays
/// submitted until every leg of the attempt has.
struct LegSettled {
  std::uint32_t attempt = 0;
  std::uint32_t leg = 0;  // its place in the routed legs
  bool landed = false;
  LegFill fill{};        // its venue, amount in, transaction, and what it fetched (0 unless landed)
  TokenId input_token{};
  TokenId output_token{};
  std::string reason{};  // why it failed
  std::optional<Quote> executed_on{};  // the pool it executed on (landed or refused for slippage)
};

/// A split order out of attempts with some legs filled: they stand, and
/// the order ends with what they fetched.
struct PartiallyFilled {
  std::uint32_t attempt = 0;
  std::string reason{};
  Amount amount_out{};          // what the filled legs fetched together
  std::vector<LegFill> legs{};  // every leg: filled or not
  TokenId input_token{};
  TokenId output_token{};
};

/// A recurring order's schedule begins: its first slice is due at once.
struct RecurringStarted {
  TimestampNs first_due{};
};

/// A recurring order's slice runs: the child market order it becomes is
/// created after this is durable, once, under `child`.
struct SliceStarted {
  std::uint32_t slice = 0;
  OrderId child{};
  Amount amount_in{};
  TimestampNs due_at{};  // what the next slice's due time is reckoned from
  TokenId input_token{};
  TokenId output_token{};
};

/// A recurring order's slice did not run: the best quote for it was outside
/// the order's price range (the quotes hold the pools it was judged on).
struct SliceSkipped {
  std::uint32_t slice = 0;
  Amount amount_in{};
  TimestampNs due_at{};
  std::vector<Quote> quotes{};
  Venue venue = Venue::raydium;  // the best quote's
  Amount expected_out{};
  std::string reason{};
  TokenId input_token{};
  TokenId output_token{};
};

/// Every slice of a recurring order ran or was skipped and every child
/// ended: what they came to.
struct RecurringCompleted {
  std::uint32_t done = 0;     // children that ended
  std::uint32_t skipped = 0;  // slices skipped
  Amount spent{};             // input the children's fills took
  Amount received{};          // output they fetched
  TokenId input_token{};
  TokenId output_token{};
};

/// A route and the transaction about to be sent on it, durable in one
/// record before the send: a step is made durable before the next external
/// effect, not before each status (DESIGN). It stands for the events it
/// holds, in order, and clients see the statuses they lead to: routing
/// (when it starts its attempt), building, submitted. Logs written before
/// it hold those events one record each, and read the same.
struct RoutedAndSent {
  /// Written from pending: the attempt `routed.attempt` begins with it,
  /// as with RoutingStarted. From routing (a fired limit order or sniper),
  /// the attempt is under way already.
  bool starts_attempt = false;
  Routed routed{};
  TxSubmitted sent{};
};

using OrderEvent = std::variant<OrderSubmitted, RoutingStarted, Routed, TxSubmitted, Confirmed, AttemptFailed,
                                OrderFailed, OrderRetried, DeadLetterDismissed, Opened, Triggered, Reopened,
                                Cancelled, Expired, WatchStarted, LaunchRejected, Amended, WatchAmended,
                                LegSettled, PartiallyFilled, RecurringStarted, SliceStarted, SliceSkipped,
                                RecurringCompleted, RoutedAndSent>;

/// The stored type of the event type T.
template <class T>
constexpr EventType event_type_of() {
  if constexpr (std::is_same_v<T, OrderSubmitted>) return EventType::submitted;
  else if constexpr (std::is_same_v<T, RoutingStarted>) return EventType::routing_started;
  else if constexpr (std::is_same_v<T, Routed>) return EventType::routed;
  else if constexpr (std::is_same_v<T, TxSubmitted>) return EventType::tx_submitted;
  else if constexpr (std::is_same_v<T, Confirmed>) return EventType::confirmed;
  else if constexpr (std::is_same_v<T, AttemptFailed>) return EventType::attempt_failed;
  else if constexpr (std::is_same_v<T, OrderFailed>) return EventType::order_failed;
  else if constexpr (std::is_same_v<T, OrderRetried>) return EventType::order_retried;
  else if constexpr (std::is_same_v<T, DeadLetterDismissed>) return EventType::dead_letter_dismissed;
  else if constexpr (std::is_same_v<T, Opened>) return EventType::opened;
  else if constexpr (std::is_same_v<T, Triggered>) return EventType::triggered;
  else if constexpr (std::is_same_v<T, Reopened>) return EventType::reopened;
  else if constexpr (std::is_same_v<T, Cancelled>) return EventType::cancelled;
  else if constexpr (std::is_same_v<T, Expired>) return EventType::expired;
  else if constexpr (std::is_same_v<T, WatchStarted>) return EventType::watch_started;
  else if constexpr (std::is_same_v<T, LaunchRejected>) return EventType::launch_rejected;
  else if constexpr (std::is_same_v<T, Amended>) return EventType::amended;
  else if constexpr (std::is_same_v<T, WatchAmended>) return EventType::watch_amended;
  else if constexpr (std::is_same_v<T, LegSettled>) return EventType::leg_settled;
  else if constexpr (std::is_same_v<T, PartiallyFilled>) return EventType::partially_filled;
  else if constexpr (std::is_same_v<T, RecurringStarted>) return EventType::recurring_started;
  else if constexpr (std::is_same_v<T, SliceStarted>) return EventType::slice_started;
  else if constexpr (std::is_same_v<T, SliceSkipped>) return EventType::slice_skipped;
  else if constexpr (std::is_same_v<T, RecurringCompleted>) return EventType::recurring_completed;
  else {
    static_assert(std::is_same_v<T, RoutedAndSent>);
    return EventType::routed_and_sent;
  }
}
[[nodiscard]] EventType type_of(const OrderEvent& event);
[[nodiscard]] std::string_view event_name(EventType type);  // "submitted", "routed", ...

}  // namespace oee::core
