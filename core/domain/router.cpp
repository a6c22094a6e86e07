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

boost::system::result<RouteDecision, RouteError> Router::decide(const Pools& pools, Amount amount_in) {
  RouteDecision d = route_on(pools, amount_in);
  if (d.best.amount_out.base == 0) return RouteError::amount_too_small;
  return d;
}

}  // namespace oee::core
