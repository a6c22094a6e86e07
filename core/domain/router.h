#pragma once
// Best-execution routing across the venues.

#include <chrono>
#include <vector>

#include <boost/system/result.hpp>

#include "core/domain/market.h"
#include "core/domain/split.h"

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
  /// The fee of a second transaction (kSecondTxFeeLamports of SOL) in
  /// `out`'s base units, at the best venue's price: of the pair itself when
  /// one side is SOL, else of SOL against `out` (or against `in`, then the
  /// pair). None when no pool prices it.
  [[nodiscard]] std::optional<Amount> second_tx_fee(const Token& in, const Token& out, const RouteDecision& d,
                                                    std::chrono::system_clock::time_point at) const;
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

/// The pools a decision's quotes were made on, in venue order.
[[nodiscard]] Pools pools_of(const RouteDecision& d);

/// The split of `amount_in` worth its second transaction, if any: on the
/// decision's pools, beating its best venue by more than `min_gain_bps`
/// after `second_tx_fee`.
[[nodiscard]] std::optional<SplitPlan> split_worth_it(const RouteDecision& d, Amount amount_in, Amount second_tx_fee,
                                                      std::uint32_t min_gain_bps);

/// Picks the quote with the larger output; equal outputs prefer the lower fee.
[[nodiscard]] const Quote& better_quote(const Quote& a, const Quote& b);

}  // namespace oee::core
