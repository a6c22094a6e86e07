#include "api/routes/order_lists.h"

#include <boost/json/array.hpp>

#include "core/wire/status_message.h"

namespace oee::api {

namespace json = boost::json;

json::object order_list_json(std::span<const core::OrderSnapshot> orders, const SliceOrders& slices) {
  json::array rendered;
  rendered.reserve(orders.size());
  std::vector<const core::OrderState*> children;
  for (const auto& o : orders) {
    children.clear();
    for (const auto& slice : o.state.slices) {
      if (!slice.child) continue;
      const auto it = slices.find(*slice.child);
      children.push_back(it == slices.end() ? nullptr : &it->second);
    }
    rendered.push_back(core::order_json(o.id, o.state, o.last_seq, children));
  }
  return json::object{{"orders", std::move(rendered)}, {"count", orders.size()}};
}

json::object order_page_json(std::span<const core::OrderSnapshot> orders,
                             const std::optional<std::string>& next_cursor, const SliceOrders& slices) {
  json::object page = order_list_json(orders, slices);
  page["nextCursor"] = next_cursor ? json::value(*next_cursor) : json::value(nullptr);
  return page;
}

void DeadLetterTally::add(std::string_view error, std::uint64_t count) {
  const std::string_view reason = core::dead_letter_reason(error);
  auto it = by_reason_.find(reason);
  if (it == by_reason_.end()) it = by_reason_.emplace(std::string(reason), 0).first;
  it->second += count;
  failed_ += count;
}

json::object DeadLetterTally::json() const {
  json::object reasons;
  for (const auto& [reason, count] : by_reason_) reasons[reason] = count;
  return json::object{{"failed", failed_}, {"byReason", std::move(reasons)}};
}

}  // namespace oee::api
