#pragma once
// API key events <-> the flatbuffer payloads the log stores.

#include <optional>
#include <string>
#include <string_view>

#include "core/domain/api_key.h"

namespace oee::core {

[[nodiscard]] std::string encode_key_event(const KeyEvent& event);
/// nullopt if the type is not a key event's or the payload does not verify.
[[nodiscard]] std::optional<KeyEvent> decode_key_event(std::uint8_t type, std::string_view payload);

}  // namespace oee::core
