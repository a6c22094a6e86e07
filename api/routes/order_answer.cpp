#include "api/routes/order_answer.h"

#include "core/wire/status_message.h"

namespace oee::api {

boost::json::object with_partition(boost::json::object answer, const eventlog::EventLogReader& log,
                                   const OrderId& order) {
  if (log.partitioned()) answer["partition"] = log.partition_of(order);
  return answer;
}

boost::json::object order_answer(const core::OrderStore& store, const eventlog::EventLogReader& log,
                                 const core::OrderSnapshot& order) {
  // A child not read (not yet in the log, or unreadable now) counts as running.
  std::vector<std::optional<core::OrderState>> states;
  std::vector<const core::OrderState*> children;
  states.reserve(order.state.slices.size());  // the pointers stay put
  for (const auto& slice : order.state.slices) {
    if (!slice.child) continue;
    auto loaded = store.load(*slice.child);
    states.push_back(loaded && *loaded ? std::optional(std::move((*loaded)->state)) : std::nullopt);
    children.push_back(states.back() ? &*states.back() : nullptr);
  }
  return with_partition(core::order_json(order.id, order.state, order.last_seq, children), log, order.id);
}

}  // namespace oee::api
