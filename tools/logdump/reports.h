#pragma once
// oee-logdump's two reports on a whole log: --stats and --verify.

#include "eventlog/event_log.h"
#include "eventlog/key_value_store.h"

namespace oee::logdump {

/// Counts by event type and status, orders by outcome, the seq range and
/// bytes, as text or one JSON object. Returns the exit status.
int stats(const eventlog::EventLogReader& log, bool as_json);

/// The whole audit (core/engine/log_audit.h), with progress on a terminal.
/// Returns 0 when the log is sound, 1 naming the first bad seq.
/// `ledger`: the simulated chain's, checked against the log when given.
int verify(const eventlog::EventLogReader& log, const eventlog::KeyValueStore* ledger);

}  // namespace oee::logdump
