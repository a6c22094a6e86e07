#pragma once
// What a chaos run prints at its end: a summary of what was sent, what
// was done to the cluster and what the checks found; and, for a run that
// failed, the seed, the schedule and every order that broke, so that it
// can be replayed and looked into.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "tools/chaos/checks.h"
#include "tools/chaos/faults.h"
#include "tools/chaos/schedule.h"
#include "tools/chaos/settle.h"
#include "tools/chaos/workload.h"

namespace oee::chaos {

struct RunFacts {
  std::uint64_t seed = 0;
  double duration = 0;       // as asked (--duration)
  double run_seconds = 0;    // faults and clients
  double total_seconds = 0;  // start to verdict
  std::vector<Fault> schedule;
  FaultReport faults;
  std::vector<OrderRecord> records;
  std::optional<Settled> settled;
  std::optional<Verdict> verdict;
  std::optional<VerifyResult> verify;
  /// Nodes that ended by themselves, client threads that stopped on an
  /// error, checks that could not be made: each fails the run.
  std::vector<std::string> problems;
};

/// Nothing lost, doubled or broken, --verify passed, and no problem.
[[nodiscard]] bool passed(const RunFacts& facts);

void print_summary(const RunFacts& facts);
/// The seed, the schedule (as planned and as run) and what broke.
void print_failure(const RunFacts& facts);

}  // namespace oee::chaos
