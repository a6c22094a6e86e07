#include "eventlog/jetstream/detail/placements.h"

namespace oee::eventlog::jetstream::detail {

std::optional<PartitionId> Placements::find(const OrderId& order) const {
  std::lock_guard lock(mu_);
  if (const auto it = recent_.find(order); it != recent_.end()) return it->second;
  if (const auto it = older_.find(order); it != older_.end()) return it->second;
  return std::nullopt;
}

void Placements::learn(const OrderId& order, PartitionId partition) {
  std::lock_guard lock(mu_);
  recent_[order] = partition;
  age();
}

void Placements::remember(const OrderId& order, PartitionId partition) {
  std::lock_guard lock(mu_);
  if (recent_.contains(order)) return;
  if (const auto it = older_.find(order); it != older_.end()) {
    recent_.emplace(order, it->second);
  } else {
    recent_.emplace(order, partition);
  }
  age();
}

void Placements::age() {
  if (recent_.size() >= per_generation_) {
    older_ = std::move(recent_);
    recent_.clear();
  }
}

}  // namespace oee::eventlog::jetstream::detail
