#include "api/routes/handlers.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <map>

#include <boost/json.hpp>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <boost/uuid/name_generator_sha1.hpp>
#include <boost/uuid/string_generator.hpp>
#include <fmt/format.h>

#include "api/dashboard/dashboard.h"
#include "api/http/request_target.h"
#include "api/http/responses.h"
#include "api/http/strict_json.h"
#include "api/routes/as_of.h"
#include "api/routes/dead_letter_handlers.h"
#include "api/routes/history_handlers.h"
#include "api/routes/key_handlers.h"
#include "api/routes/order_actions.h"
#include "api/routes/order_answer.h"
#include "api/routes/pages/pages.h"
#include "api/routes/sim_control.h"
#include "api/routes/status_handlers.h"
#include "api/routes/submit_request.h"
#include "api/stream/stream_source.h"
#include "core/domain/router.h"
#include "core/domain/sim_clock.h"
#include "core/engine/async_append.h"
#include "core/wire/event_codec.h"
#include "core/wire/status_json.h"
#include "core/wire/status_message.h"
#include "projections/order_rows.h"  // rfc3339

namespace oee::api {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

// A keyed order's id is the key's (UUIDv5): the same key sent to two nodes
// of a cluster names one order, whose first event the log takes once.
OrderId keyed_order_id(std::string_view scoped_key) {
  static const boost::uuids::uuid kNamespace =
      boost::uuids::string_generator()("4f8b1e1c-5d3a-4c39-9a57-0e0e5b7d2a61");  // oee's idempotency keys
  const auto u = boost::uuids::name_generator_sha1(kNamespace)(scoped_key.data(), scoped_key.size());
  OrderId::Bytes bytes{};
  std::copy(u.begin(), u.end(), bytes.begin());
  return OrderId(bytes);
}

// The answer to a submit, in the body's spelling (clients written for a
// snake_case service read order_id): the order's id, status and seq, and
// what it uses after a JSON number's rounding, as decimal strings, or as
// JSON numbers with the same digits to a client that sent numbers.
HttpResponse submit_answer(int code, const App& app, const SubmitRequest& order, const OrderId& id,
                           std::string_view status, Seq seq, bool replay) {
  json::object answer{{order.snake_case ? "order_id" : "orderId", id.str()}, {"status", status}, {"seq", seq.value}};
  if (replay) answer[order.snake_case ? "idempotent_replay" : "idempotentReplay"] = true;
  std::vector<std::pair<std::string, std::string>> used{
      {order.snake_case ? "amount_in" : "amount", core::format_amount(order.amount, order.input.decimals())}};
  if (order.order_type == core::OrderType::market) {
    used.emplace_back(order.snake_case ? "max_slippage" : "slippage", core::bps_fraction(order.slippage_bps));
  } else {
    used.emplace_back(order.snake_case ? "min_amount_out" : "minAmountOut",
                      core::format_amount(order.min_amount_out, order.output.decimals()));
  }
  for (const auto& [name, text] : used) answer[name] = text;
  std::string body = json::serialize(with_partition(std::move(answer), app.log, id));
  if (order.numbers) {
    // Decimal strings are plain digits: written bare, they are the same number.
    for (const auto& [name, text] : used) {
      const std::string quoted = "\"" + name + "\":\"" + text + "\"";
      if (const auto at = body.find(quoted); at != std::string::npos) {
        body.replace(at, quoted.size(), "\"" + name + "\":" + text);
      }
    }
  }
  return HttpResponse{code, std::move(body), "application/json", {}};
}

bool launched_everywhere(const std::vector<core::Launch>& launches) {
  return std::all_of(std::begin(core::kAllVenues), std::end(core::kAllVenues), [&](core::Venue v) {
    return std::any_of(launches.begin(), launches.end(), [v](const core::Launch& l) { return l.venue == v; });
  });
}

ApiError already_launched(const core::Launch& l) {
  return ApiError{409, "already_launched",
                  fmt::format("{} has launched on every venue, first at {} on {} (launch {}, pool {} {} / {} {}): a "
                              "sniper buys a launch, and none is left to come; trade the token with a market order",
                              l.token.symbol(), projections::rfc3339(l.launched_at), core::venue_name(l.venue),
                              l.number, core::format_amount(l.token_reserve, l.token.decimals()), l.token.symbol(),
                              core::format_amount(l.quote_reserve, l.quote.decimals()), l.quote.symbol()),
                  "targetToken"};
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
  // A sniper's pool is yet to launch.
  if (order.order_type != core::OrderType::sniper && !app.market.has_pair(order.input.token(), order.output.token())) {
    co_return error_response(ApiError{400, "no_route",
                                      fmt::format("no venue lists a pool for {}/{}", order.input.symbol(),
                                                  order.output.symbol()),
                                      "outputToken"});
  }
  if (req.idempotency_key.size() > 256) {
    co_return error_response(
        ApiError{400, "invalid_idempotency_key", "Idempotency-Key is limited to 256 characters", "Idempotency-Key"});
  }

  // Idempotency keys are each API key's own: two keys' "k1" are two orders.
  const auto owner = req.principal.owner();
  const std::string scoped_key = owner ? owner->str() + ":" + req.idempotency_key : req.idempotency_key;
  // A sniper buys a token's launch. A token launches once per venue: once
  // it has on every venue, a sniper for it would wait for ever. (A retry of
  // a sniper accepted before that is still answered with its order, below.)
  if (order.order_type == core::OrderType::sniper) {
    if (const auto launched = app.market.launches_of(order.output); launched_everywhere(launched)) {
      const bool replay = !req.idempotency_key.empty() && [&] {
        const auto claimed = app.log.idempotency(scoped_key);
        return claimed && claimed->has_value();
      }();
      if (!replay) co_return error_response(already_launched(launched.front()));
    }
  }
  const eventlog::IdempotencyClaim claim{scoped_key, order.fingerprint()};
  const OrderId id = req.idempotency_key.empty() ? app.new_order_id() : keyed_order_id(scoped_key);
  const core::OrderEvent event =
      core::OrderSubmitted{.order_type = order.order_type,
                           .input_token = order.input,
                           .output_token = order.output,
                           .amount_in = order.amount,
                           .slippage_bps = order.slippage_bps,
                           .idempotency_key = req.idempotency_key,
                           .owner = owner,
                           .min_amount_out = order.min_amount_out,
                           .expires_at = order.expires_at,
                           .checks = order.checks};
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
    co_return submit_answer(200, app, order, existing.order, core::status_name((*loaded)->state.status),
                            (*loaded)->last_seq, true);
  }
  // The snake_case services' clients take only 200 for an accepted order
  // (docs/clients.md): answered in their spelling, they get it.
  co_return submit_answer(order.snake_case ? 200 : 202, app, order, id, "pending", appended->seq, false);
}

HttpResponse get_order(App& app, const OrderId& id, const Principal& viewer) {
  auto loaded = app.store.load(id);
  if (!loaded) return log_unavailable(loaded.error());
  // Another key's order is as absent as one that never was.
  if (!*loaded || !viewer.sees((*loaded)->state.owner)) return not_found("no order with id " + id.str(), "orderId");
  return json_response(200, with_partition(core::order_json(id, (*loaded)->state, (*loaded)->last_seq), app.log, id));
}

// A gateway (holding the admin key) asks on behalf of the API key its
// subscriber holds: asKey answers as that key would be answered.
boost::system::result<Principal, ApiError> acting_as(const App& app, const RequestTarget& t,
                                                     const Principal& caller) {
  const auto as_key = query_param(t, "asKey");
  if (!as_key) return caller;
  if (caller.kind != Principal::Kind::admin) {
    return ApiError{403, "forbidden", "only the admin key may ask on behalf of another key", "asKey"};
  }
  const auto key = core::KeyId::parse(*as_key);
  if (!key) return ApiError{400, "invalid_key_id", "asKey is a key id (a UUID)", "asKey"};
  // A key that no longer works (or never did) sees nothing, whatever the
  // gateway that asks still believes.
  const auto known = app.keys.get(*key);
  if (!known || !known->live_at(TimestampNs::now())) return Principal{};
  return Principal{Principal::Kind::key, *key, core::Scopes(static_cast<std::uint8_t>(core::Scope::orders_read)), {},
                   {}};
}

HttpResponse get_events(App& app, const OrderId& id, const RequestTarget& t, const Principal& caller) {
  boost::system::result<std::uint64_t, ApiError> from = 0;
  if (auto text = query_param(t, "fromSeq")) from = parse_from_seq(*text);
  if (!from) return error_response(from.error());
  const auto viewer = acting_as(app, t, caller);
  if (!viewer) return error_response(viewer.error());
  auto records = read_known_order(app.log, id, Seq{*from}, *viewer);
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

// Every order's events in seq order, a page at a time (`next` is the
// fromSeq of the next page); `newest=true` gives the last `limit` of them.
// In a cluster's log, positions go partition by partition (p:seq,...) and
// `head` is each partition's last seq.
HttpResponse list_events(App& app, const RequestTarget& t, const Principal& caller) {
  eventlog::Position after(app.log.partitioned());
  if (auto text = query_param(t, "fromSeq")) {
    auto from = parse_position(*text, app.log.partitioned(), app.log.partition_count());
    if (!from) return error_response(from.error());
    after = std::move(*from);
  }
  const auto limit = limit_param(t, 1000, kMaxEventPage);
  if (!limit) return error_response(limit.error());
  bool newest = false;
  if (auto text = query_param(t, "newest")) {
    if (*text != "true" && *text != "false") {
      return error_response(ApiError{400, "invalid_newest", "newest is true or false", "newest"});
    }
    newest = *text == "true";
  }
  const auto viewer = acting_as(app, t, caller);
  if (!viewer) return error_response(viewer.error());
  const auto page = read_events(app.log, after, *limit, newest, *viewer);
  if (!page) return log_unavailable(page.error());
  std::string body = R"({"events":[)";
  for (const auto& r : page->records) {
    if (&r != &page->records.front()) body.push_back(',');
    if (!core::append_status_json(body, r, core::StatusJsonHead::message)) body += core::status_message_text(r);
  }
  if (!app.log.partitioned()) {
    body += fmt::format(R"(],"first":{},"next":{},"head":{}}})", page->before.at(0).value + 1,
                        page->last.at(0).value + 1, page->head.at(0).value);
    return HttpResponse{200, std::move(body), "application/json", {}};
  }
  json::array head;
  for (std::uint32_t p = 0; p < app.log.partition_count(); ++p) head.push_back(page->head.at(p).value);
  body += fmt::format(R"(],"first":"{}","next":"{}","head":{}}})", page->before.next_text(), page->last.next_text(),
                      json::serialize(head));
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
  auto route = router.route(parsed->input.token(), parsed->output.token(), parsed->amount, core::sim_time_point());
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

HttpResponse api_description() {
  const auto all = api_descriptions();
  return HttpResponse{200, std::string(all.front().text), "application/json", {}};
}

// A CSP source for an inline element: 'sha256-<base64 of its text's hash>'.
std::string inline_source(std::string_view page, std::string_view tag) {
  const auto open = page.find(fmt::format("<{}", tag));
  const auto start = open == std::string_view::npos ? open : page.find('>', open);
  const auto end = start == std::string_view::npos ? start : page.find(fmt::format("</{}>", tag), start);
  if (end == std::string_view::npos) return "'none'";
  const auto text = page.substr(start + 1, end - start - 1);
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest.data());
  std::array<unsigned char, 4 * ((SHA256_DIGEST_LENGTH + 2) / 3) + 1> base64{};
  const int n = EVP_EncodeBlock(base64.data(), digest.data(), static_cast<int>(digest.size()));
  return fmt::format("'sha256-{}'", std::string_view(reinterpret_cast<const char*>(base64.data()), static_cast<std::size_t>(n)));
}

HttpResponse test_page() {
  const EmbeddedFile* page = find_embedded(pages(), "test");
  if (page == nullptr) return not_found("this server was built without its test page");
  // Its own inline script and style run, by their hashes, and nothing
  // else; it talks to its own origin only, and no other site may frame it.
  static const std::string policy = fmt::format(
      "default-src 'none'; script-src {}; style-src {}; connect-src 'self'; img-src 'self' data:; "
      "frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
      inline_source(page->text, "script"), inline_source(page->text, "style"));
  return HttpResponse{200,
                      std::string(page->text),
                      "text/html; charset=utf-8",
                      {},
                      {{"Content-Security-Policy", policy}, {"X-Content-Type-Options", "nosniff"}}};
}

}  // namespace

Router core_router(App& app) {
  // A route about one order, named by the path's third segment:
  // `answer(id, request, target)` returns the answer or an awaitable of it.
  auto for_order = [](auto answer) -> RestHandler {
    return [answer](const HttpRequest& req, const RequestTarget& t) -> asio::awaitable<HttpResponse> {
      auto id = order_id_param(t.segments[2]);
      if (!id) co_return error_response(id.error());
      if constexpr (std::is_same_v<decltype(answer(*id, req, t)), HttpResponse>) {
        co_return answer(*id, req, t);
      } else {
        auto response = co_await answer(*id, req, t);  // not `co_return co_await`: [gcc12-coro]
        co_return response;
      }
    };
  };
  auto submit_order = [&app](const HttpRequest& req, const RequestTarget&) { return submit(app, req); };
  auto dead_letters = [&app](bool stats) -> RestHandler {
    return [&app, stats](const HttpRequest& req, const RequestTarget& t) -> asio::awaitable<HttpResponse> {
      const auto limit = limit_param(t, 100, 1000);
      if (!limit) co_return error_response(limit.error());
      const auto only = req.principal.lists_orders_of();
      if (app.history == nullptr) co_return list_dead_letters(app, *limit, stats, only);
      auto response = co_await projected_dead_letters(app, *limit, stats, only);
      co_return response;
    };
  };
  auto dismiss_all = [&app](const HttpRequest& req, const RequestTarget&) {
    return dismiss_all_dead_letters(app, req.principal.lists_orders_of());
  };
  auto status = at_once([&app](const HttpRequest& req, const RequestTarget&) {
    return health(app, req.principal.sees_everything());
  });
  auto cancel = [&app](const OrderId& id, const HttpRequest& req, const RequestTarget&) {
    return cancel_order(app, id, req.principal);
  };

  Router router(app.auth, &app.server.limits);
  // Aliases are the reference clients' spellings: /order for the submit
  // path, failed-orders for the dead-letter list, clear and clear/failed
  // for dismissing every dead letter.
  // The order list, the dead-letter list and its actions hold an API key's
  // own orders; the admin key's (and anyone's with authentication off)
  // hold every order.
  router.on("POST", "api/orders/execute", kOrderWrites, submit_order)
      .on("POST", "order", kOrderWrites, submit_order)
      .on("GET", "api/orders", kOrderReads,
          [&app](const HttpRequest& req, const RequestTarget& t) -> asio::awaitable<HttpResponse> {
            if (query_param(t, "asOf")) co_return list_as_of(app, t, req.principal);
            auto response = co_await list_orders(app, t, req.principal.lists_orders_of());  // [gcc12-coro]
            co_return response;
          })
      .on("GET", "api/events", kOrderReads,
          at_once([&app](const HttpRequest& req, const RequestTarget& t) { return list_events(app, t, req.principal); }))
      .on("GET", "api/orders/*", kOrderReads, for_order([&app](const OrderId& id, const HttpRequest& req, const RequestTarget& t) {
            const auto as_of = as_of_param(t, app.log.partition(app.log.partition_of(id)));
            if (!as_of) return error_response(as_of.error());
            if (*as_of) return order_as_of(app, id, **as_of, req.principal);
            return get_order(app, id, req.principal);
          }))
      .on("DELETE", "api/orders/*", kOrderWrites, for_order(cancel))
      .on("POST", "api/orders/*/cancel", kOrderWrites, for_order(cancel))
      .on("GET", "api/orders/*/events", kOrderReads, for_order([&app](const OrderId& id, const HttpRequest& req, const RequestTarget& t) {
            return get_events(app, id, t, req.principal);
          }))
      .on("POST", "api/dlq/*/retry", kOrderWrites,
          for_order([&app](const OrderId& id, const HttpRequest& req, const RequestTarget&) {
            return retry_dead_letter(app, id, req.principal.lists_orders_of());
          }))
      .on("DELETE", "api/dlq/clear", kOrderWrites, dismiss_all)
      .on("DELETE", "api/dlq/clear/failed", kOrderWrites, dismiss_all)
      .on("GET", "api/dlq", kOrderReads, dead_letters(false))
      .on("GET", "api/dlq/failed-orders", kOrderReads, dead_letters(false))
      .on("GET", "api/dlq/stats", kOrderReads, dead_letters(true))
      .on("DELETE", "api/dlq/*", kOrderWrites,
          for_order([&app](const OrderId& id, const HttpRequest& req, const RequestTarget&) {
            return dismiss_dead_letter(app, id, req.principal.lists_orders_of());
          }))
      .on("POST", "api/keys", kKeyAdmin, [&app](const HttpRequest& req, const RequestTarget&) { return create_key(app, req); })
      .on("GET", "api/keys", kKeyAdmin, at_once([&app](const HttpRequest&, const RequestTarget&) { return list_keys(app); }))
      .on("GET", "api/keys/events", kAdminKey,
          at_once([&app](const HttpRequest&, const RequestTarget&) { return list_key_events(app); }))
      .on("DELETE", "api/keys/*", kKeyAdmin, [&app](const HttpRequest&, const RequestTarget& t) -> asio::awaitable<HttpResponse> {
            auto id = order_id_param(t.segments[2]);
            if (!id) co_return error_response(ApiError{400, "invalid_key_id", "a key id is a UUID", "id"});
            const auto cascade = query_param(t, "cascade");
            if (cascade && *cascade != "true" && *cascade != "false") {
              co_return error_response(ApiError{400, "invalid_cascade", "cascade is true or false", "cascade"});
            }
            auto response = co_await revoke_key(app, *id, cascade == "true");  // not `co_return co_await`: [gcc12-coro]
            co_return response;
          })
      .on("GET", "api/quote", kOrderReads,
          at_once([&app](const HttpRequest&, const RequestTarget& t) { return get_quote(app, t); }))
      .on("GET", "api/book/*/*", kOrderReads,
          [&app](const HttpRequest&, const RequestTarget& t) -> asio::awaitable<HttpResponse> {
            auto response = co_await get_book(app, t.segments[2], t.segments[3]);  // [gcc12-coro]
            co_return response;
          })
      .on("POST", "api/sim/prices", kAdminKey,
          at_once([&app](const HttpRequest& req, const RequestTarget&) { return set_sim_price(app, req); }))
      .on("POST", "api/sim/launches", kAdminKey,
          at_once([&app](const HttpRequest& req, const RequestTarget&) { return launch_sim_pool(app, req); }))
      .on("GET", "api/sim/clock", kAdminKey,
          at_once([&app](const HttpRequest& req, const RequestTarget&) { return sim_clock_status(app, req); }))
      .on("POST", "api/sim/clock", kAdminKey,
          [&app](const HttpRequest& req, const RequestTarget&) -> asio::awaitable<HttpResponse> {
            auto response = co_await advance_sim_clock(app, req);  // [gcc12-coro]
            co_return response;
          })
      .on("GET", "api/cluster", kAdminKey,
          at_once([&app](const HttpRequest&, const RequestTarget&) { return cluster_status(app); }))
      .on("GET", "openapi.json", kAnyone, at_once([](const HttpRequest&, const RequestTarget&) { return api_description(); }))
      .on("GET", "test", kAnyone, at_once([](const HttpRequest&, const RequestTarget&) { return test_page(); }))
      .on("GET", "", kAnyone, at_once([&app](const HttpRequest& req, const RequestTarget&) {
            return for_browsers_or_not(req, [&app, &req] { return health(app, req.principal.sees_everything()); });
          }))
      .on("GET", "health", kAnyone, status)
      .on("GET", "api/stats", kOrderReads, at_once([&app](const HttpRequest& req, const RequestTarget&) {
            return recent_stats(app, req.principal.sees_everything());
          }))
      .on("GET", "metrics", kMetrics,
          at_once([&app](const HttpRequest&, const RequestTarget&) { return metrics(app); }));
  add_order_streams(router);
  add_dashboard_files(router);
  return router;
}

}  // namespace oee::api
