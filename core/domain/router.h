#pragma once
// Best-execution routing across the venues.

#include <chrono>
#include <vector>

#include <boost/system/result.hpp>

#include "core/domain/market.h"

namespace oee::core {

enum class RouteError { no_pool, amount_too_small };

struct RouteDecision {
  std::vector<Quote> quotes;  // one per venue, in kAllVenues order
  Quote best;                 // the largest amount_out; ties go to the lower fee
};

class Router {
 public:
  explicit Router(const Market& market) : market_(market) {}

  [[nodiscard]] boost::system::result<RouteDecision, RouteError> route(
      const Token& in, const Token& out, Amount amount_in, std::chrono::system_clock::time_point at) const;
  /// As route, on one venue only: the others quote nothing.
  [[nodiscard]] boost::system::result<RouteDecision, RouteError> route_on_venue(
      Venue venue, const Token& in, const Token& out, Amount amount_in,
      std::chrono::system_clock::time_point at) const;

 private:
  [[nodiscard]] static boost::system::result<RouteDecision, RouteError> decide(const Pools& pools, Amount amount_in);
  const Market& market_;
};

/// Every venue's quote for `amount_in` on `pools`, and the best of them.
[[nodiscard]] RouteDecision route_on(const Pools& pools, Amount amount_in);

/// Picks the quote with the larger output; equal outputs prefer the lower fee.
[[nodiscard]] const Quote& better_quote(const Quote& a, const Quote& b);

}  // namespace oee::core
