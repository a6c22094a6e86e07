#include "eventlog/jetstream/detail/order_sets.h"

namespace oee::eventlog::jetstream::detail {

void OrderSets::apply(const OrderId& order, const std::vector<std::pair<OrderSet, bool>>& changes) {
  std::lock_guard lock(mu_);
  for (const auto& [set, member] : changes) {
    if (member) {
      sets_[set].insert(order);
    } else {
      sets_[set].erase(order);
    }
  }
}

std::vector<OrderId> OrderSets::members(OrderSet set, std::size_t max) const {
  std::lock_guard lock(mu_);
  std::vector<OrderId> out;
  if (const auto it = sets_.find(set); it != sets_.end()) {
    for (const auto& id : it->second) {
      if (out.size() >= max) break;
      out.push_back(id);
    }
  }
  return out;
}

OrderSets::Members OrderSets::copy() const {
  std::lock_guard lock(mu_);
  return sets_;
}

void OrderSets::replace(Members members) {
  std::lock_guard lock(mu_);
  sets_ = std::move(members);
}

}  // namespace oee::eventlog::jetstream::detail
