// Decimal amounts: parse, format, parse again gives the same base units.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/domain/amount.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const int decimals = data[0] % 19;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  const auto amount = oee::core::parse_amount(text, decimals);
  if (amount) {
    const auto again = oee::core::parse_amount(oee::core::format_amount(*amount, decimals), decimals);
    if (!again || *again != *amount) __builtin_trap();
  }
  (void)oee::core::parse_bps_fraction(text);
  return 0;
}
