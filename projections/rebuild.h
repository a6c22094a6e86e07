#pragma once
// Rebuild of the projection from seq 0 into fresh tables, swapped in
// atomically: readers see the old history or the new one, never a part.

#include <cstdint>
#include <functional>
#include <string>

#include "eventlog/event_log.h"

namespace oee::projections {

struct RebuildProgress {
  std::uint64_t done = 0;   // events replayed
  std::uint64_t total = 0;  // log head when the rebuild started
  double seconds = 0;
};

struct RebuildResult {
  std::uint64_t events = 0;
  std::uint64_t orders = 0;
  double seconds = 0;
  double replay_seconds = 0;  // events read, folded and copied
  double orders_seconds = 0;  // order rows copied
  double index_seconds = 0;   // indexes built on the new tables
};

/// Replays the log up to its current head into orders_next/order_events_next
/// and swaps them in with projection_state in one transaction. If a live
/// projector got further meanwhile, the rebuild also covers what it had
/// committed; the projector then continues from the swapped-in seq. Throws
/// on errors (the live tables are untouched then).
RebuildResult rebuild(eventlog::EventLogReader& log, const std::string& database_url,
                      const std::function<void(const RebuildProgress&)>& progress = {});

/// Last applied seq of the projection, or throws if it cannot be read.
std::uint64_t applied_seq(const std::string& database_url);

}  // namespace oee::projections
