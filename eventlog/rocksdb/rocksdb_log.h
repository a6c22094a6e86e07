#pragma once
// The embedded event log: RocksDB in a directory of this machine, one
// writer process (the primary) and any number of read-only followers.
//
// Durability: Durability::sync fsyncs each group commit (one WriteBatch
// for whatever appends were queued together), so an acknowledged event
// survives kill -9 and power loss; Durability::async leaves it in the
// RocksDB WAL (it survives a crash of the process, not a power loss).
// Layout on disk: detail/log.h.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "eventlog/event_log.h"

namespace oee::eventlog {

/// How the embedded log is opened, and its storage's knobs.
struct Options {
  std::string path{};
  Durability durability = Durability::sync;
  /// Upper bound on commands in one group commit.
  std::size_t max_batch = 4096;
  /// Where a secondary keeps its own info log. Empty: a fresh temp
  /// directory that the log removes when it is destroyed.
  std::string secondary_path{};
  /// What a primary may hold in memory. Memtables: events not yet in table
  /// files; once they hold this much, appends wait for a flush to free
  /// room. The block cache: table blocks read lately, and the table files'
  /// indexes and filters, however many files there are.
  std::size_t memtable_bytes = 128 << 20;
  std::size_t block_cache_bytes = 32 << 20;
  /// Once no write has come for this long, a primary flushes its memtables
  /// and hands the memory they freed back to the system: a log at rest
  /// holds its block cache and little else, and a restart has little WAL
  /// to replay. Zero: never.
  std::chrono::milliseconds rest_after{std::chrono::seconds(10)};
  /// Runs first on the writer thread (a primary's), e.g. to raise its
  /// scheduling priority; the thread takes its name after it.
  std::function<void()> on_writer_start{};
  /// See Fold. Without one, an order's snapshot after a replayed event is
  /// its snapshot before, and no replayed event finishes an order.
  Fold fold{};
  /// A primary checkpoints its open orders once this many events came
  /// since the last checkpoint, or this long passed with any event, and
  /// when it closes. What opening the log replays is bounded by the first.
  std::uint64_t checkpoint_events = 100'000;
  std::chrono::milliseconds checkpoint_after{std::chrono::seconds(30)};
};

/// The event log inside an oee data directory (`DIR/log`); a directory that
/// already is a log is returned as it is, so tools accept either.
[[nodiscard]] std::string log_directory(const std::string& data_dir);

/// Open the RocksDB-backed log at options.path. Both throw
/// std::runtime_error with an actionable message if the directory cannot be
/// opened or is not an oee log.
/// The one writer: creates the log if the directory has none.
[[nodiscard]] std::unique_ptr<LogPartitionWriter> open_primary(const Options& options);
/// A read-only follower of a primary that may be running (see refresh()).
[[nodiscard]] std::unique_ptr<LogPartitionReader> open_secondary(const Options& options);

}  // namespace oee::eventlog
