#pragma once
// Order events and snapshots <-> the flatbuffer payloads the log stores.

#include <optional>
#include <string>
#include <string_view>

#include "core/order.h"

namespace oee::core {

[[nodiscard]] std::string encode_event(const OrderEvent& event);
/// nullopt if the type is unknown or the payload does not verify.
[[nodiscard]] std::optional<OrderEvent> decode_event(std::uint8_t type, std::string_view payload);

[[nodiscard]] std::string encode_snapshot(const OrderState& state);
[[nodiscard]] std::optional<OrderState> decode_snapshot(std::string_view bytes);

}  // namespace oee::core
