#pragma once
// A waiting order's floor (minAmountOut, or the price it is given in) and
// the bound on its expiry: what a submit and an amendment both parse.

#include <boost/json/value.hpp>
#include <boost/system/result.hpp>

#include "api/http/api_error.h"
#include "core/domain/order.h"
#include "core/domain/tokens.h"

namespace oee::api {

inline constexpr std::int64_t kMaxExpiryNs = 30LL * 24 * 3600 * 1'000'000'000;  // 30 days

/// What a waiting order's floor is reckoned against.
struct WaitingTerms {
  core::OrderType order_type = core::OrderType::limit;
  core::TokenId input;
  core::Amount amount;
  int out_decimals = 0;
};

/// The field a waiting order's price is given in: a sniper's maxPrice, a
/// limit order's limitPrice.
[[nodiscard]] const char* price_field_name(core::OrderType type);

/// A waiting order's expiry: at most kMaxExpiryNs after `now`.
[[nodiscard]] boost::system::result<void, ApiError> check_expiry_limit(TimestampNs expires_at, TimestampNs now);

/// The least output a waiting order asks for its whole amount: minAmountOut
/// in output decimals, or its price (limitPrice: output per input;
/// sniper's maxPrice: input per output) turned into it, rounded so it never
/// asks less. One of the two is given, not both (400 conflicting_fields).
[[nodiscard]] boost::system::result<core::Amount, ApiError> parse_floor(const WaitingTerms& order,
                                                                        const boost::json::value* min_amount_out,
                                                                        const boost::json::value* price);

}  // namespace oee::api
