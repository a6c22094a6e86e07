#pragma once
// What a finished run prints: a table, or one JSON object with --json.

#include "tools/loadgen/run.h"

namespace oee::loadgen {

/// Prints the run's figures; returns the exit code: 1 if a request failed
/// or a followed order never finished, else 0.
int report(const Run& run);

}  // namespace oee::loadgen
