#pragma once
// Exact token amounts: unsigned integers in a token's base units.

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/system/result.hpp>

namespace oee::core {

/// An amount of some token in its base units (1 SOL = 10^9 base units).
struct Amount {
  std::uint64_t base = 0;
  constexpr auto operator<=>(const Amount&) const = default;
};

enum class AmountError {
  empty,
  not_a_number,    // letters, several dots, a sign in the middle, ...
  not_positive,    // zero or negative
  not_finite,      // NaN or infinity
  too_precise,     // more fractional digits than the token has
  too_large,       // does not fit in 64 bits of base units
};

[[nodiscard]] std::string_view describe(AmountError e);

/// Parses a plain decimal ("10", "0.25", "1e-3", "2.5E2") into base units
/// of a token with `decimals` decimals. Exact: no binary floating point.
[[nodiscard]] boost::system::result<Amount, AmountError> parse_amount(std::string_view text, int decimals);

/// Formats base units as a decimal with trailing zeros removed ("10", "0.25").
[[nodiscard]] std::string format_amount(Amount amount, int decimals);

/// The ratio (numerator / 10^num_decimals) / (denominator / 10^den_decimals)
/// as a decimal string with up to `digits` significant fractional digits.
[[nodiscard]] std::string format_ratio(std::uint64_t numerator, int num_decimals, std::uint64_t denominator,
                                       int den_decimals, int digits = 12);

/// Prices (output per input, whole tokens) are parsed with this many decimals.
inline constexpr int kPriceDecimals = 12;

/// What `amount_in` (base units of a token with `in_decimals`) fetches at
/// `price_e12` (whole output tokens per whole input token, times 10^12), in
/// base units of a token with `out_decimals`, rounded up: a floor that
/// never asks less than the price. too_large past 64 bits.
[[nodiscard]] boost::system::result<Amount, AmountError> amount_at_price(Amount amount_in, int in_decimals,
                                                                         std::uint64_t price_e12, int out_decimals);

/// What `amount_in` buys at no more than `max_price_e12` (whole input
/// tokens per whole output token, times 10^12), in base units of the
/// output, rounded up: a floor that never pays more than the price.
/// too_large past 64 bits.
[[nodiscard]] boost::system::result<Amount, AmountError> amount_at_max_price(Amount amount_in, int in_decimals,
                                                                             std::uint64_t max_price_e12,
                                                                             int out_decimals);

/// Parses a fraction with at most 4 decimals into basis points ("0.01" -> 100).
[[nodiscard]] boost::system::result<std::uint32_t, AmountError> parse_bps_fraction(std::string_view text);

}  // namespace oee::core
