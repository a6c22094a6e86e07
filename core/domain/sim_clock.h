#pragma once
// The time the simulation runs on: prices drift with it, events are stamped
// with it, expiries and retries fall due by it. The wall clock, unless the
// server was started with `--sim-clock virtual`: then a clock that moves only
// when told (core/engine/virtual_clock.h), so a run can be replayed exactly
// and a day of waiting orders simulated in seconds.
//
// One clock per process, installed once at start, before any thread reads
// it: a simulation is the whole process's, and every part of it must agree
// on the time. Keys' expiries and the edge's timeouts stay on the wall clock.

#include <chrono>

#include "eventlog/types.h"

namespace oee::core {

class SimClock {
 public:
  virtual ~SimClock() = default;
  [[nodiscard]] virtual TimestampNs now() const = 0;
};

/// The installed clock's time (the wall clock's by default).
[[nodiscard]] TimestampNs sim_now();
[[nodiscard]] std::chrono::system_clock::time_point sim_time_point();
[[nodiscard]] std::chrono::system_clock::time_point to_time_point(TimestampNs t);

/// Installs `clock` for the whole process; nullptr puts the wall clock
/// back. The caller keeps `clock` alive while it is installed.
void install_sim_clock(const SimClock* clock);
[[nodiscard]] bool sim_clock_installed();

}  // namespace oee::core
