#pragma once
// A partition's order sets other than the open orders (dead letters, API
// keys), as folded here.
//
// Threads: the fold changes them; readers and the checkpoint copy them.
// Its mutex is a leaf.

#include <cstddef>
#include <map>
#include <mutex>
#include <set>
#include <utility>
#include <vector>

#include "eventlog/event_log.h"

namespace oee::eventlog::jetstream::detail {

class OrderSets {
 public:
  using Members = std::map<OrderSet, std::set<OrderId>>;

  /// Each (set, member?) change for `order`: into the set, or out of it.
  void apply(const OrderId& order, const std::vector<std::pair<OrderSet, bool>>& changes);
  /// At most `max` members of `set`, in id order.
  [[nodiscard]] std::vector<OrderId> members(OrderSet set, std::size_t max) const;
  [[nodiscard]] Members copy() const;
  void replace(Members members);

 private:
  mutable std::mutex mu_;
  Members sets_;  // under mu_
};

}  // namespace oee::eventlog::jetstream::detail
