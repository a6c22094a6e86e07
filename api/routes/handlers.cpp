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
  if (!app.market.has_pair(*order.input, *order.output)) {
    co_return error_response(ApiError{400, "no_route",
                                      fmt::format("no venue lists a pool for {}/{}", order.input->symbol,
                                                  order.output->symbol),
                                      "outputToken"});
  }
  if (req.idempotency_key.size() > 256) {
    co_return error_response(
        ApiError{400, "invalid_idempotency_key", "Idempotency-Key is limited to 256 characters", "Idempotency-Key"});
  }

  const eventlog::IdempotencyClaim claim{req.idempotency_key, order.fingerprint()};
  const OrderId id = OrderId::random();
  const core::OrderEvent event = core::OrderSubmitted{order.order_type, std::string(order.input->symbol),
                                                      std::string(order.output->symbol), order.amount,
                                                      order.slippage_bps, req.idempotency_key};
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

HttpResponse get_order(App& app, std::string_view id_text) {
  auto id = order_id_param(id_text);
  if (!id) return error_response(id.error());
  auto loaded = app.store.load(*id);
  if (!loaded) return log_unavailable(loaded.error());
  if (!*loaded) return not_found("no order with id " + id->str(), "orderId");
  return json_response(200, core::order_json(*id, (*loaded)->state, (*loaded)->last_seq));
}

HttpResponse get_events(App& app, std::string_view id_text, const RequestTarget& t) {
  auto id = order_id_param(id_text);
  if (!id) return error_response(id.error());
  boost::system::result<std::uint64_t, ApiError> from = 0;
  if (auto text = query_param(t, "fromSeq")) from = parse_from_seq(*text);
  if (!from) return error_response(from.error());
  auto records = read_known_order(app.log, *id, Seq{*from});
  if (!records) return log_unavailable(records.error());
  if (!*records) return not_found("no order with id " + id->str(), "orderId");
  // Each event as the stream sends it, written straight into the body.
  std::string body = R"({"orderId":")" + id->str() + R"(","events":[)";
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
  auto route = router.route(*parsed->input, *parsed->output, parsed->amount, std::chrono::system_clock::now());
  if (!route) {
    return error_response(ApiError{400, "no_route", "no venue can fill this order", "outputToken"});
  }
  const int out_dec = parsed->output->decimals, in_dec = parsed->input->decimals;
  json::array quotes;
  for (const auto& q : route->quotes) {
    quotes.push_back(json::object{{"dex", core::venue_name(q.venue)},
                                  {"amountOut", core::format_amount(q.amount_out, out_dec)},
                                  {"price", core::format_ratio(q.amount_out.base, out_dec, q.amount_in.base, in_dec)},
                                  {"fee", core::bps_fraction(q.fee_bps)},
                                  {"priceImpact", core::bps_fraction(q.price_impact_bps)}});
  }
  return json_response(200, json::object{{"inputToken", parsed->input->symbol},
                                         {"outputToken", parsed->output->symbol},
                                         {"amountIn", core::format_amount(parsed->amount, in_dec)},
                                         {"quotes", std::move(quotes)},
                                         {"dex", core::venue_name(route->best.venue)},
                                         {"amountOut", core::format_amount(route->best.amount_out, out_dec)}});
}

}  // namespace

asio::awaitable<HttpResponse> handle_request(App& app, const HttpRequest& req) {
  app.server.http_requests.fetch_add(1, std::memory_order_relaxed);
  auto target = parse_request_target(req.target);
  if (!target) co_return error_response(target.error());
  const auto& seg = target->segments;
  const bool get = req.method == "GET" || req.method == "HEAD";
  const bool post = req.method == "POST";
  const bool del = req.method == "DELETE";

  auto route_is = [&](std::initializer_list<std::string_view> path) {
    if (seg.size() != path.size()) return false;
    std::size_t i = 0;
    for (auto p : path) {
      if (p != "*" && seg[i] != p) return false;
      ++i;
    }
    return true;
  };

  if (route_is({"api", "orders", "execute"}) || route_is({"order"})) {
    if (!post) co_return method_not_allowed("POST");
    auto response = co_await submit(app, req);  // not `co_return co_await`: GCC 12 bug
    co_return response;
  }
  if (route_is({"api", "orders"})) {
    if (!get) co_return method_not_allowed("GET");
    auto response = co_await list_orders(app, *target);
    co_return response;
  }
  if (route_is({"api", "orders", "*"})) {
    if (!get) co_return method_not_allowed("GET");
    co_return get_order(app, seg[2]);
  }
  if (route_is({"api", "orders", "*", "events"})) {
    if (!get) co_return method_not_allowed("GET");
    co_return get_events(app, seg[2], *target);
  }
  if (route_is({"api", "dlq", "*", "retry"})) {
    if (!post) co_return method_not_allowed("POST");
    auto id = order_id_param(seg[2]);
    if (!id) co_return error_response(id.error());
    auto response = co_await retry_dead_letter(app, *id);
    co_return response;
  }
  // clear and clear/failed: the reference DLQ dashboard's spellings; both
  // dismiss every dead letter.
  if (route_is({"api", "dlq", "clear"}) || route_is({"api", "dlq", "clear", "failed"})) {
    if (!del) co_return method_not_allowed("DELETE");
    auto response = co_await dismiss_all_dead_letters(app);
    co_return response;
  }
  // failed-orders: the reference DLQ dashboard's spelling of the list.
  if (route_is({"api", "dlq"}) || route_is({"api", "dlq", "failed-orders"}) || route_is({"api", "dlq", "stats"})) {
    if (!get) co_return method_not_allowed("GET");
    const bool stats = seg.size() == 3 && seg[2] == "stats";
    if (app.history != nullptr) {
      auto response = co_await projected_dead_letters(app, *target, stats);
      co_return response;
    }
    co_return list_dead_letters(app, *target, stats);
  }
  if (route_is({"api", "dlq", "*"})) {
    if (!del) co_return method_not_allowed("DELETE");
    auto id = order_id_param(seg[2]);
    if (!id) co_return error_response(id.error());
    auto response = co_await dismiss_dead_letter(app, *id);
    co_return response;
  }
  if (route_is({"api", "quote"})) {
    if (!get) co_return method_not_allowed("GET");
    co_return get_quote(app, *target);
  }
  if (route_is({"test"})) {
    if (!get) co_return method_not_allowed("GET");
    const Page* page = find_page("test");
    if (page == nullptr) co_return not_found("this server was built without its test page");
    co_return HttpResponse{200, std::string(page->html), "text/html; charset=utf-8", {}};
  }
  if (seg.empty() || route_is({"health"})) {
    if (!get) co_return method_not_allowed("GET");
    co_return health(app);
  }
  if (route_is({"metrics"})) {
    if (!get) co_return method_not_allowed("GET");
    co_return metrics(app);
  }
  co_return not_found("no route for " + req.method + " " + std::string(req.target.substr(0, 200)));
}

}  // namespace oee::api
