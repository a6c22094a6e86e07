#pragma once
// Where orders live: a child order (a recurring order's slice) is in its
// parent's partition, which its id does not give; others are in their own.
// Learned from the events every partition folds on this node and from
// lookups (ClusterLog), which also remember the orders found at home or
// nowhere, so an id costs its lookup once. Bounded: two generations, the
// older dropped when the newer fills, so a long-running node keeps the
// recent ones and a forgotten one costs a lookup again.
//
// Threading: every method is thread-safe.

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "eventlog/types.h"

namespace oee::eventlog::jetstream::detail {

class Placements {
 public:
  explicit Placements(std::size_t per_generation = 100'000) : per_generation_(per_generation) {}

  [[nodiscard]] std::optional<PartitionId> find(const OrderId& order) const;
  /// What an event says: `order` is in `partition`.
  void learn(const OrderId& order, PartitionId partition);
  /// What a lookup found, kept unless an event said otherwise meanwhile.
  void remember(const OrderId& order, PartitionId partition);

 private:
  void age();  // under mu_

  const std::size_t per_generation_;
  mutable std::mutex mu_;
  std::unordered_map<OrderId, PartitionId, OrderIdHash> recent_;
  std::unordered_map<OrderId, PartitionId, OrderIdHash> older_;
};

}  // namespace oee::eventlog::jetstream::detail
