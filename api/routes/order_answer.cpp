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
  std::vector<core::OrderState> states;
  std::vector<const core::OrderState*> children;
  if (order.state.order_type == core::OrderType::recurring) {
    states.reserve(order.state.slices.size());
    for (const auto& slice : order.state.slices) {
      if (!slice.child) continue;
      auto loaded = store.load(*slice.child);
      states.push_back(loaded && *loaded ? std::move((*loaded)->state) : core::OrderState{});
    }
    for (const auto& s : states) children.push_back(s.status == core::Status::none ? nullptr : &s);
  }
  return with_partition(core::order_json(order.id, order.state, order.last_seq, children), log, order.id);
}

}  // namespace oee::api
