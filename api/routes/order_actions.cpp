#include "api/routes/order_actions.h"

#include <fmt/format.h>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include "api/http/responses.h"
#include "api/http/strict_json.h"
#include "api/routes/submit_request.h"
#include "core/wire/status_message.h"

namespace oee::api {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

// Asks the executor's thread: `ask(done)` hands it a callback that it runs
// there; the handler goes on on its own thread.
template <class Answer, class Ask>
asio::awaitable<Answer> ask_executor(Ask ask) {
  auto initiation = [ask = std::move(ask)](auto handler) mutable {
    auto ex = asio::get_associated_executor(handler);
    auto shared = std::make_shared<decltype(handler)>(std::move(handler));
    ask([shared, ex](Answer answer) {
      asio::post(ex, [shared, answer = std::move(answer)]() mutable { std::move(*shared)(std::move(answer)); });
    });
  };
  return asio::async_initiate<const asio::use_awaitable_t<>, void(Answer)>(std::move(initiation),
                                                                         asio::use_awaitable);
}


HttpResponse no_executor() {
  return error_response(ApiError{503, "unavailable", "this server executes no orders", ""});
}

}  // namespace

asio::awaitable<HttpResponse> cancel_order(App& app, const OrderId& id, const Principal& caller) {
  auto loaded = app.store.load(id);
  if (!loaded) co_return log_unavailable(loaded.error());
  if (!*loaded || !caller.sees((*loaded)->state.owner)) co_return not_found("no order with id " + id.str(), "orderId");
  if (app.executor == nullptr) co_return no_executor();
  core::Executor& executor = *app.executor;
  const core::OrderSnapshot& seen = **loaded;
  const core::CancelAnswer answer = co_await ask_executor<core::CancelAnswer>(
      [&executor, &seen](std::function<void(core::CancelAnswer)> done) { executor.cancel(seen, std::move(done)); });
  using Outcome = core::CancelAnswer::Outcome;
  switch (answer.outcome) {
    case Outcome::cancelled:
      co_return json_response(200, core::order_json(id, answer.order->state, answer.order->last_seq));
    case Outcome::too_late: co_return error_response(ApiError{409, "too_late", answer.error, "orderId"});
    case Outcome::unavailable: break;
  }
  co_return error_response(ApiError{503, "unavailable",
                                    "the cancel could not be confirmed (" + answer.error +
                                        "): GET the order to see where it stands, or try again",
                                    ""});
}

asio::awaitable<HttpResponse> get_book(App& app, std::string_view input, std::string_view output) {
  const auto in = core::TokenId::parse(input);
  const auto out = core::TokenId::parse(output);
  if (!in) co_return error_response(bad_request("unknown_token", fmt::format("unknown token '{}'", input), "inputToken"));
  if (!out) co_return error_response(bad_request("unknown_token", fmt::format("unknown token '{}'", output), "outputToken"));
  if (app.executor == nullptr) co_return no_executor();
  constexpr std::size_t kMaxLevels = 100;
  core::Executor& executor = *app.executor;
  const core::BookView view = co_await ask_executor<core::BookView>(
      [&executor, in = *in, out = *out](std::function<void(core::BookView)> done) {
        executor.book(in, out, kMaxLevels, std::move(done));
      });
  const int in_dec = in->decimals(), out_dec = out->decimals();
  json::array levels;
  for (const auto& level : view.levels) {
    levels.push_back(json::object{
        {"price", core::format_ratio(level.min_out.base, out_dec, level.amount_in.base, in_dec)},
        {"orders", level.orders},
        {"amountIn", core::format_amount(level.total_in, in_dec)}});
  }
  co_return json_response(200, json::object{{"inputToken", in->symbol()},
                                            {"outputToken", out->symbol()},
                                            {"orders", view.orders},
                                            {"levels", std::move(levels)}});
}

HttpResponse set_sim_price(App& app, const HttpRequest& req) {
  if (app.sim_market == nullptr) return not_found("the market is steered only with --sim-control");
  if (!req.peer.is_loopback()) {
    return error_response(ApiError{403, "loopback_only", "the simulated market is steered from this machine only", ""});
  }
  if (!is_json_content_type(req.content_type)) {
    return error_response(ApiError{415, "unsupported_media_type", "send JSON with Content-Type: application/json", ""});
  }
  const auto body = parse_json_strict(req.body);
  if (!body) return error_response(body.error());
  if (!body->is_object()) return error_response(bad_request("invalid_body", "the body must be a JSON object", ""));
  const auto& o = body->get_object();
  for (const auto& kv : o) {
    if (kv.key() != "venue" && kv.key() != "pair" && kv.key() != "price") {
      return error_response(bad_request("unknown_field", fmt::format("unknown field '{}'", std::string_view(kv.key())),
                                std::string(kv.key())));
    }
  }
  std::vector<core::Venue> venues(std::begin(core::kAllVenues), std::end(core::kAllVenues));
  if (const auto* v = o.if_contains("venue")) {
    const auto venue = v->is_string() ? core::parse_venue(v->get_string()) : std::nullopt;
    if (!venue) return error_response(bad_request("invalid_venue", "venue is raydium or meteora (or left out: both)", "venue"));
    venues = {*venue};
  }
  const auto* pair = o.if_contains("pair");
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
  const auto* price = o.if_contains("price");
  if (price == nullptr) return error_response(bad_request("missing_field", "price is required", "price"));
  auto text = number_text(*price, "price");
  if (!text) return error_response(text.error());
  auto price_e12 = core::parse_amount(*text, core::kPriceDecimals);
  if (!price_e12) {
    return error_response(bad_request("invalid_price", fmt::format("price {}", core::describe(price_e12.error())), "price"));
  }
  json::array pools;
  for (core::Venue v : venues) {
    if (!app.sim_market->pin_price(v, base->token(), quote->token(), price_e12->base)) {
      return error_response(bad_request("invalid_price", "this price would empty the pool", "price"));
    }
    const auto pool = app.market.pool(v, base->token(), quote->token(), std::chrono::system_clock::now());
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

}  // namespace oee::api
