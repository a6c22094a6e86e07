#pragma once
// The tokens oee can trade and their decimals.

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace oee::core {

struct Token {
  std::string_view symbol;
  int decimals;
  /// Reference price in micro-USD per whole token; seeds the simulated pools.
  std::uint64_t reference_price_micro_usd;
};

[[nodiscard]] std::span<const Token> all_tokens();
/// Case-insensitive lookup by symbol.
[[nodiscard]] const Token* find_token(std::string_view symbol);

}  // namespace oee::core
