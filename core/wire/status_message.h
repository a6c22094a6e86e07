#pragma once
// The JSON a client sees for one event (WebSocket, Redis, /events,
// oee-logdump --format json) and for an order's current state.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/storage_ptr.hpp>

#include "core/domain/order.h"
#include "eventlog/event_log.h"

namespace oee::core {

/// {"orderId","seq","ts","event","status","attempt", ...fields, "terminal"?}
/// as an object: the parsed text of append_status_json(), for callers that
/// edit or inspect fields. `storage` lets bulk callers (log-dump) build
/// messages in a per-message arena instead of the heap. A record that
/// shows as several messages (a routedAndSent) gives its last, the status
/// it leaves the order in.
[[nodiscard]] boost::json::object status_message(const eventlog::Record& record, const OrderEvent& event,
                                                 boost::json::storage_ptr storage = {});
/// Decodes the record; an undecodable payload yields an object with "error".
[[nodiscard]] boost::json::object status_message(const eventlog::Record& record,
                                                 boost::json::storage_ptr storage = {});
[[nodiscard]] std::string status_message_text(const eventlog::Record& record);
/// Every message of the record, in order (status_json.h: message_count).
[[nodiscard]] std::vector<std::string> status_message_texts(const eventlog::Record& record);

/// GET /api/orders/{id}. A recurring order's `children` (its started
/// slices' orders) are given in slice order, with their states where they
/// are known (null where not), for its `progress`.
[[nodiscard]] boost::json::object order_json(const OrderId& id, const OrderState& state, Seq last_seq,
                                             const std::vector<const OrderState*>& children = {});
/// A child order's state as an answer counts it; nothing where it is not
/// known (not read, or no event of it yet).
using ChildState = std::function<std::optional<OrderState>(const OrderId&)>;
/// The same with each started slice's order's state from `child_state`.
[[nodiscard]] boost::json::object order_json(const OrderId& id, const OrderState& state, Seq last_seq,
                                             const ChildState& child_state);
/// Each child order's state as it stood right after event `as_of` of `log`
/// (its parent's: a slice's order is in its parent's partition). `log` must
/// outlive the function.
[[nodiscard]] ChildState children_as_of(const eventlog::EventLogReader& log, Seq as_of);
/// An order's legs: a split order's each, or the one venue it was routed
/// to (none before it is routed): venue, amountIn, expectedOut, minOut,
/// amountOut, txHash, status (pending, submitted, confirmed, failed).
[[nodiscard]] boost::json::array legs_json(const OrderState& state);

/// A fraction from basis points: 50 -> "0.005".
[[nodiscard]] std::string bps_fraction(std::uint32_t bps);

}  // namespace oee::core
