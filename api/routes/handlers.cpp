#include "api/routes/handlers.h"

#include <charconv>
#include <map>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "api/http/request_target.h"
#include "api/http/responses.h"
#include "api/http/strict_json.h"
#include "api/routes/dead_letter_handlers.h"
#include "api/routes/history_handlers.h"
#include "api/routes/pages/pages.h"
#include "api/routes/status_handlers.h"
#include "api/routes/submit_request.h"
#include "core/domain/router.h"
#include "core/engine/async_append.h"
#include "core/wire/event_codec.h"
#include "core/wire/status_json.h"
#include "core/wire/status_message.h"

namespace oee::api {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

bool is_json_content_type(std::string_view ct) {
  if (ct.empty()) return true;  // curl without -H; the body must still parse as JSON
  const auto semi = ct.find(';');
  std::string_view media = ct.substr(0, semi);
  while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
  return media == "application/json" || media.ends_with("+json");
}

// In the body's spelling: clients written for a snake_case service read
// order_id.
json::object submit_answer(const SubmitRequest& order, const OrderId& id, std::string_view status, Seq seq,
                           bool replay) {
  json::object answer{{order.snake_case ? "order_id" : "orderId", id.str()}, {"status", status}, {"seq", seq.value}};
  if (replay) answer[order.snake_case ? "idempotent_replay" : "idempotentReplay"] = true;
  return answer;
}

asio::awaitable<HttpResponse> submit(App& app, const HttpRequest& req) {
  if (!is_json_content_type(req.content_type)) {
    co_return error_response(ApiError{415, "unsupported_media_type",
                                      "send the order as JSON with Content-Type: application/json", ""});
  }
  const auto body = parse_json_strict(req.body);
  if (!body) co_return error_response(body.error());
  auto parsed = parse_submit(*body);
  if (!parsed) co_return error_response(parsed.error());
  const SubmitRequest& order = *parsed;
  if (!app.market.has_pair(order.input.token(), order.output.token())) {
    co_return error_response(ApiError{400, "no_route",
                                      fmt::format("no venue lists a pool for {}/{}", order.input.symbol(),
                                                  order.output.symbol()),
                                      "outputToken"});
  }
  if (req.idempotency_key.size() > 256) {
    co_return error_response(
        ApiError{400, "invalid_idempotency_key", "Idempotency-Key is limited to 256 characters", "Idempotency-Key"});
  }

  const eventlog::IdempotencyClaim claim{req.idempotency_key, order.fingerprint()};
  const OrderId id = OrderId::random();
  const core::OrderEvent event =
      core::OrderSubmitted{.order_type = order.order_type,
                           .input_token = order.input,
                           .output_token = order.output,
                           .amount_in = order.amount,
                           .slippage_bps = order.slippage_bps,
                           .idempotency_key = req.idempotency_key};
  const core::OrderState initial;
  auto appended = co_await core::async_append(app.store, id, initial, event,
                                              req.idempotency_key.empty() ? nullptr : &claim);
  if (!appended) co_return log_unavailable(app.log, appended.error());

  if (appended->existing) {
    const auto& existing = *appended->existing;
    if (existing.fingerprint != order.fingerprint()) {
      co_return error_response(ApiError{409, "idempotency_key_reused",
                                        "this Idempotency-Key was used for a different order", "Idempotency-Key"});
    }
    auto loaded = app.store.load(existing.order);
    if (!loaded || !*loaded) co_return log_unavailable(loaded ? make_error_code(eventlog::Errc::corrupted)
                                                              : loaded.error());
    co_return json_response(200, submit_answer(order, existing.order, core::status_name((*loaded)->state.status),
                                               (*loaded)->last_seq, true));
  }
  co_return json_response(202, submit_answer(order, id, "pending", appended->seq, false));
}

HttpResponse get_order(App& app, const OrderId& id) {
  auto loaded = app.store.load(id);
  if (!loaded) return log_unavailable(loaded.error());
  if (!*loaded) return not_found("no order with id " + id.str(), "orderId");
  return json_response(200, core::order_json(id, (*loaded)->state, (*loaded)->last_seq));
}

HttpResponse get_events(App& app, const OrderId& id, const RequestTarget& t) {
  boost::system::result<std::uint64_t, ApiError> from = 0;
  if (auto text = query_param(t, "fromSeq")) from = parse_from_seq(*text);
  if (!from) return error_response(from.error());
  auto records = read_known_order(app.log, id, Seq{*from});
  if (!records) return log_unavailable(records.error());
  if (!*records) return not_found("no order with id " + id.str(), "orderId");
  // Each event as the stream sends it, written straight into the body.
  std::string body = R"({"orderId":")" + id.str() + R"(","events":[)";
  bool terminal = false;
  for (const auto& r : **records) {
    if (&r != &(*records)->front()) body.push_back(',');
    if (!core::append_status_json(body, r, core::StatusJsonHead::message)) {
      body += core::status_message_text(r);  // undecodable: the message says so
      continue;
    }
    terminal = terminal || core::is_terminal_event(r.type);
  }
  body += terminal ? R"(],"terminal":true})" : R"(],"terminal":false})";
  return HttpResponse{200, std::move(body), "application/json", {}};
}

HttpResponse get_quote(App& app, const RequestTarget& t) {
  auto in_name = param(t, {"inputToken", "tokenIn", "token_in"});
  auto out_name = param(t, {"outputToken", "tokenOut", "token_out"});
  auto amount_text = param(t, {"amount", "amountIn", "amount_in"});
  if (!in_name) return error_response(ApiError{400, "missing_field", "inputToken is required", "inputToken"});
  if (!out_name) return error_response(ApiError{400, "missing_field", "outputToken is required", "outputToken"});
  if (!amount_text) return error_response(ApiError{400, "missing_field", "amount is required", "amount"});
  json::object body{{"inputToken", *in_name}, {"outputToken", *out_name}, {"amount", *amount_text}};
  auto parsed = parse_submit(body);
  if (!parsed) return error_response(parsed.error());
  core::Router router(app.market);
  auto route = router.route(parsed->input.token(), parsed->output.token(), parsed->amount, std::chrono::system_clock::now());
  if (!route) {
    return error_response(ApiError{400, "no_route", "no venue can fill this order", "outputToken"});
  }
  const int out_dec = parsed->output.decimals(), in_dec = parsed->input.decimals();
  json::array quotes;
  for (const auto& q : route->quotes) {
    quotes.push_back(json::object{{"dex", core::venue_name(q.venue)},
                                  {"amountOut", core::format_amount(q.amount_out, out_dec)},
                                  {"price", core::format_ratio(q.amount_out.base, out_dec, q.amount_in.base, in_dec)},
                                  {"fee", core::bps_fraction(q.fee_bps)},
                                  {"priceImpact", core::bps_fraction(q.price_impact_bps)}});
  }
  return json_response(200, json::object{{"inputToken", parsed->input.symbol()},
                                         {"outputToken", parsed->output.symbol()},
                                         {"amountIn", core::format_amount(parsed->amount, in_dec)},
                                         {"quotes", std::move(quotes)},
                                         {"dex", core::venue_name(route->best.venue)},
                                         {"amountOut", core::format_amount(route->best.amount_out, out_dec)}});
}

HttpResponse test_page() {
  const Page* page = find_page("test");
  if (page == nullptr) return not_found("this server was built without its test page");
  return HttpResponse{200, std::string(page->html), "text/html; charset=utf-8", {}};
}

}  // namespace

Router core_router(App& app) {
  // A route about one order, named by the path's third segment:
  // `answer(id, target)` returns the answer or an awaitable of it.
  auto for_order = [](auto answer) -> RestHandler {
    return [answer](const HttpRequest&, const RequestTarget& t) -> asio::awaitable<HttpResponse> {
      auto id = order_id_param(t.segments[2]);
      if (!id) co_return error_response(id.error());
      if constexpr (std::is_same_v<decltype(answer(*id, t)), HttpResponse>) {
        co_return answer(*id, t);
      } else {
        auto response = co_await answer(*id, t);  // not `co_return co_await`: [gcc12-coro]
        co_return response;
      }
    };
  };
  auto submit_order = [&app](const HttpRequest& req, const RequestTarget&) { return submit(app, req); };
  auto dead_letters = [&app](bool stats) -> RestHandler {
    return [&app, stats](const HttpRequest&, const RequestTarget& t) -> asio::awaitable<HttpResponse> {
      const auto limit = limit_param(t, 100, 1000);
      if (!limit) co_return error_response(limit.error());
      if (app.history == nullptr) co_return list_dead_letters(app, *limit, stats);
      auto response = co_await projected_dead_letters(app, *limit, stats);
      co_return response;
    };
  };
  auto dismiss_all = [&app](const HttpRequest&, const RequestTarget&) { return dismiss_all_dead_letters(app); };
  auto status = at_once([&app](const HttpRequest&, const RequestTarget&) { return health(app); });

  Router router;
  // Aliases are the reference clients' spellings: /order for the submit
  // path, failed-orders for the dead-letter list, clear and clear/failed
  // for dismissing every dead letter.
  router.on("POST", "api/orders/execute", submit_order)
      .on("POST", "order", submit_order)
      .on("GET", "api/orders", [&app](const HttpRequest&, const RequestTarget& t) { return list_orders(app, t); })
      .on("GET", "api/orders/*",
          for_order([&app](const OrderId& id, const RequestTarget&) { return get_order(app, id); }))
      .on("GET", "api/orders/*/events",
          for_order([&app](const OrderId& id, const RequestTarget& t) { return get_events(app, id, t); }))
      .on("POST", "api/dlq/*/retry",
          for_order([&app](const OrderId& id, const RequestTarget&) { return retry_dead_letter(app, id); }))
      .on("DELETE", "api/dlq/clear", dismiss_all)
      .on("DELETE", "api/dlq/clear/failed", dismiss_all)
      .on("GET", "api/dlq", dead_letters(false))
      .on("GET", "api/dlq/failed-orders", dead_letters(false))
      .on("GET", "api/dlq/stats", dead_letters(true))
      .on("DELETE", "api/dlq/*",
          for_order([&app](const OrderId& id, const RequestTarget&) { return dismiss_dead_letter(app, id); }))
      .on("GET", "api/quote", at_once([&app](const HttpRequest&, const RequestTarget& t) { return get_quote(app, t); }))
      .on("GET", "test", at_once([](const HttpRequest&, const RequestTarget&) { return test_page(); }))
      .on("GET", "", status)
      .on("GET", "health", status)
      .on("GET", "metrics", at_once([&app](const HttpRequest&, const RequestTarget&) { return metrics(app); }));
  add_order_streams(router);
  return router;
}

}  // namespace oee::api
