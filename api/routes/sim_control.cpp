#include "api/routes/sim_control.h"

#include <algorithm>
#include <initializer_list>

#include <fmt/format.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include "api/http/responses.h"
#include "api/http/strict_json.h"
#include "api/routes/submit_request.h"
#include "core/domain/sim_clock.h"
#include "projections/order_rows.h"

namespace oee::api {

namespace json = boost::json;

namespace {

// Who may steer the simulation, or read its clock: --sim-control, and a
// client on this machine.
std::optional<ApiError> control_refusal(const App& app, const HttpRequest& req) {
  if (app.sim_changes == nullptr) {
    return ApiError{404, "not_found", "the simulation is steered only with --sim-control", ""};
  }
  if (!req.peer.is_loopback()) {
    return ApiError{403, "loopback_only", "the simulated market is steered from this machine only", ""};
  }
  return std::nullopt;
}

// The checks every steering request passes: --sim-control, a client on
// this machine, a JSON object with only the route's fields.
boost::system::result<json::object, ApiError> control_body(App& app, const HttpRequest& req,
                                                           std::initializer_list<std::string_view> fields) {
  if (auto refused = control_refusal(app, req)) return *refused;
  if (!is_json_content_type(req.content_type)) {
    return ApiError{415, "unsupported_media_type", "send JSON with Content-Type: application/json", ""};
  }
  auto body = parse_json_strict(req.body);
  if (!body) return body.error();
  if (!body->is_object()) return bad_request("invalid_body", "the body must be a JSON object", "");
  for (const auto& kv : body->get_object()) {
    if (std::find(fields.begin(), fields.end(), kv.key()) == fields.end()) {
      return bad_request("unknown_field", fmt::format("unknown field '{}'", std::string_view(kv.key())),
                         std::string(kv.key()));
    }
  }
  return std::move(body->get_object());
}

// `venue`: one venue, or left out for both.
boost::system::result<std::vector<core::Venue>, ApiError> venues_field(const json::object& o) {
  std::vector<core::Venue> venues(std::begin(core::kAllVenues), std::end(core::kAllVenues));
  if (const auto* v = o.if_contains("venue")) {
    const auto venue = v->is_string() ? core::parse_venue(v->get_string()) : std::nullopt;
    if (!venue) return bad_request("invalid_venue", "venue is raydium or meteora (or left out: both)", "venue");
    venues = {*venue};
  }
  return venues;
}

boost::system::result<bool, ApiError> flag_field(const json::object& o, std::string_view name, bool otherwise) {
  const auto* v = o.if_contains(name);
  if (v == nullptr) return otherwise;
  if (!v->is_bool()) return bad_request("invalid_" + std::string(name), std::string(name) + " is true or false", std::string(name));
  return v->get_bool();
}

// A decimal amount field in `decimals`; `code` names its error.
boost::system::result<core::Amount, ApiError> decimal_field(const json::object& o, const std::string& name,
                                                            int decimals) {
  const auto* v = o.if_contains(name);
  if (v == nullptr) return bad_request("missing_field", name + " is required", name);
  auto text = number_text(*v, name);
  if (!text) return text.error();
  auto parsed = core::parse_amount(*text, decimals);
  if (!parsed) return bad_request("invalid_" + name, fmt::format("{} {}", name, core::describe(parsed.error())), name);
  return *parsed;
}

json::object launch_json(const core::Launch& l) {
  const int token_dec = l.token.decimals(), quote_dec = l.quote.decimals();
  return json::object{
      {"dex", core::venue_name(l.venue)},
      {"launch", l.number},
      {"launchedAt", l.launched_at.value / 1'000'000},
      {"reserveToken", core::format_amount(l.token_reserve, token_dec)},
      {"reserveQuote", core::format_amount(l.quote_reserve, quote_dec)},
      {"price", core::format_ratio(l.quote_reserve.base, quote_dec, l.token_reserve.base, token_dec)},
      {"mintRenounced", l.mint_renounced},
      {"freezeAuthority", l.freeze_authority}};
}

}  // namespace

HttpResponse set_sim_price(App& app, const HttpRequest& req) {
  auto o = control_body(app, req, {"venue", "pair", "price"});
  if (!o) return error_response(o.error());
  auto venues = venues_field(*o);
  if (!venues) return error_response(venues.error());
  const auto* pair = o->if_contains("pair");
  if (pair == nullptr || !pair->is_string()) {
    return error_response(bad_request("invalid_pair", "pair is BASE/QUOTE, such as SOL/USDC", "pair"));
  }
  const std::string_view pair_text = pair->get_string();
  const auto slash = pair_text.find('/');
  const auto base = core::TokenId::parse(pair_text.substr(0, slash));
  const auto quote = slash == std::string_view::npos ? std::nullopt : core::TokenId::parse(pair_text.substr(slash + 1));
  if (!base || !quote || !app.market.has_pair(base->token(), quote->token())) {
    return error_response(bad_request("invalid_pair", fmt::format("no pool lists the pair '{}'", pair_text), "pair"));
  }
  if (!base->listed() || !quote->listed()) {
    return error_response(bad_request("invalid_pair", "a launched pool keeps the price it launched with", "pair"));
  }
  const auto* price = o->if_contains("price");
  if (price == nullptr) return error_response(bad_request("missing_field", "price is required", "price"));
  const auto text = number_text(*price, "price");
  if (!text) return error_response(text.error());
  auto price_e12 = core::parse_amount(*text, core::kPriceDecimals);
  if (!price_e12) {
    return error_response(bad_request("invalid_price", fmt::format("price {}", core::describe(price_e12.error())), "price"));
  }
  json::array pools;
  for (core::Venue v : *venues) {
    if (const auto set = app.sim_changes->set_price(core::PriceSetting{v, *base, *quote, price_e12->base}); !set) {
      if (set.error() == core::PriceError::not_recorded) {
        return error_response(ApiError{503, "unavailable", "the price could not be kept; try again later", ""});
      }
      return error_response(bad_request("invalid_price", "this price would empty the pool", "price"));
    }
    const auto pool = app.market.pool(v, base->token(), quote->token(), core::sim_time_point());
    pools.push_back(json::object{
        {"dex", core::venue_name(v)},
        {"reserveBase", core::format_amount(pool->reserve_in, base->decimals())},
        {"reserveQuote", core::format_amount(pool->reserve_out, quote->decimals())},
        {"price", core::format_ratio(pool->reserve_out.base, quote->decimals(), pool->reserve_in.base,
                                     base->decimals())}});
  }
  if (app.executor != nullptr) app.executor->poke();
  return json_response(200, json::object{{"pair", pair_text}, {"pools", std::move(pools)}});
}


HttpResponse launch_sim_pool(App& app, const HttpRequest& req) {
  auto o = control_body(app, req,
                        {"token", "venue", "quoteToken", "liquidity", "price", "mintRenounced", "freezeAuthority"});
  if (!o) return error_response(o.error());
  const auto* token_value = o->if_contains("token");
  if (token_value == nullptr) return error_response(bad_request("missing_field", "token is required", "token"));
  if (!token_value->is_string() || !core::is_token_symbol(token_value->get_string())) {
    return error_response(bad_request("invalid_token", "token is a symbol: 2 to 10 letters or digits", "token"));
  }
  const std::string_view symbol = token_value->get_string();
  if (const auto known = core::TokenId::parse(symbol); known && known->listed()) {
    return error_response(bad_request("invalid_token", fmt::format("{} is listed: it has its pools", symbol), "token"));
  }
  auto venues = venues_field(*o);
  if (!venues) return error_response(venues.error());
  core::TokenId quote = core::token_id("SOL");
  if (const auto* q = o->if_contains("quoteToken")) {
    const auto parsed = q->is_string() ? core::TokenId::parse(q->get_string()) : std::nullopt;
    if (!parsed || !parsed->listed()) {
      return error_response(bad_request("invalid_quote_token", "quoteToken is a listed token, such as SOL or USDC",
                                        "quoteToken"));
    }
    quote = *parsed;
  }
  auto liquidity = decimal_field(*o, "liquidity", quote.decimals());
  if (!liquidity) return error_response(liquidity.error());
  auto price = decimal_field(*o, "price", core::kPriceDecimals);
  if (!price) return error_response(price.error());
  auto renounced = flag_field(*o, "mintRenounced", true);
  if (!renounced) return error_response(renounced.error());
  auto freeze = flag_field(*o, "freezeAuthority", false);
  if (!freeze) return error_response(freeze.error());

  // The pool holds `liquidity` of the quote token and what it buys at `price`.
  const auto token_reserve =
      core::amount_at_max_price(*liquidity, quote.decimals(), price->base, core::kNewTokenDecimals);
  if (!token_reserve) {
    return error_response(bad_request("invalid_price", fmt::format("price {}", core::describe(token_reserve.error())),
                                      "price"));
  }
  // Named only once the whole request is valid; the symbol is well-formed,
  // so only the cap refuses it here.
  const auto named = core::TokenId::name(symbol, kMaxNamedTokens);
  if (!named) return error_response(ApiError{503, "too_many_tokens", "too many new tokens; try again later", "token"});
  const core::TokenId token = *named;
  // Both venues launch or neither: a venue taken already refuses the whole
  // request.
  std::vector<core::Launch> asked;
  for (core::Venue v : *venues) {
    asked.push_back(core::Launch{.token = token,
                                 .quote = quote,
                                 .venue = v,
                                 .token_reserve = *token_reserve,
                                 .quote_reserve = *liquidity,
                                 .mint_renounced = *renounced,
                                 .freeze_authority = *freeze});
  }
  const auto launched = app.sim_changes->launch(std::move(asked));
  if (!launched) {
    const core::LaunchError e = launched.error();
    const std::string why(core::describe(e));
    if (e == core::LaunchError::already_launched) return error_response(ApiError{409, "already_launched", why, "venue"});
    if (e == core::LaunchError::not_recorded) {
      return error_response(ApiError{503, "unavailable", why + ": the disk or the cluster did not take it; try again later", ""});
    }
    return error_response(bad_request("invalid_launch", why, "liquidity"));
  }
  json::array launches;
  for (const core::Launch& l : *launched) launches.push_back(launch_json(l));
  if (app.executor != nullptr) app.executor->poke();
  return json_response(200, json::object{{"token", token.symbol()},
                                         {"quoteToken", quote.symbol()},
                                         {"launches", std::move(launches)}});
}

namespace {

// The longest advance one request may ask for: a day. The watcher looks
// every --watch-interval of simulated time, so a day is 864,000 looks at
// the default; a longer wait is several requests.
constexpr std::int64_t kMaxAdvanceMs = 24LL * 3600 * 1000;

json::object clock_json(TimestampNs now) {
  return json::object{{"now", projections::rfc3339(now)}, {"nowMs", now.value / 1'000'000}};
}

}  // namespace

HttpResponse sim_clock_status(App& app, const HttpRequest& req) {
  if (auto refused = control_refusal(app, req)) return error_response(*refused);
  auto body = clock_json(core::sim_now());
  body["clock"] = app.sim_clock != nullptr ? "virtual" : "wall";
  if (app.sim_clock != nullptr) body["pendingTimers"] = app.sim_clock->pending();
  return json_response(200, std::move(body));
}

boost::asio::awaitable<HttpResponse> advance_sim_clock(App& app, const HttpRequest& req) {
  auto o = control_body(app, req, {"advanceMs"});
  if (!o) co_return error_response(o.error());
  if (app.sim_clock == nullptr || app.sim_clock_runner == nullptr) {
    co_return error_response(ApiError{409, "clock_not_virtual",
                                      "the simulation runs on the wall clock; start with --sim-clock virtual to move "
                                      "time by hand",
                                      ""});
  }
  const auto* v = o->if_contains("advanceMs");
  if (v == nullptr) co_return error_response(bad_request("missing_field", "advanceMs is required", "advanceMs"));
  const auto ms = v->if_int64();
  if (ms == nullptr || *ms < 0 || *ms > kMaxAdvanceMs) {
    co_return error_response(bad_request(
        "invalid_advance", fmt::format("advanceMs is a whole number of milliseconds, 0 to {}", kMaxAdvanceMs),
        "advanceMs"));
  }
  // Off the network threads: an advance waits for the engine after each
  // timer it fires.
  core::VirtualClock& clock = *app.sim_clock;
  const std::int64_t by = *ms;
  auto advanced = co_await boost::asio::co_spawn(
      app.sim_clock_runner->get_executor(),
      [&clock, &by]() -> boost::asio::awaitable<core::VirtualClock::Advanced> {
        co_return clock.advance(std::chrono::milliseconds(by));
      },
      boost::asio::use_awaitable);
  auto body = clock_json(advanced.now);
  body["clock"] = "virtual";
  body["fired"] = advanced.fired;
  body["settled"] = advanced.settled;
  body["pendingTimers"] = clock.pending();
  co_return json_response(200, std::move(body));
}

}  // namespace oee::api
