#include "api/routes/submit_handler.h"

#include <string>
#include <vector>

#include <boost/json.hpp>
#include <boost/uuid/name_generator_sha1.hpp>
#include <boost/uuid/string_generator.hpp>
#include <fmt/format.h>

#include "api/http/responses.h"
#include "api/http/strict_json.h"
#include "api/routes/off_network.h"
#include "api/routes/submit_answer.h"
#include "api/routes/submit_request.h"
#include "core/engine/async_append.h"
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
// snake_case service read order_id).
HttpResponse submit_answer(int code, const App& app, const SubmitRequest& order, const OrderId& id,
                           std::string_view status, Seq seq, bool replay) {
  const auto partition = app.log.partitioned() ? std::optional(app.log.partition_of(id).value) : std::nullopt;
  return HttpResponse{code, submit_answer_body(order, id, status, seq, replay, partition), "application/json", {}};
}

// The body read into an order. Its JSON values are needed only for that:
// they are built in an arena on the stack, not one by one on the heap.
boost::system::result<SubmitRequest, ApiError> read_order(const App& app, std::string_view text) {
  unsigned char arena[2048];
  json::monotonic_resource resource(arena, sizeof arena);
  const auto body = parse_json_strict(text, &resource);
  if (!body) return body.error();
  return parse_submit(*body, core::sim_now(), app.default_pair);
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

}  // namespace

asio::awaitable<HttpResponse> submit(App& app, const HttpRequest& req) {
  if (!is_json_content_type(req.content_type)) {
    co_return error_response(ApiError{415, "unsupported_media_type",
                                      "send the order as JSON with Content-Type: application/json", ""});
  }
  auto parsed = read_order(app, req.body);
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
  const eventlog::IdempotencyClaim claim{scoped_key, order.fingerprint()};
  const OrderId id = req.idempotency_key.empty() ? app.new_order_id() : keyed_order_id(scoped_key);
  // A sniper buys a token's launch. A token launches once per venue: once
  // it has on every venue, a sniper for it would wait for ever. (A retry of
  // a sniper accepted before that, its key's order, is still answered with
  // its order, below.)
  if (order.order_type == core::OrderType::sniper) {
    if (const auto launched = app.market.launches_of(order.output); launched_everywhere(launched)) {
      bool replay = false;
      if (!req.idempotency_key.empty()) {
        const auto held = co_await load_off_network(app, id);
        replay = held && *held;
      }
      if (!replay) co_return error_response(already_launched(launched.front()));
    }
  }
  // A recurring order schedules its children: a key holds a bounded number
  // of them (a retry of one it holds is answered as the order it is).
  const bool capped = order.order_type == core::OrderType::recurring && owner && app.recurring_count != nullptr;
  const std::optional<RecurringCount::Slot> recurring_slot =
      capped ? app.recurring_count->reserve(*owner) : std::optional<RecurringCount::Slot>();
  if (capped && !recurring_slot) {
    bool replay = false;
    if (!req.idempotency_key.empty()) {
      const auto held = co_await load_off_network(app, id);
      replay = held && *held;
    }
    if (!replay) {
      co_return error_response(ApiError{
          429, "too_many_recurring",
          fmt::format("this API key and the keys made under the same key as it have {} active recurring orders, as "
                      "many as they may have together (--max-recurring-per-key); cancel one or wait until one ends",
                      app.recurring_count->max()),
          "type"});
    }
  }
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
                           .checks = order.checks,
                           .recurring = order.recurring};
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
    auto loaded = co_await load_off_network(app, existing.order);
    if (!loaded || !*loaded) co_return log_unavailable(loaded ? make_error_code(eventlog::Errc::corrupted)
                                                              : loaded.error());
    co_return submit_answer(200, app, order, existing.order, core::status_name((*loaded)->state.status),
                            (*loaded)->last_seq, true);
  }
  // The snake_case services' clients take only 200 for an accepted order
  // (docs/clients.md): answered in their spelling, they get it.
  co_return submit_answer(order.snake_case ? 200 : 202, app, order, id, "pending", appended->seq, false);
}

}  // namespace oee::api
