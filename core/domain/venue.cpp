#include "core/domain/venue.h"

namespace oee::core {

using u128 = unsigned __int128;

std::optional<Venue> parse_venue(std::string_view name) {
  for (Venue v : kAllVenues) {
    if (venue_name(v) == name) return v;
  }
  return std::nullopt;
}

std::string_view venue_name(Venue v) {
  switch (v) {
    case Venue::raydium: return "raydium";
    case Venue::meteora: return "meteora";
  }
  return "unknown";
}

Quote quote_pool(Venue venue, const Pool& pool, Amount amount_in) {
  Quote q;
  q.venue = venue;
  q.amount_in = amount_in;
  q.fee_bps = pool.fee_bps;
  q.reserve_in = pool.reserve_in;
  q.reserve_out = pool.reserve_out;
  const u128 in_after_fee = u128{amount_in.base} * (10'000 - pool.fee_bps) / 10'000;
  const u128 denominator = u128{pool.reserve_in.base} + in_after_fee;
  if (denominator == 0) return q;
  q.amount_out = Amount{static_cast<std::uint64_t>(u128{pool.reserve_out.base} * in_after_fee / denominator)};
  // Impact relative to the spot price applied to the post-fee input.
  const u128 spot_out = pool.reserve_in.base == 0 ? 0 : in_after_fee * pool.reserve_out.base / pool.reserve_in.base;
  if (spot_out > 0 && spot_out > q.amount_out.base) {
    q.price_impact_bps = static_cast<std::uint32_t>((spot_out - q.amount_out.base) * 10'000 / spot_out);
  }
  return q;
}

Amount min_out_for(Amount expected_out, std::uint32_t slippage_bps) {
  if (slippage_bps >= 10'000) return Amount{0};
  return Amount{static_cast<std::uint64_t>(u128{expected_out.base} * (10'000 - slippage_bps) / 10'000)};
}

}  // namespace oee::core
