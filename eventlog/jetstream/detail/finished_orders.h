#pragma once
// The orders of a partition that finished lately, as the index held them
// last: read without asking the cluster (a GET right after an order ends,
// or while the cluster is out of reach). Least recently finished or read
// go first.
//
// Threads: any (the fold adds and forgets, readers recall). Its mutex is a
// leaf: nothing else is locked while it is held.

#include <cstddef>
#include <list>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "eventlog/event_log.h"

namespace oee::eventlog::jetstream::detail {

class FinishedOrders {
 public:
  static constexpr std::size_t kKept = 10'000;

  /// Keeps `order` as the most recent.
  void remember(IndexedOrder order);
  /// Drops the order (it is open again).
  void forget(const OrderId& order);
  /// The order as it finished, if kept; it becomes the most recent.
  [[nodiscard]] std::optional<IndexedOrder> recall(const OrderId& order);
  [[nodiscard]] bool contains(const OrderId& order) const;
  void clear();

 private:
  void erase(const OrderId& order);  // under mu_

  mutable std::mutex mu_;
  std::list<IndexedOrder> orders_;  // most recent first; under mu_
  std::unordered_map<OrderId, std::list<IndexedOrder>::iterator, OrderIdHash> by_id_;  // under mu_
};

}  // namespace oee::eventlog::jetstream::detail
