#include "api/routes/submit_request.h"

#include <algorithm>
#include <array>
#include <fmt/format.h>

#include <boost/json.hpp>

#include "api/routes/recurring_request.h"
#include "api/routes/time_text.h"

namespace oee::api {

namespace json = boost::json;

std::string SubmitRequest::fingerprint() const {
  if (order_type == core::OrderType::recurring) {
    return fmt::format("{}|{}|{}|{}|{}|{}|{}|{}|{}|{}", core::order_type_name(order_type), input.symbol(),
                       output.symbol(), amount.base, slippage_bps, recurring.slices, recurring.interval_s,
                       recurring.min_price_e12, recurring.max_price_e12, recurring.catch_up);
  }
  if (order_type == core::OrderType::market) {
    return fmt::format("{}|{}|{}|{}|{}", core::order_type_name(order_type), input.symbol(), output.symbol(),
                       amount.base, slippage_bps);
  }
  // A default expiry is not part of the order: a replay of the same body
  // gets a later default, and is still the same order.
  std::string print = fmt::format("{}|{}|{}|{}|{}|{}", core::order_type_name(order_type), input.symbol(),
                                  output.symbol(), amount.base, min_amount_out.base,
                                  expiry_given ? expires_at.value : 0);
  if (order_type == core::OrderType::sniper) {
    print += fmt::format("|{}|{}|{}", checks.require_mint_renounced, checks.require_no_freeze,
                         checks.min_liquidity.base);
  }
  return print;
}

namespace {

// Canonical field -> accepted spellings.
struct FieldSpec {
  std::string_view canonical;
  std::array<std::string_view, 3> aliases;
};
constexpr std::array<FieldSpec, 16> kFields{{
    {"type", {"orderType", "order_type", ""}},
    {"inputToken", {"tokenIn", "token_in", ""}},
    {"outputToken", {"tokenOut", "token_out", ""}},
    {"amount", {"amountIn", "amount_in", ""}},
    {"slippage", {"max_slippage", "maxSlippage", ""}},
    {"slippageBps", {"slippage_bps", "", ""}},
    {"minAmountOut", {"min_amount_out", "", ""}},
    {"limitPrice", {"limit_price", "", ""}},
    {"expiresAt", {"expires_at", "", ""}},
    {"targetToken", {"target_token", "", ""}},
    {"maxPrice", {"max_price", "", ""}},
    {"checks", {"", "", ""}},
    {"slices", {"", "", ""}},
    {"interval", {"", "", ""}},
    {"minPrice", {"min_price", "", ""}},
    {"catchUp", {"catch_up", "", ""}},
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

struct WaitingFields {
  const json::value* min_amount_out;
  const json::value* limit_price;
  const json::value* max_price;
  const json::value* expires_at;
  bool slippage_given;
};

}  // namespace

namespace {

// The first of `fields` the body gave although an order of `type` has none
// of them (they apply to `applies_to`).
std::optional<ApiError> given_but_not_for(std::initializer_list<std::pair<const json::value*, const char*>> fields,
                                          std::string_view applies_to, core::OrderType type) {
  for (const auto& [v, name] : fields) {
    if (v == nullptr) continue;
    return bad_request("field_not_for_type",
                       fmt::format("{} applies to {}; a {} order has none", name, applies_to,
                                   core::order_type_name(type)),
                       name);
  }
  return std::nullopt;
}

// A waiting order's floor and its expiry; for a market order, none of them
// may be given.
boost::system::result<void, ApiError> waiting_fields(SubmitRequest& r, int out_decimals, const WaitingFields& f,
                                                     TimestampNs now) {
  const bool sniper = r.order_type == core::OrderType::sniper;
  const auto not_for = [&](const json::value* v, const char* name, std::string_view applies_to) {
    return given_but_not_for({{v, name}}, applies_to, r.order_type);
  };
  std::optional<ApiError> misplaced;
  const bool recurring = r.order_type == core::OrderType::recurring;
  if (r.order_type == core::OrderType::market || recurring) {
    misplaced = given_but_not_for({{f.min_amount_out, "minAmountOut"}, {f.expires_at, "expiresAt"}},
                                  "limit and sniper orders", r.order_type);
  }
  if (!misplaced && r.order_type != core::OrderType::limit) misplaced = not_for(f.limit_price, "limitPrice", "limit orders");
  if (!misplaced && !sniper && !recurring) misplaced = not_for(f.max_price, "maxPrice", "sniper and recurring orders");
  if (misplaced) return *misplaced;
  if (r.order_type == core::OrderType::market || recurring) return {};

  const char* price_name = price_field_name(r.order_type);
  const json::value* price = sniper ? f.max_price : f.limit_price;
  if (f.slippage_given) {
    return bad_request("field_not_for_type",
               fmt::format("a {} order's floor is its minAmountOut (or {}), not a slippage",
                           core::order_type_name(r.order_type), price_name),
               "slippage");
  }
  if (f.min_amount_out == nullptr && price == nullptr) {
    return bad_request("missing_field",
               fmt::format("a {} order needs minAmountOut (output for the whole amount) or {}",
                           core::order_type_name(r.order_type), price_name),
               "minAmountOut");
  }
  auto floor = parse_floor(WaitingTerms{r.order_type, r.input, r.amount, out_decimals}, f.min_amount_out, price);
  if (!floor) return floor.error();
  r.min_amount_out = *floor;
  auto expires = future_time_field(f.expires_at, "expiresAt", now);
  if (!expires) return expires.error();
  r.expires_at = expires->value_or(TimestampNs{now.value + kDefaultExpiryNs});
  r.expiry_given = expires->has_value();
  return check_expiry_limit(r.expires_at, now);
}

// A sniper's target: a well-formed symbol of a token that is not listed.
boost::system::result<std::string, ApiError> target_field(const json::value* v) {
  if (v == nullptr) return bad_request("missing_field", "a sniper order names the token it waits for: targetToken", "targetToken");
  if (!v->is_string() || !core::is_token_symbol(v->get_string())) {
    return bad_request("invalid_token", "targetToken is a token symbol: 2 to 10 letters or digits", "targetToken");
  }
  const std::string_view symbol = v->get_string();
  if (const auto listed = core::TokenId::parse(symbol); listed && listed->listed()) {
    return bad_request("invalid_target",
               fmt::format("{} trades already; a sniper waits for the launch of a new token", listed->symbol()),
               "targetToken");
  }
  return std::string(symbol);
}

boost::system::result<core::SniperChecks, ApiError> checks_field(const json::value* v, core::TokenId input) {
  core::SniperChecks checks;
  if (v == nullptr || v->is_null()) return checks;
  if (!v->is_object()) return bad_request("invalid_checks", "checks is an object", "checks");
  for (const auto& kv : v->get_object()) {
    const std::string_view key = kv.key();
    const std::string field = "checks." + std::string(key);
    if (key == "requireMintRenounced" || key == "requireNoFreeze") {
      if (!kv.value().is_bool()) return bad_request("invalid_checks", field + " is true or false", field);
      (key == "requireNoFreeze" ? checks.require_no_freeze : checks.require_mint_renounced) = kv.value().get_bool();
    } else if (key == "minLiquidity") {
      auto text = number_text(kv.value(), field);
      if (!text) {
        return bad_request("invalid_checks", field + " is an amount of " + std::string(input.symbol()), field);
      }
      auto amount = core::parse_amount(*text, input.decimals());
      // Zero is no minimum, as leaving it out is.
      const bool zero = !amount && amount.error() == core::AmountError::not_positive && !text->empty() &&
                        text->front() != '-';
      if (zero) continue;
      if (!amount) {
        return bad_request("invalid_checks",
                   fmt::format("{} {} (an amount of {})", field, core::describe(amount.error()), input.symbol()),
                   field);
      }
      checks.min_liquidity = *amount;
    } else {
      return bad_request("unknown_field", fmt::format("unknown field '{}'", field), field);
    }
  }
  return checks;
}

}  // namespace

boost::system::result<SubmitRequest, ApiError> parse_submit(const json::value& body, TimestampNs now,
                                                            const std::optional<TokenPair>& default_pair) {
  if (!body.is_object()) return bad_request("invalid_body", "the body must be a JSON object", "");
  auto fields = collect(body.get_object());
  if (!fields) return fields.error();
  const auto& [type, input, output, amount, slippage, slippage_bps, min_amount_out, limit_price, expires_at, target,
               max_price, checks, slices, interval, min_price, catch_up] = fields->found;

  SubmitRequest r;
  r.snake_case = written_in_snake_case(fields->spelled);
  if (type != nullptr) {
    if (!type->is_string()) return bad_request("invalid_type", "type must be a string", "type");
    const std::string_view t = type->get_string();
    const auto order_type = core::parse_order_type(t);
    if (!order_type) return bad_request("invalid_type", fmt::format("unknown order type '{}'", t), "type");
    r.order_type = *order_type;
  }
  const bool sniper = r.order_type == core::OrderType::sniper;
  const bool recurring = r.order_type == core::OrderType::recurring;
  if (!recurring) {
    if (auto misplaced = given_but_not_for(
            {{slices, "slices"}, {interval, "interval"}, {min_price, "minPrice"}, {catch_up, "catchUp"}},
            "recurring orders", r.order_type)) {
      return *misplaced;
    }
  }

  std::string target_symbol;
  if (sniper) {
    if (output != nullptr) {
      return bad_request("field_not_for_type", "a sniper order names the token it waits for as targetToken",
                         "outputToken");
    }
    auto in = input != nullptr ? token_field(input, "inputToken") : core::token_id("SOL");
    if (!in) return in.error();
    if (!in->listed()) {
      return bad_request("invalid_token", "a sniper pays with a listed token, such as SOL or USDC", "inputToken");
    }
    auto t = target_field(target);
    if (!t) return t.error();
    r.input = *in;
    target_symbol = std::move(*t);
  } else {
    if (auto misplaced =
            given_but_not_for({{target, "targetToken"}, {checks, "checks"}}, "sniper orders", r.order_type)) {
      return *misplaced;
    }
    const bool names_neither = input == nullptr && output == nullptr;
    if (default_pair && names_neither && r.order_type == core::OrderType::market) {
      // The operator's pair (--default-pair): the order is the one that
      // names it, down to its fingerprint.
      r.input = default_pair->input;
      r.output = default_pair->output;
    } else {
      // Half a pair is a client that meant some other pair, not one that
      // left it to the server; and a limit or recurring order's prices are
      // reckoned in the pair it names.
      if (default_pair && (input == nullptr || output == nullptr)) {
        const char* missing = input == nullptr ? "inputToken" : "outputToken";
        return bad_request("missing_field",
                           names_neither ? fmt::format("{} is required: the default pair {} is for market orders only",
                                                       missing, pair_name(*default_pair))
                                         : fmt::format("{} is required: name both tokens, or neither for the default "
                                                       "pair {}",
                                                       missing, pair_name(*default_pair)),
                           missing);
      }
      auto in = token_field(input, "inputToken");
      if (!in) return in.error();
      auto out = token_field(output, "outputToken");
      if (!out) return out.error();
      if (*in == *out) return bad_request("same_token", "inputToken and outputToken must differ", "outputToken");
      r.input = *in;
      r.output = *out;
    }
  }

  if (amount == nullptr) return bad_request("missing_field", "amount is required", "amount");
  auto text = number_text(*amount, "amount");
  if (!text) return text.error();
  r.numbers = amount->is_number();
  // Down: the order never spends more than asked.
  auto parsed = core::parse_amount(cut_number(*amount, std::move(*text), r.input.decimals()).text, r.input.decimals());
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
    // Down, to whole basis points: the protection is never looser than asked.
    auto bps = core::parse_bps_fraction(cut_number(*slippage, std::move(*s), 4).text);
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
  const int out_decimals = sniper ? core::kNewTokenDecimals : r.output.decimals();
  auto waiting = waiting_fields(
      r, out_decimals,
      WaitingFields{min_amount_out, limit_price, max_price, expires_at, slippage != nullptr || slippage_bps != nullptr},
      now);
  if (!waiting) return waiting.error();
  // The snake_case spelling is the service's whose clients still send it,
  // and it took 1% to 50%: its clients count on a refusal below
  // (docs/clients.md). Left out, the slippage is oee's default.
  const bool slippage_given = slippage != nullptr || slippage_bps != nullptr;
  if (r.snake_case && slippage_given && r.slippage_bps < kMinSnakeCaseSlippageBps) {
    return bad_request("invalid_slippage",
                       "max_slippage is a fraction between 0.01 and 0.5 in the snake_case spelling, as the service "
                       "it comes from took it; for a tighter one send slippage in the camelCase spelling",
                       slippage != nullptr ? "slippage" : "slippageBps");
  }
  if (r.order_type != core::OrderType::market && !recurring) r.slippage_bps = 0;
  if (recurring) {
    auto terms = parse_recurring(r.amount, r.input, RecurringFields{slices, interval, min_price, max_price, catch_up});
    if (!terms) return terms.error();
    r.recurring = *terms;
  }
  if (sniper) {
    auto c = checks_field(checks, r.input);
    if (!c) return c.error();
    r.checks = *c;
    // The symbol is well-formed: only the cap refuses it here.
    const auto target = core::TokenId::name(target_symbol, kMaxNamedTokens);
    if (!target) {
      return ApiError{503, "too_many_tokens", "too many new tokens are watched for; try again later", "targetToken"};
    }
    r.output = *target;
  }
  return r;
}

}  // namespace oee::api
