#pragma once
// The status message's JSON written straight into a string: the one
// renderer of the message every client sees. Keys, order, escaping and
// numbers are Boost.JSON's (status_message() parses this text), without
// building a boost::json::object: the hot paths (WebSocket fan-out, the
// Redis publisher, log-dump, projections) render millions.

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/domain/order.h"
#include "eventlog/event_log.h"

namespace oee::core {

enum class StatusJsonHead {
  message,   // {"orderId","seq","ts","event",...}: the stream's message
  log_line,  // {"seq","ts","orderId","type","event",...}: oee-logdump --format json
  fields,    // {"attempt",...}: the event's own fields only (the projection's payload column)
};

/// How many status messages a record of `event` shows as: one, but a
/// routedAndSent shows as the statuses it stands for (routing when it starts
/// its attempt, building, submitted), each message with the record's seq.
[[nodiscard]] std::size_t message_count(const OrderEvent& event);

/// Where a message stands among those of its record, from its event: the
/// steps of a routedAndSent (routingStarted, routed, txSubmitted) in order,
/// every other event first. Messages go in (seq, rank) order; a reader that
/// drops repeats drops a message whose (seq, rank) is not above the last.
[[nodiscard]] std::uint8_t message_rank(EventType event);
/// The rank of message `step` of a record of `event`.
[[nodiscard]] std::uint8_t message_rank(const OrderEvent& event, std::size_t step);

/// Appends the JSON of `record`: each of its messages (message_count),
/// `separator` between them, or one `fields` object; false (and nothing
/// appended) if the payload does not decode, so the caller can fall back
/// to the slow path.
bool append_status_json(std::string& out, const eventlog::Record& record, StatusJsonHead head,
                        char separator = ',');
/// Message `step` of a record whose payload the caller has already
/// decoded (step < message_count(event)); `fields` gives the record's
/// fields whole.
void append_status_json(std::string& out, const eventlog::Record& record, const OrderEvent& event,
                        StatusJsonHead head, std::size_t step = 0);

}  // namespace oee::core
