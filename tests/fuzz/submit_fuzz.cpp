// The submit body: strict JSON, then validation. Anything may come back as
// an error; nothing may crash, and a valid order must round-trip its amount.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "api/http/strict_json.h"
#include "api/routes/submit_request.h"
#include "core/domain/amount.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto body = oee::api::parse_json_strict(text);
  if (!body) return 0;
  const auto order = oee::api::parse_submit(*body);
  if (!order) return 0;
  if (order->amount.base == 0) __builtin_trap();  // a valid order has a positive amount
  const auto again = oee::core::parse_amount(oee::core::format_amount(order->amount, order->input.decimals()),
                                             order->input.decimals());
  if (!again || *again != order->amount) __builtin_trap();
  return 0;
}
