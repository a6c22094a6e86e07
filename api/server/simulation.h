#pragma once
// The simulation a core runs (--sim-seed, --sim-clock): its clock and seed,
// set up before anything reads the time or draws a number, and the record
// of its start in the log, which is what it takes to run it again
// (docs/audit.md, "Deterministic simulation").

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "api/server/server_options.h"
#include "core/engine/virtual_clock.h"
#include "eventlog/event_log.h"

namespace oee::api {

struct Simulation {
  std::unique_ptr<core::VirtualClock> clock;  // installed; null on the wall clock
  std::optional<std::uint64_t> seed;          // set: a seeded run, recorded in the log
  bool seed_given = false;                    // by --sim-seed; else drawn for a virtual clock
};

/// The time a virtual clock starts at on an empty log: fixed, so that two
/// runs see the same prices.
inline constexpr TimestampNs kVirtualEpoch{1'767'225'600'000'000'000};  // 2026-01-01T00:00:00Z

/// Installs a virtual clock at the log's last event's time (or the epoch),
/// so time never runs back across restarts, and draws a seed when the
/// clock is virtual but none was given. Throws if the log cannot be read.
[[nodiscard]] Simulation start_simulation(const ServerOptions& o, const eventlog::LogPartitionReader& log);

/// Appends the record of this run's start and waits for it to be durable;
/// false (said on stderr) when the log refused it. Nothing to record for an
/// unseeded run on the wall clock.
[[nodiscard]] bool record_simulation(const ServerOptions& o, const Simulation& s, eventlog::EventLogWriter& log);

/// Order ids from the seed: the n-th order of a run started at `head` gets
/// the same id every time; another start (another head) gets other ids.
[[nodiscard]] std::function<OrderId()> seeded_order_ids(std::uint64_t seed, Seq head);

}  // namespace oee::api
