#include "api/routes/order_answer.h"

#include "core/wire/status_message.h"

namespace oee::api {

boost::json::object with_partition(boost::json::object answer, const eventlog::EventLogReader& log,
                                   const OrderId& order) {
  if (log.partitioned()) answer["partition"] = log.partition_of(order).value;
  return answer;
}

boost::json::object order_answer(const eventlog::EventLogReader& log, const core::OrderSnapshot& order,
                                 const core::ChildState& child_state) {
  return with_partition(core::order_json(order.id, order.state, order.last_seq, child_state), log, order.id);
}

boost::json::object order_answer(const core::OrderStore& store, const eventlog::EventLogReader& log,
                                 const core::OrderSnapshot& order) {
  // A child not read (not yet in the log, or unreadable now) counts as running.
  return order_answer(log, order, [&store](const OrderId& child) -> std::optional<core::OrderState> {
    auto loaded = store.load(child);
    if (!loaded || !*loaded) return std::nullopt;
    return std::move((*loaded)->state);
  });
}

}  // namespace oee::api
