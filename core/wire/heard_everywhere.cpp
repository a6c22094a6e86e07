// Which records a cluster sends every node (core/wire/event_codec.h). Asked
// by a partition's owner for each record it stores: only the one field that
// decides is read, not the whole event or snapshot.
#include "core/wire/detail/flatbuffer_payload.h"
#include "core/wire/event_codec.h"
#include "schemas/order_events_generated.h"

namespace oee::core {

bool heard_everywhere(std::uint8_t type, std::string_view payload, std::string_view snapshot_before) {
  if (!is_order_event_type(type)) return true;
  if (type == static_cast<std::uint8_t>(EventType::submitted)) {
    const auto* submitted = detail::verified_root<fb::OrderSubmitted>(payload);
    return submitted != nullptr && submitted->order_type() == fb::OrderType::Recurring;
  }
  if (snapshot_before.empty()) return false;
  const auto* before = detail::verified_root<fb::OrderSnapshot>(snapshot_before);
  return before != nullptr && before->order_type() == fb::OrderType::Recurring;
}

}  // namespace oee::core
