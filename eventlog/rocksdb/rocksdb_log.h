#pragma once
// The embedded event log: RocksDB in a directory of this machine, one
// writer process (the primary) and any number of read-only followers.
//
// Durability: Durability::sync fsyncs each group commit (one WriteBatch
// for whatever appends were queued together), so an acknowledged event
// survives kill -9 and power loss; Durability::async leaves it in the
// RocksDB WAL (it survives a crash of the process, not a power loss).
// Layout on disk: detail/log.h.

#include <memory>
#include <string>

#include "eventlog/event_log.h"

namespace oee::eventlog {

/// The event log inside an oee data directory (`DIR/log`); a directory that
/// already is a log is returned as it is, so tools accept either.
[[nodiscard]] std::string log_directory(const std::string& data_dir);

/// Open the RocksDB-backed log at options.path. Both throw
/// std::runtime_error with an actionable message if the directory cannot be
/// opened or is not an oee log.
/// The one writer: creates the log if the directory has none.
[[nodiscard]] std::unique_ptr<EventLogWriter> open_primary(const Options& options);
/// A read-only follower of a primary that may be running (see refresh()).
[[nodiscard]] std::unique_ptr<EventLogReader> open_secondary(const Options& options);

}  // namespace oee::eventlog
