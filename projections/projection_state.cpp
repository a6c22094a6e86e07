#include "projections/projection_state.h"

namespace oee::projections::detail {

std::string partition_row(PartitionId p) { return std::string(kEmbeddedRow) + ".p" + std::to_string(p.value); }

std::vector<std::string> projection_rows(const eventlog::EventLogReader& log) {
  if (log.partition_count() == 1) return {kEmbeddedRow};
  std::vector<std::string> rows;
  for (const PartitionId p : each_partition(log.partition_count())) rows.push_back(partition_row(p));
  return rows;
}

ProjectionState lock_projection_state(pqxx::work& tx, const std::string& name) {
  if (name != kEmbeddedRow)
    tx.exec_params("INSERT INTO projection_state (name, last_seq) VALUES ($1, 0) ON CONFLICT (name) DO NOTHING", name);
  const auto r = tx.exec_params("SELECT last_seq, log_id FROM projection_state WHERE name = $1 FOR UPDATE", name);
  if (r.empty()) return {};
  ProjectionState state{Seq{r[0][0].as<std::uint64_t>()}, {}};
  if (!r[0][1].is_null()) state.log_id = r[0][1].as<std::string>();
  return state;
}

}  // namespace oee::projections::detail
