#include "tools/logdump/as_of.h"

#include <unordered_map>
#include <vector>

#include <boost/json.hpp>

#include "core/domain/order.h"
#include "core/wire/event_codec.h"
#include "core/wire/status_message.h"

namespace oee::logdump {

namespace {

// As GET ?asOf answers: a recurring order's progress from its children's
// states then.
void print_order(std::FILE* out, const OrderId& id, const core::OrderState& state, Seq last, Seq as_of,
                 const core::ChildState& child_state) {
  auto answer = core::order_json(id, state, last, child_state);
  answer["asOf"] = as_of.value;
  std::fprintf(out, "%s\n", boost::json::serialize(answer).c_str());
}

}  // namespace

int print_as_of(const eventlog::EventLogReader& whole, Seq as_of, const std::optional<OrderId>& order, std::FILE* out) {
  const auto partition = order ? whole.find_partition(*order) : eventlog::Result<PartitionId>(PartitionId{0});
  if (!partition) {
    std::fprintf(stderr, "oee-logdump: cannot read the order: %s\n", partition.error().message().c_str());
    return 1;
  }
  const eventlog::LogPartitionReader& log = whole.partition(*partition);
  if (as_of > log.head() || as_of.value == 0) {
    std::fprintf(stderr, "oee-logdump: --as-of %lu: the log's events are seq 1 to %lu\n",
                 static_cast<unsigned long>(as_of.value), static_cast<unsigned long>(log.head().value));
    return 2;
  }
  try {
    if (order) {
      // One order: its events through the order index, no replay.
      auto folded = core::fold_order_until(whole, *order, as_of);
      if (!folded) {
        std::fprintf(stderr, "oee-logdump: cannot read the order: %s\n", folded.error().message().c_str());
        return 1;
      }
      if (!*folded) {
        std::fprintf(stderr, "oee-logdump: no order %s had an event by seq %lu\n", order->str().c_str(),
                     static_cast<unsigned long>(as_of.value));
        return 1;
      }
      // A slice's order is in its parent's partition: the same seqs.
      print_order(out, *order, (*folded)->state, (*folded)->last_seq, as_of, core::children_as_of(whole, as_of));
      return 0;
    }
    // Every order: the log folded from its start up to the seq.
    struct Folded {
      core::OrderState state;
      Seq last;
    };
    std::unordered_map<OrderId, Folded, OrderIdHash> orders;
    std::vector<OrderId> submitted;
    Seq next{1};
    while (next <= as_of) {
      auto batch = log.read(next, std::min<std::uint64_t>(4096, as_of.value - next.value + 1));
      if (!batch) {
        std::fprintf(stderr, "oee-logdump: cannot read the log: %s\n", batch.error().message().c_str());
        return 1;
      }
      if (batch->empty()) break;
      for (const auto& r : *batch) {
        if (!core::is_order_event_type(r.type)) continue;
        auto [it, first] = orders.try_emplace(r.order);
        if (first) submitted.push_back(r.order);
        it->second.state = core::fold_record(it->second.state, r).state;
        it->second.last = r.seq;
      }
      next = Seq{batch->back().seq.value + 1};
    }
    const auto child_state = [&orders](const OrderId& child) -> std::optional<core::OrderState> {
      const auto it = orders.find(child);
      if (it == orders.end()) return std::nullopt;
      return it->second.state;
    };
    for (const auto& id : submitted) print_order(out, id, orders.at(id).state, orders.at(id).last, as_of, child_state);
  } catch (const std::runtime_error& e) {
    std::fprintf(stderr, "oee-logdump: %s; run --verify\n", e.what());
    return 1;
  }
  return 0;
}

}  // namespace oee::logdump
