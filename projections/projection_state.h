#pragma once
// The projection_state row: how far the projection is, and which event log
// it was built from. Whoever writes the projection reads it under a row
// lock first, so writers never interleave.

#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "eventlog/event_log.h"

namespace oee::projections::detail {

struct ProjectionState {
  Seq last_seq;
  std::string log_id;  // empty: built before logs had ids

  /// Built from a log other than `log`: both ids are known and differ.
  [[nodiscard]] bool from_other_log(const eventlog::EventLogReader& log) const {
    return !log_id.empty() && !log.id().empty() && log_id != log.id();
  }
};

/// The row of the embedded log's projection.
inline constexpr const char* kEmbeddedRow = "orders";
/// The row of partition p of a cluster's log ("orders.p3").
[[nodiscard]] std::string partition_row(PartitionId p);
/// The rows of `log`'s partitions: kEmbeddedRow for a log of one partition.
[[nodiscard]] std::vector<std::string> projection_rows(const eventlog::EventLogReader& log);

/// SELECT ... FOR UPDATE of row `name` (made at seq 0 if missing), inside
/// the caller's transaction.
ProjectionState lock_projection_state(pqxx::work& tx, const std::string& name = kEmbeddedRow);

}  // namespace oee::projections::detail
