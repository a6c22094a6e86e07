#pragma once
// The record of a simulation's start (schemas/sim_events.fbs) <-> its log
// record. A record of no order: its type is past the order and key events,
// where every reader of orders passes it by (eventlog::is_log_own_type).

#include <cstdint>
#include <optional>
#include <string>

#include "eventlog/event_log.h"

namespace oee::core {

inline constexpr std::uint8_t kSimulationStartedType = eventlog::kFirstLogOwnType + 1;

struct SimulationStarted {
  std::uint64_t seed = 0;
  bool seed_given = false;
  std::string clock;    // "wall" or "virtual"
  std::string profile;  // "realistic" or "fast"
  std::uint32_t fail_rate_ppm = 0;
  TimestampNs clock_start;  // 0 on the wall clock
};

/// The append that records `s` under the run's own id.
[[nodiscard]] eventlog::AppendCommand simulation_started_command(const SimulationStarted& s);
/// nullopt unless `record` is a SimulationStarted that decodes.
[[nodiscard]] std::optional<SimulationStarted> decode_simulation_started(const eventlog::Record& record);

}  // namespace oee::core
