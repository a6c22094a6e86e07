#include "api/routes/waiting_floor.h"

#include <fmt/format.h>

#include <boost/json.hpp>

#include "api/routes/number_input.h"

namespace oee::api {

const char* price_field_name(core::OrderType type) {
  return type == core::OrderType::sniper ? "maxPrice" : "limitPrice";
}

boost::system::result<void, ApiError> check_expiry_limit(TimestampNs expires_at, TimestampNs now) {
  if (expires_at.value - now.value > kMaxExpiryNs) {
    return bad_request("invalid_expiry", "expiresAt is at most 30 days ahead", "expiresAt");
  }
  return {};
}

boost::system::result<core::Amount, ApiError> parse_floor(const WaitingTerms& order,
                                                          const boost::json::value* min_amount_out,
                                                          const boost::json::value* price) {
  const int out_decimals = order.out_decimals;
  const char* price_name = price_field_name(order.order_type);
  if (min_amount_out != nullptr && price != nullptr) {
    return bad_request("conflicting_fields", fmt::format("give either minAmountOut or {}, not both", price_name),
                       price_name);
  }
  if (min_amount_out != nullptr) {
    auto text = number_text(*min_amount_out, "minAmountOut");
    if (!text) return text.error();
    const Cut cut = cut_number(*min_amount_out, std::move(*text), out_decimals);
    auto parsed = core::parse_amount(cut.text, out_decimals);
    if (!parsed) {
      return bad_request("invalid_min_amount_out",
                 parsed.error() == core::AmountError::too_precise
                     ? fmt::format("minAmountOut has more than {} decimal places, the precision of the output token",
                                   out_decimals)
                     : fmt::format("minAmountOut {}", core::describe(parsed.error())),
                 "minAmountOut");
    }
    return rounded_up(*parsed, cut.dropped);
  }
  const std::string name = price_name;
  auto text = number_text(*price, name);
  if (!text) return text.error();
  const bool max = order.order_type == core::OrderType::sniper;
  // A limit price is a floor (up), a sniper's maxPrice a ceiling (down).
  const auto value = price_of(*price, std::move(*text), !max);
  auto floor = !value ? boost::system::result<core::Amount, core::AmountError>(value.error())
               : max  ? core::amount_at_max_price(order.amount, order.input.decimals(), value->base, out_decimals)
                      : core::amount_at_price(order.amount, order.input.decimals(), value->base, out_decimals);
  if (!floor) {
    return bad_request(max ? "invalid_max_price" : "invalid_limit_price",
               floor.error() == core::AmountError::too_precise
                   ? fmt::format("{} has more than {} decimal places", name, core::kPriceDecimals)
                   : fmt::format("{} {}", name, core::describe(floor.error())),
               name);
  }
  return *floor;
}

}  // namespace oee::api
