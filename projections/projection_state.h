#pragma once
// The projection_state row: how far the projection is, and which event log
// it was built from. Whoever writes the projection reads it under a row
// lock first, so writers never interleave.

#include <string>

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

/// SELECT ... FOR UPDATE of the row, inside the caller's transaction.
ProjectionState lock_projection_state(pqxx::work& tx);

}  // namespace oee::projections::detail
