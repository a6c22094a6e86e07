// One WebSocket message, on the JSON path and on the bare-id path.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "api/http/ws_command.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (const bool bare_ids : {false, true}) {
    const auto command = oee::api::parse_ws_command(text, bare_ids);
    if (command && command->from_seq > oee::api::kMaxFromSeq) __builtin_trap();
    if (!command && command.error().error.code.empty()) __builtin_trap();
    if (command && command->kind == oee::api::WsCommand::Kind::submit &&
        (command->request_id.empty() || command->request_id.size() > oee::api::kMaxRequestId || command->order_body.empty()))
      __builtin_trap();
  }
  return 0;
}
