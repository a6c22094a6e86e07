#include "api/routes/number_input.h"

#include <charconv>
#include <cmath>
#include <limits>

namespace oee::api {

namespace json = boost::json;

boost::system::result<std::string, ApiError> number_text(const json::value& v, const std::string& field) {
  if (v.is_string()) return std::string(v.get_string());
  if (v.is_int64()) return std::to_string(v.get_int64());
  if (v.is_uint64()) return std::to_string(v.get_uint64());
  if (v.is_double()) {
    const double d = v.get_double();
    if (!std::isfinite(d)) return bad_request("invalid_" + field, field + " must be a finite number", field);
    char buf[400];  // the longest double in fixed notation has 309 digits before the point
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::fixed);
    if (ec != std::errc{}) return bad_request("invalid_" + field, field + " is not a number", field);
    return std::string(buf, end);
  }
  return bad_request("invalid_" + field, field + " must be a number or a decimal string", field);
}

Cut cut_number(const json::value& v, std::string text, int decimals) {
  Cut cut;
  cut.text = std::move(text);
  const auto dot = cut.text.find('.');
  if (v.is_string() || dot == std::string::npos) return cut;
  const std::size_t keep = dot + 1 + static_cast<std::size_t>(decimals);
  if (cut.text.size() <= keep) return cut;
  cut.dropped = cut.text.find_first_not_of('0', keep) != std::string::npos;
  cut.text.resize(decimals == 0 ? dot : keep);
  return cut;
}

core::Amount rounded_up(core::Amount a, bool dropped) {
  if (dropped && a.base < std::numeric_limits<decltype(a.base)>::max()) ++a.base;
  return a;
}

boost::system::result<core::Amount, core::AmountError> price_of(const json::value& v, std::string text, bool up) {
  const Cut cut = cut_number(v, std::move(text), core::kPriceDecimals);
  auto value = core::parse_amount(cut.text, core::kPriceDecimals);
  if (value && up) value = rounded_up(*value, cut.dropped);
  return value;
}

}  // namespace oee::api
