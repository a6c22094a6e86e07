#include "core/domain/router.h"

namespace oee::core {

const Quote& better_quote(const Quote& a, const Quote& b) {
  if (a.amount_out != b.amount_out) return a.amount_out > b.amount_out ? a : b;
  return a.fee_bps <= b.fee_bps ? a : b;
}

RouteDecision route_on(const Pools& pools, Amount amount_in) {
  RouteDecision d;
  for (std::size_t v = 0; v < pools.size(); ++v) d.quotes.push_back(quote_pool(kAllVenues[v], pools[v], amount_in));
  d.best = d.quotes.front();
  for (const auto& q : d.quotes) d.best = better_quote(d.best, q);
  return d;
}

boost::system::result<RouteDecision, RouteError> Router::route(const Token& in, const Token& out, Amount amount_in,
                                                              std::chrono::system_clock::time_point at) const {
  const auto pools = market_.pools(in, out, at);
  if (!pools) return RouteError::no_pool;
  return decide(*pools, amount_in);
}

boost::system::result<RouteDecision, RouteError> Router::route_on_venue(Venue venue, const Token& in, const Token& out,
                                                                       Amount amount_in,
                                                                       std::chrono::system_clock::time_point at) const {
  auto pools = market_.pools(in, out, at);
  if (!pools) return RouteError::no_pool;
  for (std::size_t v = 0; v < pools->size(); ++v) {
    if (kAllVenues[v] != venue) (*pools)[v] = Pool{};
  }
  if ((*pools)[static_cast<std::size_t>(venue)].reserve_out.base == 0) return RouteError::no_pool;
  return decide(*pools, amount_in);
}

Pools pools_of(const RouteDecision& d) {
  Pools pools{};
  for (const auto& q : d.quotes) {
    pools[static_cast<std::size_t>(q.venue)] = Pool{q.reserve_in, q.reserve_out, q.fee_bps};
  }
  return pools;
}

std::optional<SplitPlan> split_worth_it(const RouteDecision& d, Amount amount_in, Amount second_tx_fee,
                                        std::uint32_t min_gain_bps) {
  if (d.quotes.size() != std::size(kAllVenues)) return std::nullopt;
  auto plan = best_split(pools_of(d), amount_in);
  if (!plan || !split_pays(*plan, second_tx_fee, d.best.amount_out, min_gain_bps)) return std::nullopt;
  return plan;
}

namespace {

using u128 = unsigned __int128;

// `amount` of a pool's input at its spot price, in its output; none for an empty pool.
std::optional<Amount> at_spot(const Pool& p, std::uint64_t amount) {
  if (p.reserve_in.base == 0) return std::nullopt;
  const u128 out = u128{amount} * p.reserve_out.base / p.reserve_in.base;
  if (out > UINT64_MAX) return std::nullopt;
  return Amount{static_cast<std::uint64_t>(out)};
}

// The better spot price's conversion of `amount` across a pair's pools.
std::optional<Amount> at_best_spot(const Pools& pools, std::uint64_t amount) {
  std::optional<Amount> best;
  for (const Pool& p : pools) {
    const auto v = at_spot(p, amount);
    if (v && (!best || *v > *best)) best = v;
  }
  return best;
}

}  // namespace

std::optional<Amount> Router::second_tx_fee(const Token& in, const Token& out, const RouteDecision& d,
                                            std::chrono::system_clock::time_point at) const {
  const Token* sol = find_token("SOL");
  if (sol == nullptr) return std::nullopt;
  if (out.symbol == sol->symbol) return Amount{kSecondTxFeeLamports};
  const Pools pair = pools_of(d);
  if (in.symbol == sol->symbol) return at_spot(pair[static_cast<std::size_t>(d.best.venue)], kSecondTxFeeLamports);
  if (const auto sol_out = market_.pools(*sol, out, at)) return at_best_spot(*sol_out, kSecondTxFeeLamports);
  if (const auto sol_in = market_.pools(*sol, in, at)) {
    const auto in_units = at_best_spot(*sol_in, kSecondTxFeeLamports);
    if (in_units) return at_spot(pair[static_cast<std::size_t>(d.best.venue)], in_units->base);
  }
  return std::nullopt;
}

boost::system::result<RouteDecision, RouteError> Router::decide(const Pools& pools, Amount amount_in) {
  RouteDecision d = route_on(pools, amount_in);
  if (d.best.amount_out.base == 0) return RouteError::amount_too_small;
  return d;
}

}  // namespace oee::core
