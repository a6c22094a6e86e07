#pragma once
// The status message's JSON written straight into a string: the one
// renderer of the message every client sees. Keys, order, escaping and
// numbers are Boost.JSON's (status_message() parses this text), without
// building a boost::json::object: the hot paths (WebSocket fan-out, the
// Redis publisher, log-dump, projections) render millions.

#include <string>

#include "core/domain/order.h"
#include "eventlog/event_log.h"

namespace oee::core {

enum class StatusJsonHead {
  message,   // {"orderId","seq","ts","event",...}: the stream's message
  log_line,  // {"seq","ts","orderId","type","event",...}: oee-logdump --format json
  fields,    // {"attempt",...}: the event's own fields only (the projection's payload column)
};

/// Appends the JSON of `record`; false (and nothing appended) if the
/// payload does not decode, so the caller can fall back to the slow path.
bool append_status_json(std::string& out, const eventlog::Record& record, StatusJsonHead head);
/// The same for a record whose payload the caller has already decoded.
void append_status_json(std::string& out, const eventlog::Record& record, const OrderEvent& event,
                        StatusJsonHead head);

}  // namespace oee::core
