#include "core/domain/trigger.h"

namespace oee::core {

namespace {

using u128 = unsigned __int128;

// a * m as a 192-bit number (high 128 bits, low 64), for m < 2^32.
struct Wide {
  u128 high;
  std::uint64_t low;
  friend bool operator<=(const Wide& a, const Wide& b) {
    return a.high != b.high ? a.high < b.high : a.low <= b.low;
  }
};

Wide times(u128 a, std::uint32_t m) {
  const u128 low_product = static_cast<std::uint64_t>(a) * u128{m};
  const u128 high_product = (a >> 64) * u128{m} + (low_product >> 64);
  return Wide{high_product, static_cast<std::uint64_t>(low_product)};
}

}  // namespace

bool asks_less(Amount min_out, Amount amount, Amount other_min_out, Amount other_amount) {
  return u128{min_out.base} * other_amount.base < u128{other_min_out.base} * amount.base;
}

bool spot_reaches(const Pool& pool, Amount amount, Amount min_out) {
  if (pool.fee_bps >= 10'000) return min_out.base == 0;
  // min_out / amount <= reserve_out * (1 - fee) / reserve_in, unrounded, so
  // that it is monotone in the threshold.
  const Wide asked = times(u128{min_out.base} * pool.reserve_in.base, 10'000);
  const Wide offered = times(u128{amount.base} * pool.reserve_out.base, 10'000 - pool.fee_bps);
  return asked <= offered;
}

std::optional<RouteDecision> fires(const Pools& pools, Amount amount, Amount min_out) {
  RouteDecision d = route_on(pools, amount);
  if (d.best.amount_out.base == 0 || d.best.amount_out < min_out) return std::nullopt;
  return d;
}

Pool after_swap(const Pool& pool, const Quote& quote) {
  Pool p = pool;
  const u128 reserve_in = u128{p.reserve_in.base} + quote.amount_in.base;
  p.reserve_in.base = static_cast<std::uint64_t>(std::min<u128>(reserve_in, UINT64_MAX));
  p.reserve_out.base -= std::min(quote.amount_out.base, p.reserve_out.base);
  return p;
}

}  // namespace oee::core
