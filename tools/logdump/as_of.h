#pragma once
// oee-logdump --as-of SEQ [--order ID]: the state the log held right after
// event SEQ, of one order or of every order, folded from the log.

#include <cstdio>
#include <optional>

#include "eventlog/event_log.h"

namespace oee::logdump {

/// Prints one JSON object per order (`--order`: that one), each as
/// GET /api/orders/{id}?asOf=SEQ answers; orders in the order they were
/// submitted. Returns the exit status (2 for a seq beyond the log's end).
int print_as_of(const eventlog::EventLogReader& log, Seq as_of, const std::optional<OrderId>& order, std::FILE* out);

}  // namespace oee::logdump
