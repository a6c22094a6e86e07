#pragma once
// DEX venues and constant-product pool math.

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "core/domain/amount.h"

namespace oee::core {

enum class Venue : std::uint8_t { raydium = 0, meteora = 1 };
inline constexpr Venue kAllVenues[] = {Venue::raydium, Venue::meteora};

[[nodiscard]] std::string_view venue_name(Venue v);  // "raydium", "meteora"
[[nodiscard]] std::optional<Venue> parse_venue(std::string_view name);

/// A constant-product (x * y = k) pool seen from the input token's side.
struct Pool {
  Amount reserve_in;
  Amount reserve_out;
  std::uint32_t fee_bps = 0;  // taken from the input amount
};

/// One pool per venue, in kAllVenues order.
using Pools = std::array<Pool, std::size(kAllVenues)>;

struct Quote {
  Venue venue = Venue::raydium;
  Amount amount_in;
  Amount amount_out;           // after fee and price impact
  std::uint32_t fee_bps = 0;
  std::uint32_t price_impact_bps = 0;  // shortfall against the pool's spot price, after fee
  Amount reserve_in;
  Amount reserve_out;
};

/// out = reserve_out * in' / (reserve_in + in'), in' = in * (1 - fee).
/// Exact integer math, rounding down (never promises more than the pool pays).
[[nodiscard]] Quote quote_pool(Venue venue, const Pool& pool, Amount amount_in);

/// The smallest output the client accepts: expected * (1 - slippage), rounded down.
[[nodiscard]] Amount min_out_for(Amount expected_out, std::uint32_t slippage_bps);

}  // namespace oee::core
