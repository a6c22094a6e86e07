#include "core/domain/split.h"

#include <limits>

namespace oee::core {

namespace {

using u128 = unsigned __int128;
constexpr u128 kU128Max = ~u128{0};

// a * b, or none if it does not fit in 128 bits.
std::optional<u128> times(u128 a, u128 b) {
  if (a != 0 && b > kU128Max / a) return std::nullopt;
  return a * b;
}

// The largest r with r * r <= n.
u128 isqrt(u128 n) {
  if (n < 2) return n;
  // A first guess at or above the root: 2^ceil(bits / 2).
  int bits = 0;
  for (u128 m = n; m != 0; m >>= 1) ++bits;
  u128 r = u128{1} << ((bits + 1) / 2);
  for (;;) {
    const u128 next = (r + n / r) / 2;
    if (next >= r) return r;
    r = next;
  }
}

// Both legs' outputs, in 128 bits: two pools' outputs may pass 64 bits together.
u128 total_at(const Pools& pools, Amount amount_in, std::uint64_t x) {
  return u128{quote_pool(kAllVenues[0], pools[0], Amount{x}).amount_out.base} +
         quote_pool(kAllVenues[1], pools[1], Amount{amount_in.base - x}).amount_out.base;
}

// The continuous optimum of what goes to pool 0. Pool i pays
// Y_i g_i x / (X_i + g_i x), g_i = G_i / 10000, whose slope is
// Y_i g_i X_i / (X_i + g_i x)^2; the slopes are equal where
// k_0 (10000 X_1 + G_1 (A - x)) = k_1 (10000 X_0 + G_0 x), k_i = sqrt(Y_i X_i G_i).
std::optional<u128> continuous_optimum(const Pools& pools, Amount amount_in) {
  std::array<u128, 2> k{};
  std::array<u128, 2> g{};
  for (std::size_t i = 0; i < 2; ++i) {
    g[i] = 10'000 - pools[i].fee_bps;
    const auto yx = times(pools[i].reserve_out.base, pools[i].reserve_in.base);
    if (!yx) return std::nullopt;
    const auto yxg = times(*yx, g[i]);
    if (!yxg) return std::nullopt;
    k[i] = isqrt(*yxg);
  }
  const u128 a = amount_in.base;
  const auto left = times(k[0], u128{10'000} * pools[1].reserve_in.base + g[1] * a);
  const auto right = times(k[1], u128{10'000} * pools[0].reserve_in.base);
  const auto d0 = times(k[0], g[1]), d1 = times(k[1], g[0]);
  if (!left || !right || !d0 || !d1 || *d0 > kU128Max - *d1 || *d0 + *d1 == 0) return std::nullopt;
  if (*left <= *right) return u128{0};
  return (*left - *right) / (*d0 + *d1);
}

}  // namespace

std::optional<SplitPlan> best_split(const Pools& pools, Amount amount_in) {
  if (amount_in.base < 2) return std::nullopt;
  for (const Pool& p : pools) {
    if (p.reserve_in.base == 0 || p.reserve_out.base == 0 || p.fee_bps >= 10'000) return std::nullopt;
  }
  const auto optimum = continuous_optimum(pools, amount_in);
  if (!optimum) return std::nullopt;
  const std::uint64_t last = amount_in.base - 1;
  const std::uint64_t centre = static_cast<std::uint64_t>(std::min<u128>(std::max<u128>(*optimum, 1), last));
  // The exact outputs round down, so the integer optimum is near the
  // continuous one, not always on it.
  constexpr std::uint64_t kAround = 2;
  std::uint64_t best_x = centre;
  u128 best_total = total_at(pools, amount_in, centre);
  const std::uint64_t from = centre > kAround ? std::max<std::uint64_t>(centre - kAround, 1) : 1;
  const std::uint64_t to = std::min(last, centre + kAround);
  for (std::uint64_t x = from; x <= to; ++x) {
    const u128 total = total_at(pools, amount_in, x);
    if (total > best_total) {
      best_total = total;
      best_x = x;
    }
  }
  if (best_total > std::numeric_limits<std::uint64_t>::max()) return std::nullopt;  // no amount holds it
  SplitPlan plan{{quote_pool(kAllVenues[0], pools[0], Amount{best_x}),
                  quote_pool(kAllVenues[1], pools[1], Amount{amount_in.base - best_x})},
                 Amount{static_cast<std::uint64_t>(best_total)}};
  return plan;
}

std::vector<Leg> legs_of(const SplitPlan& plan, std::optional<Amount> own_floor, std::uint32_t slippage_bps) {
  std::vector<Leg> legs;
  for (const Quote& q : plan.legs) {
    Amount min_out = min_out_for(q.amount_out, slippage_bps);
    if (own_floor && plan.total_out.base != 0) {
      min_out = Amount{static_cast<std::uint64_t>(
          (u128{own_floor->base} * q.amount_out.base + plan.total_out.base - 1) / plan.total_out.base)};
    }
    legs.push_back(Leg{q.venue, q.amount_in, q.amount_out, min_out});
  }
  return legs;
}

Amount legs_min_out(const std::vector<Leg>& legs) {
  Amount total{};
  for (const Leg& l : legs) total.base += l.min_out.base;
  return total;
}

Amount legs_expected_out(const std::vector<Leg>& legs) {
  Amount total{};
  for (const Leg& l : legs) total.base += l.expected_out.base;
  return total;
}

Venue larger_leg_venue(const std::vector<Leg>& legs) {
  const Leg* larger = nullptr;
  for (const Leg& l : legs) {
    if (larger == nullptr || l.amount_in > larger->amount_in) larger = &l;
  }
  return larger == nullptr ? Venue::raydium : larger->venue;
}

bool split_pays(const SplitPlan& split, Amount network_fee_out, Amount single, std::uint32_t min_gain_bps) {
  if (split.total_out.base <= network_fee_out.base) return false;
  const u128 net = split.total_out.base - network_fee_out.base;
  if (net <= single.base) return false;
  return (net - single.base) * 10'000 > u128{single.base} * min_gain_bps;
}

}  // namespace oee::core
