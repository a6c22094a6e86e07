#include "eventlog/jetstream/detail/batch_positions.h"

namespace oee::eventlog::jetstream::detail {

void BatchPositions::note(Seq first, std::size_t records, Seq stream_seq) {
  if (records == 0) return;
  std::lock_guard lock(mu_);
  batches_.emplace(first.value, std::make_pair(records, stream_seq.value));
  while (batches_.size() > kKept) batches_.erase(batches_.begin());
}

std::optional<Seq> BatchPositions::find(Seq position) const {
  std::lock_guard lock(mu_);
  auto it = batches_.upper_bound(position.value);
  if (it == batches_.begin()) return std::nullopt;
  --it;
  if (position.value < it->first + it->second.first) return Seq{it->second.second};
  return std::nullopt;
}

}  // namespace oee::eventlog::jetstream::detail
