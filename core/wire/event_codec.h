#pragma once
// Order events and snapshots <-> the flatbuffer payloads the log stores.

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "core/domain/order.h"
#include "eventlog/event_log.h"

namespace oee::core {

[[nodiscard]] std::string encode_event(const OrderEvent& event);
/// nullopt if the type is unknown or the payload does not verify.
[[nodiscard]] std::optional<OrderEvent> decode_event(std::uint8_t type, std::string_view payload);
/// Whether a routedAndSent's payload starts its attempt, without decoding
/// the rest of it; false for one that does not verify.
[[nodiscard]] bool starts_attempt(std::string_view routed_and_sent_payload);

struct FoldedRecord {
  OrderEvent event;
  OrderState state;  // after the event
};

/// What fold_record throws for an event that decodes but is illegal in the
/// order's state (a log written by an older build may hold one).
struct IllegalEvent : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Decodes a log record and folds it into `state`, for readers that must
/// stop at damage (projector, rebuild, the start-up check). Throws
/// std::runtime_error naming the seq if the payload does not decode, and
/// IllegalEvent if the event is illegal in `state`.
[[nodiscard]] FoldedRecord fold_record(const OrderState& state, const eventlog::Record& record);

/// The order as it stood right after event `as_of`, folded from its events
/// (one read through the order index); nullopt if it had no event by then,
/// or `id` is no order's (an API key's, a run's). `corrupted` if an event
/// does not fold.
[[nodiscard]] eventlog::Result<std::optional<OrderSnapshot>> fold_order_until(const eventlog::EventLogReader& log,
                                                                               const OrderId& id, Seq as_of);

[[nodiscard]] std::string encode_snapshot(const OrderState& state);
[[nodiscard]] std::optional<OrderState> decode_snapshot(std::string_view bytes);

/// The log's fold (eventlog::Options::fold): an order's snapshot after a
/// record, and whether the record finishes it. A record of no order (an API
/// key's) keeps no state in memory: it finishes at once.
[[nodiscard]] eventlog::Result<eventlog::FoldedEvent> fold_for_log(std::string_view previous_snapshot,
                                                                   const eventlog::Record& record);

/// Whether every node of a cluster needs a record, not only those that
/// watch its order (PartitionLogOptions::heard_everywhere): an API key's
/// (every node checks keys), a run's, and each of a recurring order's (every
/// node counts a key's recurring orders, and learns which slices are whose).
/// `snapshot_before`: its order's snapshot before it (empty for a first).
[[nodiscard]] bool heard_everywhere(std::uint8_t type, std::string_view payload, std::string_view snapshot_before);

}  // namespace oee::core
