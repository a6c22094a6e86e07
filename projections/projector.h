#pragma once
// The projector: tails the event log into PostgreSQL, exactly once.
// A cluster's log is tailed partition by partition, each with its own row
// in projection_state (docs/SCALING.md); a batch may span partitions and
// locks their rows in partition order.
//
// Each batch (bounded by count and time) is written in one transaction
// together with the new last applied seq in projection_state, and the
// transaction first re-reads that seq under a row lock: a crash on either
// side, a second projector or a rebuild can never duplicate or skip a row.
// PostgreSQL down -> retry with backoff from the committed seq.
//
// Lifecycle: start() spawns the worker thread; stop() finishes the current
// batch and joins. Threading: status() may be called from any thread.

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "eventlog/event_log.h"

namespace oee::projections {

struct ProjectorOptions {
  std::string database_url;
  std::size_t max_batch = 2'000;
  std::chrono::milliseconds max_delay{50};
  bool secondary = false;  // the log is a secondary: refresh() to see new events
};

struct ProjectorStatus {
  bool connected = false;
  /// Summed over the log's partitions (one for the embedded log).
  std::uint64_t applied_seq = 0;
  std::vector<std::uint64_t> applied_by_partition;
  std::uint64_t lag_events = 0;
  double lag_seconds = 0;
  std::uint64_t batches = 0;
  std::uint64_t failures = 0;
  std::string last_error;
  /// The projection in PostgreSQL was built from another event log: this
  /// projector leaves it alone until it is rebuilt from this log.
  bool foreign_log = false;
};

class Projector {
 public:
  Projector(eventlog::EventLogReader& log, ProjectorOptions options);
  ~Projector();

  void start();
  void stop();
  [[nodiscard]] ProjectorStatus status() const;
  /// Blocks until applied_seq >= seq or the timeout passes.
  bool wait_applied(Seq seq, std::chrono::milliseconds timeout) const;
  /// Whether partition `partition`'s events up to `seq` are projected.
  [[nodiscard]] bool has_applied(PartitionId partition, Seq seq) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace oee::projections
