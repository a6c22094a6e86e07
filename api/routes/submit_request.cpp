#include "api/routes/submit_request.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <fmt/format.h>

#include <boost/json.hpp>

#include "api/routes/time_text.h"

namespace oee::api {

namespace json = boost::json;

std::string SubmitRequest::fingerprint() const {
  if (order_type == core::OrderType::market) {
    return fmt::format("{}|{}|{}|{}|{}", core::order_type_name(order_type), input.symbol(), output.symbol(),
                       amount.base, slippage_bps);
  }
  // A default expiry is not part of the order: a replay of the same body
  // gets a later default, and is still the same order.
  return fmt::format("{}|{}|{}|{}|{}|{}", core::order_type_name(order_type), input.symbol(), output.symbol(),
                     amount.base, min_amount_out.base, expiry_given ? expires_at.value : 0);
}

namespace {

// Canonical field -> accepted spellings.
struct FieldSpec {
  std::string_view canonical;
  std::array<std::string_view, 3> aliases;
};
constexpr std::array<FieldSpec, 9> kFields{{
    {"type", {"orderType", "order_type", ""}},
    {"inputToken", {"tokenIn", "token_in", ""}},
    {"outputToken", {"tokenOut", "token_out", ""}},
    {"amount", {"amountIn", "amount_in", ""}},
    {"slippage", {"max_slippage", "maxSlippage", ""}},
    {"slippageBps", {"slippage_bps", "", ""}},
    {"minAmountOut", {"min_amount_out", "", ""}},
    {"limitPrice", {"limit_price", "", ""}},
    {"expiresAt", {"expires_at", "", ""}},
}};

struct Collected {
  std::array<const json::value*, kFields.size()> found{};
  std::array<std::string_view, kFields.size()> spelled{};  // the key each was found under
};

// Maps the body's keys onto canonical names; rejects unknown or doubled fields.
boost::system::result<Collected, ApiError> collect(const json::object& body) {
  Collected c;
  auto& [found, spelled] = c;
  for (const auto& kv : body) {
    const std::string_view key = kv.key();
    bool known = false;
    for (std::size_t i = 0; i < kFields.size() && !known; ++i) {
      bool match = key == kFields[i].canonical;
      for (auto a : kFields[i].aliases) match = match || (!a.empty() && key == a);
      if (!match) continue;
      known = true;
      if (found[i] != nullptr) {
        return bad_request("conflicting_fields", fmt::format("'{}' and '{}' name the same field", spelled[i], key),
                   std::string(key));
      }
      found[i] = &kv.value();
      spelled[i] = key;
    }
    if (!known) return bad_request("unknown_field", fmt::format("unknown field '{}'", key), std::string(key));
  }
  return c;
}

// Every key is one of the spellings collected, so they say how the body
// was written. A body that mixes the two (tokenIn beside max_slippage) is
// answered as before, in camelCase.
bool written_in_snake_case(const std::array<std::string_view, kFields.size()>& spelled) {
  auto any_key_has = [&](auto is_marker) {
    return std::any_of(spelled.begin(), spelled.end(),
                       [&](std::string_view key) { return std::any_of(key.begin(), key.end(), is_marker); });
  };
  return any_key_has([](char c) { return c == '_'; }) && !any_key_has([](char c) { return c >= 'A' && c <= 'Z'; });
}

boost::system::result<core::TokenId, ApiError> token_field(const json::value* v, const std::string& field) {
  if (v == nullptr) return bad_request("missing_field", field + " is required", field);
  if (!v->is_string()) return bad_request("invalid_token", field + " must be a token symbol string", field);
  const auto& s = v->get_string();
  const auto t = core::TokenId::parse(std::string_view(s.data(), s.size()));
  if (!t) {
    std::string known;
    for (const auto& tok : core::all_tokens()) known += (known.empty() ? "" : ", ") + std::string(tok.symbol);
    return bad_request("unknown_token", fmt::format("unknown token '{}'; supported: {}", std::string_view(s), known), field);
  }
  return *t;
}

}  // namespace

boost::system::result<std::string, ApiError> number_text(const json::value& v, const std::string& field) {
  if (v.is_string()) return std::string(v.get_string());
  if (v.is_int64()) return std::to_string(v.get_int64());
  if (v.is_uint64()) return std::to_string(v.get_uint64());
  if (v.is_double()) {
    const double d = v.get_double();
    if (!std::isfinite(d)) return bad_request("invalid_" + field, field + " must be a finite number", field);
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
    if (ec != std::errc{}) return bad_request("invalid_" + field, field + " is not a number", field);
    return std::string(buf, end);
  }
  return bad_request("invalid_" + field, field + " must be a number or a decimal string", field);
}

namespace {

// A limit order's floor, its price and its expiry; for a market order,
// none of them may be given.
boost::system::result<void, ApiError> limit_fields(SubmitRequest& r, const json::value* min_amount_out,
                                                   const json::value* limit_price, const json::value* expires_at,
                                                   bool slippage_given, TimestampNs now) {
  if (r.order_type == core::OrderType::market) {
    for (auto [v, name] : {std::pair{min_amount_out, "minAmountOut"}, std::pair{limit_price, "limitPrice"},
                           std::pair{expires_at, "expiresAt"}}) {
      if (v != nullptr) {
        return bad_request("field_not_for_type", fmt::format("{} applies to limit orders; a market order has none", name),
                   name);
      }
    }
    return {};
  }
  if (slippage_given) {
    return bad_request("field_not_for_type", "a limit order's floor is its minAmountOut (or limitPrice), not a slippage",
               "slippage");
  }
  if (min_amount_out != nullptr && limit_price != nullptr) {
    return bad_request("conflicting_fields", "give either minAmountOut or limitPrice, not both", "limitPrice");
  }
  if (min_amount_out == nullptr && limit_price == nullptr) {
    return bad_request("missing_field", "a limit order needs minAmountOut (output for the whole amount) or limitPrice",
               "minAmountOut");
  }
  if (min_amount_out != nullptr) {
    auto text = number_text(*min_amount_out, "minAmountOut");
    if (!text) return text.error();
    auto parsed = core::parse_amount(*text, r.output.decimals());
    if (!parsed) {
      return bad_request("invalid_min_amount_out",
                 parsed.error() == core::AmountError::too_precise
                     ? fmt::format("minAmountOut has more than {} decimal places, the precision of {}",
                                   r.output.decimals(), r.output.symbol())
                     : fmt::format("minAmountOut {}", core::describe(parsed.error())),
                 "minAmountOut");
    }
    r.min_amount_out = *parsed;
  } else {
    auto text = number_text(*limit_price, "limitPrice");
    if (!text) return text.error();
    auto price = core::parse_amount(*text, core::kPriceDecimals);
    auto floor = price ? core::amount_at_price(r.amount, r.input.decimals(), price->base, r.output.decimals())
                       : boost::system::result<core::Amount, core::AmountError>(price.error());
    if (!floor) {
      return bad_request("invalid_limit_price",
                 floor.error() == core::AmountError::too_precise
                     ? fmt::format("limitPrice has more than {} decimal places", core::kPriceDecimals)
                     : fmt::format("limitPrice {}", core::describe(floor.error())),
                 "limitPrice");
    }
    r.min_amount_out = *floor;
  }
  auto expires = future_time_field(expires_at, "expiresAt", now);
  if (!expires) return expires.error();
  r.expires_at = expires->value_or(TimestampNs{now.value + kDefaultExpiryNs});
  r.expiry_given = expires->has_value();
  if (r.expires_at.value - now.value > kMaxExpiryNs) {
    return bad_request("invalid_expiry", "expiresAt is at most 30 days ahead", "expiresAt");
  }
  return {};
}

}  // namespace

boost::system::result<SubmitRequest, ApiError> parse_submit(const json::value& body, TimestampNs now) {
  if (!body.is_object()) return bad_request("invalid_body", "the body must be a JSON object", "");
  auto fields = collect(body.get_object());
  if (!fields) return fields.error();
  const auto& [type, input, output, amount, slippage, slippage_bps, min_amount_out, limit_price, expires_at] =
      fields->found;

  SubmitRequest r;
  r.snake_case = written_in_snake_case(fields->spelled);
  if (type != nullptr) {
    if (!type->is_string()) return bad_request("invalid_type", "type must be a string", "type");
    const std::string_view t = type->get_string();
    const auto order_type = core::parse_order_type(t);
    if (!order_type) return bad_request("invalid_type", fmt::format("unknown order type '{}'", t), "type");
    if (*order_type == core::OrderType::sniper) {
      return bad_request("unsupported_order_type", "sniper orders are not available yet; use 'market' or 'limit'", "type");
    }
    r.order_type = *order_type;
  }

  auto in = token_field(input, "inputToken");
  if (!in) return in.error();
  auto out = token_field(output, "outputToken");
  if (!out) return out.error();
  if (*in == *out) return bad_request("same_token", "inputToken and outputToken must differ", "outputToken");
  r.input = *in;
  r.output = *out;

  if (amount == nullptr) return bad_request("missing_field", "amount is required", "amount");
  auto text = number_text(*amount, "amount");
  if (!text) return text.error();
  auto parsed = core::parse_amount(*text, r.input.decimals());
  if (!parsed) {
    std::string message = fmt::format("amount {}", core::describe(parsed.error()));
    if (parsed.error() == core::AmountError::too_precise) {
      message = fmt::format("amount has more than {} decimal places, the precision of {}", r.input.decimals(),
                            r.input.symbol());
    }
    return bad_request("invalid_amount", message, "amount");
  }
  r.amount = *parsed;

  if (slippage != nullptr && slippage_bps != nullptr) {
    return bad_request("conflicting_fields", "give either slippage (a fraction) or slippageBps, not both", "slippageBps");
  }
  r.slippage_bps = kDefaultSlippageBps;
  if (slippage != nullptr) {
    auto s = number_text(*slippage, "slippage");
    if (!s) return s.error();
    if (!s->empty() && s->front() == '-') return bad_request("invalid_slippage", "slippage must not be negative", "slippage");
    auto bps = core::parse_bps_fraction(*s);
    if (!bps) {
      return bad_request("invalid_slippage",
                 bps.error() == core::AmountError::too_precise
                     ? "slippage is a fraction with at most 4 decimals (0.005 = 0.5%)"
                     : fmt::format("slippage {}", core::describe(bps.error())),
                 "slippage");
    }
    if (*bps > kMaxSlippageBps) {
      return bad_request("invalid_slippage", "slippage is a fraction between 0 and 0.5 (0.01 = 1%)", "slippage");
    }
    r.slippage_bps = *bps;
  } else if (slippage_bps != nullptr) {
    if (!slippage_bps->is_int64() && !slippage_bps->is_uint64()) {
      return bad_request("invalid_slippage", "slippageBps must be an integer number of basis points", "slippageBps");
    }
    // Above INT64_MAX Boost.JSON yields a uint64: out of range all the same.
    const std::int64_t bps = slippage_bps->is_uint64() ? std::int64_t{-1} : slippage_bps->get_int64();
    if (bps < 0 || bps > kMaxSlippageBps) {
      return bad_request("invalid_slippage", "slippageBps must be between 0 and 5000", "slippageBps");
    }
    r.slippage_bps = static_cast<std::uint32_t>(bps);
  }
  auto limit = limit_fields(r, min_amount_out, limit_price, expires_at, slippage != nullptr || slippage_bps != nullptr,
                            now);
  if (!limit) return limit.error();
  if (r.order_type == core::OrderType::limit) r.slippage_bps = 0;
  return r;
}

}  // namespace oee::api
