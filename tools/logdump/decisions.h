#pragma once
// oee-logdump --decisions: every order's decisions, one line each, with
// what each was made on (the venue chosen and both quotes, the minimum out,
// the chain's answer, failures and retries, triggers, launches turned down,
// cancels and expiries), and no wall-clock time. Two runs of the same
// simulation (--sim-seed, --sim-clock virtual) print the same text.

#include <cstdio>

#include "eventlog/event_log.h"

namespace oee::logdump {

/// Prints the decisions of every order in the log to `out`, orders in the
/// order they were submitted. Returns the exit status.
int decisions(const eventlog::EventLogReader& log, std::FILE* out);

}  // namespace oee::logdump
