#include "core/domain/market.h"

#include "core/domain/sim_clock.h"
#include "core/domain/mix.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <utility>

namespace oee::core {

namespace {

struct PairSpec {
  std::string_view base;
  std::string_view quote;
  std::uint64_t depth_micro_usd;  // value of each side of the pool
};

// Pairs listed on both venues. Depth decides price impact.
constexpr std::array<PairSpec, 11> kPairs{{
    {"SOL", "USDC", 20'000'000'000'000},
    {"SOL", "USDT", 8'000'000'000'000},
    {"USDC", "USDT", 30'000'000'000'000},
    {"BONK", "USDC", 2'000'000'000'000},
    {"JUP", "USDC", 3'000'000'000'000},
    {"RAY", "USDC", 2'000'000'000'000},
    {"WIF", "USDC", 2'000'000'000'000},
    {"BONK", "SOL", 3'000'000'000'000},
    {"JUP", "SOL", 2'000'000'000'000},
    {"RAY", "SOL", 1'500'000'000'000},
    {"WIF", "SOL", 2'500'000'000'000},
}};

static_assert(kPairs.size() <= Market::kMaxPairs);

const PairSpec* find_pair(const Token& a, const Token& b, bool& reversed) {
  for (const auto& p : kPairs) {
    if (p.base == a.symbol && p.quote == b.symbol) {
      reversed = false;
      return &p;
    }
    if (p.base == b.symbol && p.quote == a.symbol) {
      reversed = true;
      return &p;
    }
  }
  return nullptr;
}

std::size_t index_of(const PairSpec* p) { return static_cast<std::size_t>(p - kPairs.data()); }

std::uint32_t venue_fee_bps(Venue v, const PairSpec& p) {
  // Raydium's standard AMM charges 0.25%; its volatile-pair pools 0.30%.
  if (v == Venue::meteora) return 20;
  return p.quote == "SOL" ? 30 : 25;
}

// sin(2 pi t / period + phase) for t in nanoseconds since 1970, reduced
// modulo the period in integers first: in seconds as a double, a clock's t
// makes an argument of 1e8 radians and more, which libm reduces by its slow
// multi-precision path (and fmod costs as much).
double wave(std::int64_t ns, std::int64_t period_seconds, double phase) {
  const std::int64_t period_ns = period_seconds * 1'000'000'000;
  std::int64_t into = ns % period_ns;
  if (into < 0) into += period_ns;
  return std::sin(2 * std::numbers::pi * static_cast<double>(into) / static_cast<double>(period_ns) + phase);
}

// Price multiplier of one pool in parts per million around the reference:
// two waves per pool, so venues drift apart by up to ~4-5% at times.
// The drift is a simulation input, not money: the doubles never touch
// balances, which are derived below as integers.
std::int64_t drift_ppm(std::uint64_t pool_hash, std::int64_t ns) {
  const double phase1 = static_cast<double>(pool_hash % 10'000) / 10'000.0 * 2 * std::numbers::pi;
  const double phase2 = static_cast<double>((pool_hash >> 20) % 10'000) / 10'000.0 * 2 * std::numbers::pi;
  const auto period1 = static_cast<std::int64_t>(40 + pool_hash % 50);
  const auto period2 = static_cast<std::int64_t>(7 + (pool_hash >> 40) % 6);
  const double w = 0.018 * wave(ns, period1, phase1) + 0.004 * wave(ns, period2, phase2);
  return static_cast<std::int64_t>(w * 1e6);
}

// The pair's own slower swing, shared by both venues: the market moving, so
// that a limit order a few percent from the price fills within minutes.
std::int64_t swing_ppm(std::uint64_t pair_hash, std::int64_t ns) {
  const double phase = static_cast<double>(pair_hash % 10'000) / 10'000.0 * 2 * std::numbers::pi;
  const auto period = static_cast<std::int64_t>(240 + (pair_hash >> 24) % 180);
  return static_cast<std::int64_t>(0.034 * wave(ns, period, phase) * 1e6);
}

std::uint64_t pow10(int n) {
  std::uint64_t v = 1;
  while (n-- > 0) v *= 10;
  return v;
}

}  // namespace

bool is_listed_pair(const Token& a, const Token& b) {
  bool reversed = false;
  return find_pair(a, b, reversed) != nullptr;
}

Market::Market(std::uint64_t seed) : seed_(seed) {}

bool Market::has_pair(const Token& in, const Token& out) const {
  if (is_listed_pair(in, out)) return true;
  return std::any_of(std::begin(kAllVenues), std::end(kAllVenues),
                     [&](Venue v) { return launched_pool(v, in, out).has_value(); });
}

Market::Reserves Market::drifting(std::size_t pair_index, Venue venue,
                                  std::chrono::system_clock::time_point at) const {
  const PairSpec* pair = &kPairs[pair_index];
  const Token* base = find_token(pair->base);
  const Token* quote = find_token(pair->quote);

  const std::uint64_t h = hash_bytes(pair->quote, hash_bytes(pair->base, mix(seed_ ^ static_cast<std::uint64_t>(venue))));
  const std::uint64_t pair_hash = hash_bytes(pair->quote, hash_bytes(pair->base, mix(seed_ ^ 0x5357494e47ULL)));  // "SWING"
  const std::int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(at.time_since_epoch()).count();
  const std::int64_t ppm = 1'000'000 + drift_ppm(h, ns) + swing_ppm(pair_hash, ns);

  using u128 = unsigned __int128;
  // Each side holds depth/2 USD; the base side is scaled by the drift so the
  // pool price is reference * ppm / 10^6.
  const u128 half = pair->depth_micro_usd / 2;
  const u128 base_units = half * pow10(base->decimals) * 1'000'000 /
                          (u128{base->reference_price_micro_usd} * static_cast<std::uint64_t>(ppm));
  const u128 quote_units = half * pow10(quote->decimals) / quote->reference_price_micro_usd;
  return Reserves{Amount{static_cast<std::uint64_t>(base_units)}, Amount{static_cast<std::uint64_t>(quote_units)}};
}

std::optional<Pool> Market::pool(Venue venue, const Token& in, const Token& out,
                                 std::chrono::system_clock::time_point at) const {
  bool reversed = false;
  const PairSpec* pair = find_pair(in, out, reversed);
  if (pair == nullptr) return launched_pool(venue, in, out);
  const std::size_t index = index_of(pair);
  std::optional<Reserves> reserves;
  if (pinned_any_.load(std::memory_order_acquire)) {
    std::lock_guard lock(pinned_mu_);
    reserves = pinned_[index][static_cast<std::size_t>(venue)];
  }
  if (!reserves) reserves = drifting(index, venue, at);

  Pool p;
  p.fee_bps = venue_fee_bps(venue, *pair);
  p.reserve_in = reversed ? reserves->quote : reserves->base;
  p.reserve_out = reversed ? reserves->base : reserves->quote;
  return p;
}

std::optional<Pools> Market::pools(const Token& in, const Token& out, std::chrono::system_clock::time_point at) const {
  // A new token may have launched on one venue only: the other's pool is
  // empty and quotes nothing.
  Pools out_pools{};
  bool any = false;
  for (std::size_t v = 0; v < out_pools.size(); ++v) {
    auto p = pool(kAllVenues[v], in, out, at);
    if (!p) continue;
    out_pools[v] = *p;
    any = true;
  }
  if (!any) return std::nullopt;
  return out_pools;
}

Pool launch_pool(Venue venue, Amount token_reserve, Amount quote_reserve) {
  // New pools charge the venues' standard fees: 0.25% on Raydium's CPMM,
  // 0.20% on Meteora.
  return Pool{quote_reserve, token_reserve, venue == Venue::meteora ? 20U : 25U};
}

Pool launch_pool(const Launch& launch) { return launch_pool(launch.venue, launch.token_reserve, launch.quote_reserve); }

std::string_view describe(LaunchError e) {
  switch (e) {
    case LaunchError::listed_token: return "a listed token has its pools already";
    case LaunchError::unlisted_quote: return "a new token launches against a listed token";
    case LaunchError::already_launched: return "the token has a pool on this venue already";
    case LaunchError::empty_pool: return "the pool would hold nothing on one side";
    case LaunchError::not_recorded: return "the launch could not be recorded";
  }
  return "invalid launch";
}

std::optional<LaunchError> Market::refusal(std::span<const Launch> batch) const {
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const Launch& l = batch[i];
    if (!l.token || l.token.listed()) return LaunchError::listed_token;
    if (!l.quote || !l.quote.listed()) return LaunchError::unlisted_quote;
    if (l.token_reserve.base == 0 || l.quote_reserve.base == 0) return LaunchError::empty_pool;
    const auto same_pool = [&](const Launch& other) { return other.token == l.token && other.venue == l.venue; };
    if (std::any_of(batch.begin(), batch.begin() + static_cast<std::ptrdiff_t>(i), same_pool)) {
      return LaunchError::already_launched;
    }
    if (const auto it = launches_by_token_.find(&l.token.token()); it != launches_by_token_.end()) {
      for (std::size_t earlier : it->second) {
        if (same_pool(launches_[earlier])) return LaunchError::already_launched;
      }
    }
  }
  return std::nullopt;
}

void Market::add(std::span<const Launch> batch) {
  std::lock_guard lock(launches_mu_);
  for (const Launch& l : batch) {
    launches_by_token_[&l.token.token()].push_back(launches_.size());
    launches_.push_back(l);
  }
}

boost::system::result<std::vector<Launch>, LaunchError> Market::launch(
    std::vector<Launch> launches, const std::function<bool(std::span<const Launch>)>& record) {
  std::lock_guard launcher(launcher_mu_);
  if (const auto refused = refusal(launches)) return *refused;
  const TimestampNs now = sim_now();
  std::uint64_t number = launches_.size();
  for (Launch& l : launches) {
    l.number = ++number;
    l.launched_at = now;
  }
  if (record && !record(launches)) return LaunchError::not_recorded;
  add(launches);
  return launches;
}

boost::system::result<Launch, LaunchError> Market::launch(const Launch& launch) {
  auto launched = this->launch(std::vector<Launch>{launch});
  if (!launched) return launched.error();
  return launched->front();
}

boost::system::result<void, LaunchError> Market::restore(std::span<const Launch> launches) {
  std::lock_guard launcher(launcher_mu_);
  if (const auto refused = refusal(launches)) return *refused;
  for (std::size_t i = 0; i < launches.size(); ++i) {
    if (launches[i].number != launches_.size() + 1 + i) return LaunchError::not_recorded;
  }
  add(launches);
  return {};
}

std::uint64_t Market::launch_count() const {
  std::lock_guard lock(launches_mu_);
  return launches_.size();
}

std::vector<Launch> Market::launches_after(std::uint64_t after) const {
  std::lock_guard lock(launches_mu_);
  if (after >= launches_.size()) return {};
  return {launches_.begin() + static_cast<std::ptrdiff_t>(after), launches_.end()};
}

std::vector<Launch> Market::launches_of(TokenId token) const {
  std::vector<Launch> out;
  if (!token) return out;
  std::lock_guard lock(launches_mu_);
  auto it = launches_by_token_.find(&token.token());
  if (it == launches_by_token_.end()) return out;
  for (std::size_t i : it->second) out.push_back(launches_[i]);
  return out;
}

std::optional<Pool> Market::launched_pool(Venue venue, const Token& in, const Token& out) const {
  std::lock_guard lock(launches_mu_);
  for (const Token* token : {&in, &out}) {
    auto it = launches_by_token_.find(token);
    if (it == launches_by_token_.end()) continue;
    for (std::size_t i : it->second) {
      const Launch& l = launches_[i];
      if (l.venue != venue) continue;
      const bool buying = &l.quote.token() == &in && token == &out;
      const bool selling = &l.quote.token() == &out && token == &in;
      if (!buying && !selling) continue;
      Pool p = launch_pool(l);
      if (!buying) std::swap(p.reserve_in, p.reserve_out);
      return p;
    }
  }
  return std::nullopt;
}

bool Market::pin_price(Venue venue, const Token& base, const Token& quote, std::uint64_t price_e12) {
  bool reversed = false;
  const PairSpec* pair = find_pair(base, quote, reversed);
  if (pair == nullptr || price_e12 == 0) return false;
  const Token* spec_base = find_token(pair->base);
  const Token* spec_quote = find_token(pair->quote);
  const std::size_t index = index_of(pair);
  using u128 = unsigned __int128;
  std::lock_guard lock(pinned_mu_);
  const Reserves now = pinned_[index][static_cast<std::size_t>(venue)].value_or(
      drifting(index, venue, sim_time_point()));
  // The quote side stays; the base side moves to make the price. Reversed,
  // the price given is the pair's inverse.
  const u128 scaled_quote = u128{now.quote.base} * pow10(spec_base->decimals);
  const u128 one = pow10(kPriceDecimals);  // a price of 1
  const u128 factor = reversed ? u128{price_e12} : one;  // what scaled_quote is multiplied by
  if (scaled_quote != 0 && factor > ~u128{0} / scaled_quote) return false;
  const u128 base_units = reversed ? scaled_quote * price_e12 / (one * pow10(spec_quote->decimals))
                                   : scaled_quote * one / (u128{price_e12} * pow10(spec_quote->decimals));
  if (base_units == 0 || base_units > UINT64_MAX) return false;
  pinned_[index][static_cast<std::size_t>(venue)] = Reserves{Amount{static_cast<std::uint64_t>(base_units)}, now.quote};
  pinned_any_.store(true, std::memory_order_release);
  return true;
}

}  // namespace oee::core
