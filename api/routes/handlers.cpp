#include "api/routes/handlers.h"

#include <algorithm>
#include <array>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <fmt/format.h>

#include "api/dashboard/dashboard.h"
#include "api/http/request_target.h"
#include "api/http/responses.h"
#include "api/routes/as_of.h"
#include "api/routes/dead_letter_handlers.h"
#include "api/routes/history_handlers.h"
#include "api/routes/key_handlers.h"
#include "api/routes/off_network.h"
#include "api/routes/order_actions.h"
#include "api/routes/order_answer.h"
#include "api/routes/pages/pages.h"
#include "api/routes/sim_control.h"
#include "api/routes/status_handlers.h"
#include "api/routes/submit_handler.h"
#include "api/routes/submit_request.h"
#include "api/stream/stream_source.h"
#include "core/domain/router.h"
#include "core/domain/sim_clock.h"
#include "core/wire/event_codec.h"
#include "core/wire/status_json.h"
#include "core/wire/status_message.h"

namespace oee::api {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

HttpResponse order_not_found(const OrderId& id) { return not_found("no order with id " + id.str(), "orderId"); }

HttpResponse get_order(App& app, const OrderId& id, const Principal& viewer) {
  auto loaded = app.store.load(id);
  if (!loaded) return log_unreadable(loaded.error());
  // Another key's order is as absent as one that never was.
  if (!*loaded || !viewer.sees((*loaded)->state.owner)) return order_not_found(id);
  return json_response(200, order_answer(app.store, app.log, **loaded));
}

// An order as it stood at ?asOf. The asOf is judged only once the order is
// known to be the viewer's (its owner never changes): another key's order,
// like one that never was, tells nothing of where the log ends.
HttpResponse get_order_as_of(App& app, const OrderId& id, const HttpRequest& req, const RequestTarget& t) {
  if (!req.principal.sees_everything()) {
    auto loaded = app.store.load(id);
    if (!loaded) return log_unreadable(loaded.error());
    if (!*loaded || !req.principal.sees((*loaded)->state.owner)) return order_not_found(id);
  }
  // An asOf counts in the order's partition: found first.
  const auto partition = app.log.find_partition(id);
  if (!partition) return log_unavailable(app.log, partition.error());
  const auto as_of = as_of_param(t, app.log.partition(*partition), req.principal.sees_everything());
  if (!as_of) return error_response(as_of.error());
  if (*as_of) return order_as_of(app, id, **as_of, req.principal);
  return get_order(app, id, req.principal);
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
                   {},                                *key, {}};
}

HttpResponse get_events(App& app, const OrderId& id, const RequestTarget& t, const Principal& caller) {
  boost::system::result<std::uint64_t, ApiError> from = 0;
  if (auto text = query_param(t, "fromSeq")) from = parse_from_seq(*text);
  if (!from) return error_response(from.error());
  const auto viewer = acting_as(app, t, caller);
  if (!viewer) return error_response(viewer.error());
  auto records = read_known_order(app.log, id, Seq{*from}, *viewer);
  if (!records) return log_unreadable(records.error());
  if (!*records) return order_not_found(id);
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
// `head` is each partition's last seq (shown to the admin key only).
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
  if (!page) return log_unreadable(page.error());
  std::string body = R"({"events":[)";
  for (const auto& r : page->records) {
    if (&r != &page->records.front()) body.push_back(',');
    if (!core::append_status_json(body, r, core::StatusJsonHead::message)) body += core::status_message_text(r);
  }
  // The log's end says how much the whole market trades: the admin's to
  // see, not an API key's (docs/security.md).
  const bool with_head = caller.sees_everything();
  if (!app.log.partitioned()) {
    constexpr PartitionId only{0};
    body += fmt::format(R"(],"first":{},"next":{})", page->before.at(only).value + 1, page->last.at(only).value + 1);
    if (with_head) body += fmt::format(R"(,"head":{})", page->head.at(only).value);
    body += "}";
    return HttpResponse{200, std::move(body), "application/json", {}};
  }
  body += fmt::format(R"(],"first":"{}","next":"{}")", page->before.next_text(), page->last.next_text());
  if (with_head) {
    json::array head;
    for (const PartitionId p : each_partition(app.log.partition_count())) head.push_back(page->head.at(p).value);
    body += R"(,"head":)" + json::serialize(head);
  }
  body += "}";
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
  // The legs the executor would send now: both venues when a split pays
  // for its second transaction, else the best one.
  json::array legs;
  core::Venue venue = route->best.venue;
  core::Amount total = route->best.amount_out;
  const auto leg = [&](core::Venue venue, core::Amount in, core::Amount out) {
    legs.push_back(json::object{{"venue", core::venue_name(venue)},
                                {"amountIn", core::format_amount(in, in_dec)},
                                {"expectedOut", core::format_amount(out, out_dec)}});
  };
  const auto at = core::sim_time_point();
  const auto fee = router.second_tx_fee(parsed->input.token(), parsed->output.token(), *route, at);
  const auto split = fee ? core::split_worth_it(*route, parsed->amount, *fee, app.split_min_gain_bps) : std::nullopt;
  if (split) {
    // As an order would route it (a quote has no floor to keep).
    const auto split_legs = core::legs_of(*split, std::nullopt, 0);
    for (const auto& l : split_legs) leg(l.venue, l.amount_in, l.expected_out);
    total = split->total_out;
    venue = core::larger_leg_venue(split_legs);
  } else {
    leg(route->best.venue, route->best.amount_in, route->best.amount_out);
  }
  json::object answer{{"inputToken", parsed->input.symbol()},
                      {"outputToken", parsed->output.symbol()},
                      {"amountIn", core::format_amount(parsed->amount, in_dec)},
                      {"quotes", std::move(quotes)},
                      {"dex", core::venue_name(venue)},
                      {"amountOut", core::format_amount(total, out_dec)},
                      {"legs", std::move(legs)}};
  if (split) {
    answer["singleVenueOut"] = core::format_amount(route->best.amount_out, out_dec);
    answer["secondTxFee"] = core::format_amount(*fee, out_dec);
  }
  return json_response(200, std::move(answer));
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
  // Each reads the order from the log: off the network threads
  // (off_network.h).
  auto for_order = [&app](auto answer) -> RestHandler {
    return off_network(app, [answer](const HttpRequest& req, const RequestTarget& t) -> asio::awaitable<HttpResponse> {
      auto id = order_id_param(t.segments[2]);
      if (!id) co_return error_response(id.error());
      if constexpr (std::is_same_v<decltype(answer(*id, req, t)), HttpResponse>) {
        co_return answer(*id, req, t);
      } else {
        auto response = co_await answer(*id, req, t);  // not `co_return co_await`: [gcc12-coro]
        co_return response;
      }
    });
  };
  auto submit_order = [&app](const HttpRequest& req, const RequestTarget&) { return submit(app, req); };
  auto dead_letters = [&app](bool stats) -> RestHandler {
    return off_network(app, [&app, stats](const HttpRequest& req, const RequestTarget& t) -> asio::awaitable<HttpResponse> {
      const auto limit = limit_param(t, 100, 1000);
      if (!limit) co_return error_response(limit.error());
      const auto only = req.principal.lists_orders_of();
      if (app.history == nullptr) co_return list_dead_letters(app, *limit, stats, only);
      auto response = co_await projected_dead_letters(app, *limit, stats, only);
      co_return response;
    });
  };
  auto dismiss_all = off_network(app, [&app](const HttpRequest& req, const RequestTarget&) {
    return dismiss_all_dead_letters(app, req.principal.lists_orders_of());
  });
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
            if (query_param(t, "asOf")) {
              if (app.scans == nullptr) co_return list_as_of(app, t, req.principal);
              // A page reads the log back: off the network threads.
              auto page = co_await asio::co_spawn(
                  app.scans->get_executor(),
                  [&app, &t, &req]() -> asio::awaitable<HttpResponse> {
                    try {
                      co_return list_as_of(app, t, req.principal);
                    } catch (const std::exception& e) {
                      co_return error_response(ApiError{503, "log_unavailable", e.what(), ""});
                    }
                  },
                  asio::use_awaitable);
              co_return page;
            }
            auto response = co_await list_orders(app, t, req.principal.lists_orders_of());  // [gcc12-coro]
            co_return response;
          })
      .on("GET", "api/events", kOrderReads,
          off_network(app, at_once([&app](const HttpRequest& req, const RequestTarget& t) {
                        return list_events(app, t, req.principal);
                      })))
      .on("GET", "api/orders/*", kOrderReads, for_order([&app](const OrderId& id, const HttpRequest& req, const RequestTarget& t) {
            if (!query_param(t, "asOf")) return get_order(app, id, req.principal);
            return get_order_as_of(app, id, req, t);
          }))
      .on("DELETE", "api/orders/*", kOrderWrites, for_order(cancel))
      .on("PATCH", "api/orders/*", kOrderWrites,
          for_order([&app](const OrderId& id, const HttpRequest& req, const RequestTarget&) {
            return amend_order(app, id, req);
          }))
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
      .on("POST", "api/ws-ticket", kOrderReads,
          at_once([&app](const HttpRequest& req, const RequestTarget&) { return issue_ws_ticket(app, req.principal); }))
      .on("GET", "api/keys/events", kAdminKey,
          off_network(app, at_once([&app](const HttpRequest&, const RequestTarget&) { return list_key_events(app); })))
      .on("DELETE", "api/keys/*", kKeyAdmin, off_network(app, [&app](const HttpRequest& req, const RequestTarget& t) -> asio::awaitable<HttpResponse> {
            auto id = order_id_param(t.segments[2]);
            if (!id) co_return error_response(ApiError{400, "invalid_key_id", "a key id is a UUID", "id"});
            const auto cascade = query_param(t, "cascade");
            if (cascade && *cascade != "true" && *cascade != "false") {
              co_return error_response(ApiError{400, "invalid_cascade", "cascade is true or false", "cascade"});
            }
            auto response = co_await revoke_key(app, *id, cascade == "true", req.principal);  // not `co_return co_await`: [gcc12-coro]
            co_return response;
          }))
      .on("GET", "api/quote", kOrderReads,
          at_once([&app](const HttpRequest&, const RequestTarget& t) { return get_quote(app, t); }))
      .on("GET", "api/book/*/*", kOrderReads,
          off_network(app, [&app](const HttpRequest&, const RequestTarget& t) -> asio::awaitable<HttpResponse> {
            auto response = co_await get_book(app, t.segments[2], t.segments[3]);  // [gcc12-coro]
            co_return response;
          }))
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
