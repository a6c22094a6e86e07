#pragma once
// What every answer about one order says of where its events are: in a
// cluster's log, the partition whose seqs its `seq` counts in.

#include <boost/json/object.hpp>

#include "core/engine/order_store.h"
#include "core/wire/status_message.h"
#include "eventlog/event_log.h"

namespace oee::api {

/// `answer` with "partition" added when `log` is a cluster's.
[[nodiscard]] boost::json::object with_partition(boost::json::object answer, const eventlog::EventLogReader& log,
                                                 const OrderId& order);

/// An order as GET answers it (with its partition): a recurring order's
/// progress from its children's states as `store` holds them now.
[[nodiscard]] boost::json::object order_answer(const core::OrderStore& store, const eventlog::EventLogReader& log,
                                               const core::OrderSnapshot& order);
/// The same with its children's states as `child_state` gives them (as of
/// an earlier seq, say).
[[nodiscard]] boost::json::object order_answer(const eventlog::EventLogReader& log, const core::OrderSnapshot& order,
                                               const core::ChildState& child_state);

}  // namespace oee::api
