#pragma once
// The status message's JSON written straight into a string, byte for byte
// what serialising core::status_message() gives (same keys, order, escaping
// and numbers), without building a boost::json::object: the hot paths
// (WebSocket fan-out, the Redis publisher, log-dump) render millions.

#include <string>

#include "core/order.h"
#include "eventlog/event_log.h"

namespace oee::core {

enum class StatusJsonHead {
  message,   // {"orderId","seq","ts","event",...}: the stream's message
  log_line,  // {"seq","ts","orderId","type","event",...}: oee-logdump --format json
};

/// Appends the JSON of `record`; false (and nothing appended) if the
/// payload does not decode, so the caller can fall back to the slow path.
bool append_status_json(std::string& out, const eventlog::Record& record, StatusJsonHead head);

}  // namespace oee::core
