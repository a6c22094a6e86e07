#include "api/routes/amend_request.h"

#include <array>
#include <string_view>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "api/routes/submit_request.h"
#include "api/routes/time_text.h"

namespace oee::api {

namespace json = boost::json;

namespace {

struct AmendFields {
  const json::value* min_amount_out = nullptr;
  const json::value* limit_price = nullptr;
  const json::value* max_price = nullptr;
  const json::value* expires_at = nullptr;
};

boost::system::result<AmendFields, ApiError> collect(const json::object& body) {
  AmendFields f;
  const std::array<std::tuple<std::string_view, std::string_view, const json::value**>, 4> names{{
      {"minAmountOut", "min_amount_out", &f.min_amount_out},
      {"limitPrice", "limit_price", &f.limit_price},
      {"maxPrice", "max_price", &f.max_price},
      {"expiresAt", "expires_at", &f.expires_at},
  }};
  for (const auto& kv : body) {
    const std::string_view key = kv.key();
    bool known = false;
    for (const auto& [camel, snake, slot] : names) {
      if (key != camel && key != snake) continue;
      known = true;
      if (*slot != nullptr) {
        return bad_request("conflicting_fields", fmt::format("'{}' and '{}' name the same field", camel, snake),
                           std::string(key));
      }
      *slot = &kv.value();
    }
    if (!known) {
      return bad_request("unknown_field",
                         fmt::format("unknown field '{}'; an amendment takes limitPrice (or maxPrice), minAmountOut "
                                     "and expiresAt",
                                     key),
                         std::string(key));
    }
  }
  return f;
}

}  // namespace

boost::system::result<core::Amendment, ApiError> parse_amend(const json::value& body, const core::OrderState& order,
                                                             TimestampNs now) {
  if (!body.is_object()) return bad_request("invalid_body", "the body must be a JSON object", "");
  auto fields = collect(body.get_object());
  if (!fields) return fields.error();
  const bool sniper = order.order_type == core::OrderType::sniper;
  const char* price_name = price_field_name(order.order_type);
  const json::value* price = sniper ? fields->max_price : fields->limit_price;
  const json::value* other_price = sniper ? fields->limit_price : fields->max_price;
  if (other_price != nullptr) {
    return bad_request("field_not_for_type",
                       fmt::format("a {} order's price is its {}", core::order_type_name(order.order_type), price_name),
                       sniper ? "limitPrice" : "maxPrice");
  }
  if (fields->min_amount_out == nullptr && price == nullptr && fields->expires_at == nullptr) {
    return bad_request("missing_field",
                       fmt::format("an amendment changes the order's {} (or minAmountOut) or its expiresAt",
                                   price_name),
                       "");
  }
  core::Amendment change;
  if (fields->min_amount_out != nullptr || price != nullptr) {
    auto floor = parse_floor(WaitingTerms{order.order_type, order.input_token, order.amount_in,
                                          order.output_token.decimals()},
                             fields->min_amount_out, price);
    if (!floor) return floor.error();
    change.min_amount_out = *floor;
  }
  if (fields->expires_at != nullptr) {
    if (fields->expires_at->is_null()) {
      return bad_request("invalid_expiry", "expiresAt is a time: a waiting order always has one, at most 30 days ahead",
                         "expiresAt");
    }
    auto expires = future_time_field(fields->expires_at, "expiresAt", now);
    if (!expires) return expires.error();
    if (auto within = check_expiry_limit(**expires, now); !within) return within.error();
    change.expires_at = **expires;
  }
  return change;
}

}  // namespace oee::api
