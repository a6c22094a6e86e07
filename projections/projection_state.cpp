#include "projections/projection_state.h"

namespace oee::projections::detail {

ProjectionState lock_projection_state(pqxx::work& tx) {
  const auto r = tx.exec("SELECT last_seq, log_id FROM projection_state WHERE name = 'orders' FOR UPDATE");
  if (r.empty()) return {};
  ProjectionState state{Seq{r[0][0].as<std::uint64_t>()}, {}};
  if (!r[0][1].is_null()) state.log_id = r[0][1].as<std::string>();
  return state;
}

}  // namespace oee::projections::detail
