#include "eventlog/order_index_view.h"

namespace oee::eventlog {

Result<std::vector<std::optional<OrderSnapshotEntry>>> OrderIndexView::snapshots(
    std::span<const OrderId> orders) const {
  std::vector<std::optional<OrderSnapshotEntry>> out;
  out.reserve(orders.size());
  for (const auto& id : orders) {
    auto one = snapshot(id);
    if (!one) return one.error();
    out.push_back(std::move(*one));
  }
  return out;
}

}  // namespace oee::eventlog
