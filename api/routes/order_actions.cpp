#include "api/routes/order_actions.h"

#include <limits>
#include <variant>

#include <fmt/format.h>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include "api/http/api_error.h"
#include "api/http/responses.h"
#include "api/http/strict_json.h"
#include "api/routes/amend_request.h"
#include "api/routes/order_answer.h"
#include "core/domain/limit_book.h"
#include "core/engine/async_append.h"
#include "core/engine/waiting_orders.h"
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

// 409 with the status the order is in, which decided it.
HttpResponse too_late(const std::string& why, const core::OrderState& order) {
  json::object error{{"code", "too_late"},
                     {"message", why},
                     {"field", "orderId"},
                     {"status", core::status_name(order.status)}};
  return json_response(409, json::object{{"error", std::move(error)}});
}

enum class Action { cancel, amend };

HttpResponse answer_action(const App& app, Action action, const core::ActionAnswer& answer) {
  using Outcome = core::ActionAnswer::Outcome;
  switch (answer.outcome) {
    case Outcome::done:
      return json_response(200, order_answer(app.store, app.log, *answer.order));
    case Outcome::too_late: return too_late(answer.error, answer.order->state);
    case Outcome::unavailable: break;
  }
  return error_response(ApiError{503, "unavailable",
                                 fmt::format("the {} could not be confirmed ({}): GET the order to see where it "
                                             "stands, or try again",
                                             action == Action::cancel ? "cancel" : "amendment", answer.error),
                                 ""});
}

// The event a cancel or an amendment appends to the order as `seen`, or
// the answer when it does not apply.
using Decided = std::variant<core::OrderEvent, core::ActionAnswer>;

// On a cluster node that does not execute the order: the cancel or
// amendment is decided here and sent to the partition's owner, which
// appends it only if nothing of the order came since it was read; if
// something did, the order is read again and judged again.
template <class Decide>
asio::awaitable<HttpResponse> act_here(App& app, const OrderId& id, core::OrderSnapshot seen, Action action,
                                       Decide decide) {
  constexpr int kTries = 5;
  std::string last_error = "the order kept moving";
  for (int i = 0; i < kTries; ++i) {
    Decided decided = decide(seen);
    if (auto* answer = std::get_if<core::ActionAnswer>(&decided)) co_return answer_action(app, action, *answer);
    auto appended = co_await core::async_append_on(app.store, seen, std::get<core::OrderEvent>(decided));
    auto now = app.store.load(id);
    if (!now || !*now) co_return log_unavailable(app.log, now ? make_error_code(eventlog::Errc::corrupted) : now.error());
    if (appended) co_return answer_action(app, action, core::ActionAnswer{core::ActionAnswer::Outcome::done, **now, {}});
    last_error = appended.error().message();
    if ((*now)->last_seq == seen.last_seq) co_return log_unavailable(app.log, appended.error());
    seen = std::move(**now);
  }
  co_return answer_action(app, action, core::ActionAnswer{core::ActionAnswer::Outcome::unavailable, seen, last_error});
}

Decided cancel_of(const core::OrderSnapshot& seen) {
  if (!core::is_cancellable(seen.state)) return core::cancel_answer_for(seen);
  return core::OrderEvent{core::Cancelled{seen.state.attempt, std::string(core::kCancelledByOwner)}};
}

Decided amendment_of(const core::OrderSnapshot& seen, const core::Amendment& change) {
  const core::OrderState& s = seen.state;
  if (!core::is_waiting(s.status)) return core::amend_answer_for(seen);
  auto event = core::amend_event(s, change);
  if (!event) return core::ActionAnswer{core::ActionAnswer::Outcome::done, seen, {}};
  return std::move(*event);
}

// Who decides an action on the order: the executor that runs it (a cluster
// node's, for the order's partition, held while it is asked, for the
// partition may move meanwhile), or, on a cluster node that runs none,
// nobody (null: the action is appended here).
struct Decider {
  std::shared_ptr<core::Executor> held;
  core::Executor* executor = nullptr;
  bool here = false;
};
Decider decider_of(App& app, const OrderId& id) {
  Decider d;
  if (app.executor_of) {
    d.held = app.executor_of(id);
    d.here = d.held == nullptr;
  }
  d.executor = d.held ? d.held.get() : app.executor;
  return d;
}

// A cluster node executes some partitions or none: the book of every
// partition is gathered from the open orders every node follows.
eventlog::Result<core::BookView> book_of_every_partition(App& app, core::TokenId input, core::TokenId output,
                                                         std::size_t max_levels) {
  core::LimitBook book;
  auto open = app.store.load_set(eventlog::OrderSet::active, std::numeric_limits<std::size_t>::max());
  if (!open) return open.error();
  for (const core::OrderSnapshot& held : *open) {
    const core::OrderState& state = held.state;
    if (state.status != core::Status::open || state.input_token != input || state.output_token != output) continue;
    book.add(core::book_order_of(held.id, state, held.last_seq));
  }
  return core::BookView{book.levels(input, output, max_levels), book.count(input, output)};
}

// Takes `action` on the order as the caller read it (`seen`): here, on a
// cluster node that runs none of its partition (`decide` judges it), or by
// the executor that runs it (`ask` hands it over).
template <class Decide, class Ask>
asio::awaitable<HttpResponse> act(App& app, const OrderId& id, const core::OrderSnapshot& seen, Action action,
                                  Decide decide, Ask ask) {
  const Decider decider = decider_of(app, id);
  if (decider.here) co_return co_await act_here(app, id, seen, action, decide);
  if (decider.executor == nullptr) co_return no_executor();
  core::Executor& executor = *decider.executor;
  const core::ActionAnswer answer = co_await ask_executor<core::ActionAnswer>(
      [&executor, &ask](std::function<void(core::ActionAnswer)> done) { ask(executor, std::move(done)); });
  co_return answer_action(app, action, answer);
}

}  // namespace

asio::awaitable<HttpResponse> cancel_order(App& app, const OrderId& id, const Principal& caller) {
  auto loaded = app.store.load(id);
  if (!loaded) co_return log_unavailable(loaded.error());
  if (!*loaded || !caller.sees((*loaded)->state.owner)) co_return not_found("no order with id " + id.str(), "orderId");
  const core::OrderSnapshot& seen = **loaded;
  co_return co_await act(app, id, seen, Action::cancel, cancel_of,
                         [&seen](core::Executor& executor, std::function<void(core::ActionAnswer)> done) {
                           executor.cancel(seen, std::move(done));
                         });
}

asio::awaitable<HttpResponse> amend_order(App& app, const OrderId& id, const HttpRequest& req) {
  if (!is_json_content_type(req.content_type)) {
    co_return error_response(ApiError{415, "unsupported_media_type",
                                      "send the amendment as JSON with Content-Type: application/json", ""});
  }
  const auto body = parse_json_strict(req.body);
  if (!body) co_return error_response(body.error());
  auto loaded = app.store.load(id);
  if (!loaded) co_return log_unavailable(loaded.error());
  if (!*loaded || !req.principal.sees((*loaded)->state.owner)) {
    co_return not_found("no order with id " + id.str(), "orderId");
  }
  const core::OrderSnapshot& seen = **loaded;
  if (seen.state.order_type == core::OrderType::market || seen.state.order_type == core::OrderType::recurring) {
    co_return error_response(ApiError{409, "not_amendable",
                                      fmt::format("a {} order has no price or expiry to amend; only a waiting limit "
                                                  "or sniper order has",
                                                  core::order_type_name(seen.state.order_type)),
                                      "orderId"});
  }
  const auto change = parse_amend(*body, seen.state, core::sim_now());
  if (!change) co_return error_response(change.error());
  co_return co_await act(
      app, id, seen, Action::amend, [&change](const core::OrderSnapshot& s) { return amendment_of(s, *change); },
      [&seen, &change](core::Executor& executor, std::function<void(core::ActionAnswer)> done) {
        executor.amend(seen, *change, std::move(done));
      });
}

asio::awaitable<HttpResponse> get_book(App& app, std::string_view input, std::string_view output) {
  const auto in = core::TokenId::parse(input);
  const auto out = core::TokenId::parse(output);
  if (!in) co_return error_response(bad_request("unknown_token", fmt::format("unknown token '{}'", input), "inputToken"));
  if (!out) co_return error_response(bad_request("unknown_token", fmt::format("unknown token '{}'", output), "outputToken"));
  constexpr std::size_t kMaxLevels = 100;
  core::BookView view;
  if (app.executor != nullptr) {
    core::Executor& executor = *app.executor;
    view = co_await ask_executor<core::BookView>(
        [&executor, in = *in, out = *out](std::function<void(core::BookView)> done) {
          executor.book(in, out, kMaxLevels, std::move(done));
        });
  } else if (app.log.partitioned()) {
    auto read = book_of_every_partition(app, *in, *out, kMaxLevels);
    if (!read) co_return log_unavailable(app.log, read.error());
    view = std::move(*read);
  } else {
    co_return no_executor();
  }
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

}  // namespace oee::api
