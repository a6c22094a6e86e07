#pragma once
// The JSON of every list of orders the core answers with: the history list
// and the dead-letter list and its stats, whether they are read from the
// log or from the PostgreSQL projection. Each order is rendered by the one
// order renderer (core/wire), so a list shows the same fields as
// GET /api/orders/{id}.

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include <boost/json/object.hpp>

#include "core/domain/order.h"

namespace oee::api {

/// The orders of a list's recurring orders' slices, by id: their progress.
using SliceOrders = std::unordered_map<OrderId, core::OrderState, OrderIdHash>;

/// {"orders":[...],"count":n}, plus "nextCursor" (a string, or null on the
/// last page) when the list is paged.
[[nodiscard]] boost::json::object order_list_json(std::span<const core::OrderSnapshot> orders,
                                                  const SliceOrders& slices = {});
[[nodiscard]] boost::json::object order_page_json(std::span<const core::OrderSnapshot> orders,
                                                  const std::optional<std::string>& next_cursor,
                                                  const SliceOrders& slices = {});

/// Dead letters counted by reason (core::dead_letter_reason of their error).
class DeadLetterTally {
 public:
  void add(std::string_view error, std::uint64_t count = 1);
  /// {"failed":n,"byReason":{reason:n,...}}, reasons in byte order.
  [[nodiscard]] boost::json::object json() const;

 private:
  std::map<std::string, std::uint64_t, std::less<>> by_reason_;
  std::uint64_t failed_ = 0;
};

}  // namespace oee::api
