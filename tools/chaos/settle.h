#pragma once
// The end of a run: once every fault is undone, orders still waiting for
// their price are cancelled (through either node) and every acknowledged
// order is given the time to end, so that what is then not terminal was
// lost, not merely slow.

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include "tools/chaos/cluster.h"
#include "tools/chaos/workload.h"

namespace oee::chaos {

struct Settled {
  int cancels_sent = 0;  // to waiting orders, by the sweep
  int cancels_200 = 0;
  /// Acknowledged orders not terminal by the deadline, with their last status.
  std::vector<std::string> unfinished;
  double seconds = 0;
};

/// Whether a status is one an order ends in.
[[nodiscard]] bool is_terminal_status(const std::string& status);

/// Cancels the waiting ones among `records` (each cancel's answer added to
/// its record) until every acknowledged order is terminal or `timeout`.
/// `start`: when the run began (the answers' times count from it).
Settled settle(const Cluster& cluster, std::vector<OrderRecord>& records, std::chrono::steady_clock::time_point start,
               std::chrono::seconds timeout, const std::atomic<bool>& interrupted);

}  // namespace oee::chaos
