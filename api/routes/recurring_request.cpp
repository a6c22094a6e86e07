#include "api/routes/recurring_request.h"

#include <fmt/format.h>

#include "api/routes/number_input.h"

namespace oee::api {

namespace json = boost::json;

namespace {

// A whole number in [min, max], for the field `name`.
boost::system::result<std::uint32_t, ApiError> count_field(const json::value* v, const char* name, std::uint32_t min,
                                                           std::uint32_t max, std::string_view what) {
  if (v == nullptr) return bad_request("missing_field", fmt::format("a recurring order needs {}", name), name);
  const bool whole = v->is_int64() || v->is_uint64();
  const std::int64_t n = v->is_int64() ? v->get_int64() : -1;
  if (!whole || n < min || n > max) {
    return bad_request(fmt::format("invalid_{}", name), fmt::format("{} is {} from {} to {}", name, what, min, max),
                       name);
  }
  return static_cast<std::uint32_t>(n);
}

// A price bound, output per input; 0 is none.
boost::system::result<std::uint64_t, ApiError> price_bound(const json::value* v, const char* name, const char* code,
                                                           bool up) {
  if (v == nullptr || v->is_null()) return 0;
  auto text = number_text(*v, name);
  if (!text) return text.error();
  const auto value = price_of(*v, std::move(*text), up);
  if (!value) {
    return bad_request(code,
                       value.error() == core::AmountError::too_precise
                           ? fmt::format("{} has more than {} decimal places", name, core::kPriceDecimals)
                           : fmt::format("{} {} (output per input)", name, core::describe(value.error())),
                       name);
  }
  return value->base;
}

}  // namespace

boost::system::result<core::RecurringTerms, ApiError> parse_recurring(core::Amount amount, core::TokenId input,
                                                                      const RecurringFields& f) {
  core::RecurringTerms t;
  auto slices = count_field(f.slices, "slices", kMinSlices, kMaxSlices, "a whole number of slices");
  if (!slices) return slices.error();
  t.slices = *slices;
  auto interval = count_field(f.interval, "interval", 1, kMaxIntervalS, "whole seconds between slices,");
  if (!interval) return interval.error();
  t.interval_s = *interval;
  if (amount.base < t.slices) {
    return bad_request("invalid_amount", fmt::format("amount is less than one base unit of {} per slice", input.symbol()),
                       "amount");
  }
  // Toward the client's safety: the least price up, the most down.
  auto min = price_bound(f.min_price, "minPrice", "invalid_min_price", true);
  if (!min) return min.error();
  auto max = price_bound(f.max_price, "maxPrice", "invalid_max_price", false);
  if (!max) return max.error();
  if (*min != 0 && *max != 0 && *min > *max) {
    return bad_request("conflicting_fields", "minPrice is above maxPrice: no slice could run", "minPrice");
  }
  t.min_price_e12 = *min;
  t.max_price_e12 = *max;
  if (f.catch_up != nullptr && !f.catch_up->is_bool()) {
    return bad_request("invalid_catch_up", "catchUp is true or false", "catchUp");
  }
  t.catch_up = f.catch_up != nullptr && f.catch_up->get_bool();
  return t;
}

}  // namespace oee::api
