#pragma once
// Runs a schedule of faults against the cluster: each at its moment, each
// undone after its hold, never two nodes away at once nor two NATS
// servers (a fault whose kind of target is still away waits for it to
// come back). A node that ends by itself is reported and started again.
//
// Lifecycle and threading: run() is called once, on the main thread (the
// one that starts every process), and returns with every fault undone.

#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "tools/chaos/cluster.h"
#include "tools/chaos/schedule.h"

namespace oee::chaos {

using Clock = std::chrono::steady_clock;

struct FaultReport {
  std::vector<std::string> lines;         // each fault and each undoing, as printed
  std::array<int, kFaultKinds> done{};    // faults run, by kind
  std::vector<std::string> problems;      // what could not be undone
};

class FaultRunner {
 public:
  /// `say` prints one line (already stamped with the run's time).
  FaultRunner(Cluster& cluster, Clock::time_point start, std::function<void(const std::string&)> say);

  /// Runs `schedule` until `until` (or an interruption), calling `tick`
  /// about every 100 ms, then undoes what is still in effect.
  void run(const std::vector<Fault>& schedule, Clock::time_point until, const std::atomic<bool>& interrupted,
           const std::function<void()>& tick);
  [[nodiscard]] const FaultReport& report() const { return report_; }
  /// "t=12.3s": the run's time now.
  [[nodiscard]] std::string stamp() const;

 private:
  struct Active {
    Fault fault;
    Clock::time_point undo_at;
  };
  void begin(const Fault& fault);
  void undo(const Fault& fault);
  /// Undoes the active faults that are due (all of them with `all`).
  void undo_due(bool all);
  void note(const std::string& line);
  void watch_exits();

  Cluster& cluster_;
  Clock::time_point start_;
  std::function<void(const std::string&)> say_;
  std::optional<Active> node_fault_;
  std::optional<Active> nats_fault_;
  FaultReport report_;
};

}  // namespace oee::chaos
