#include "eventlog/jetstream/detail/finished_orders.h"

namespace oee::eventlog::jetstream::detail {

void FinishedOrders::erase(const OrderId& order) {
  if (const auto it = by_id_.find(order); it != by_id_.end()) {
    orders_.erase(it->second);
    by_id_.erase(it);
  }
}

void FinishedOrders::remember(IndexedOrder order) {
  std::lock_guard lock(mu_);
  erase(order.order);
  const auto id = order.order;
  orders_.push_front(std::move(order));
  by_id_[id] = orders_.begin();
  if (orders_.size() > kKept) {
    by_id_.erase(orders_.back().order);
    orders_.pop_back();
  }
}

void FinishedOrders::forget(const OrderId& order) {
  std::lock_guard lock(mu_);
  erase(order);
}

std::optional<IndexedOrder> FinishedOrders::recall(const OrderId& order) {
  std::lock_guard lock(mu_);
  const auto it = by_id_.find(order);
  if (it == by_id_.end()) return std::nullopt;
  orders_.splice(orders_.begin(), orders_, it->second);
  return *it->second;
}

bool FinishedOrders::contains(const OrderId& order) const {
  std::lock_guard lock(mu_);
  return by_id_.contains(order);
}

void FinishedOrders::clear() {
  std::lock_guard lock(mu_);
  orders_.clear();
  by_id_.clear();
}

}  // namespace oee::eventlog::jetstream::detail
