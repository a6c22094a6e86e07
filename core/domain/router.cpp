#include "core/domain/router.h"

namespace oee::core {

const Quote& better_quote(const Quote& a, const Quote& b) {
  if (a.amount_out != b.amount_out) return a.amount_out > b.amount_out ? a : b;
  return a.fee_bps <= b.fee_bps ? a : b;
}

boost::system::result<RouteDecision, RouteError> Router::route(const Token& in, const Token& out, Amount amount_in,
                                                              std::chrono::system_clock::time_point at) const {
  RouteDecision d;
  for (Venue v : kAllVenues) {
    auto pool = market_.pool(v, in, out, at);
    if (!pool) return RouteError::no_pool;
    d.quotes.push_back(quote_pool(v, *pool, amount_in));
  }
  d.best = d.quotes.front();
  for (const auto& q : d.quotes) d.best = better_quote(d.best, q);
  if (d.best.amount_out.base == 0) return RouteError::amount_too_small;
  return d;
}

}  // namespace oee::core
