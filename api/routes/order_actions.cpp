#include "api/routes/order_actions.h"

#include "api/routes/order_answer.h"

#include <limits>

#include <fmt/format.h>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include "api/http/api_error.h"
#include "api/http/responses.h"
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

HttpResponse answer_cancel(const App& app, const OrderId& id, const core::CancelAnswer& answer) {
  using Outcome = core::CancelAnswer::Outcome;
  switch (answer.outcome) {
    case Outcome::cancelled:
      return json_response(200, with_partition(core::order_json(id, answer.order->state, answer.order->last_seq),
                                               app.log, id));
    case Outcome::too_late: return error_response(ApiError{409, "too_late", answer.error, "orderId"});
    case Outcome::unavailable: break;
  }
  return error_response(ApiError{503, "unavailable",
                                 "the cancel could not be confirmed (" + answer.error +
                                     "): GET the order to see where it stands, or try again",
                                 ""});
}

// On a cluster node that does not execute the order: the cancel is
// appended here. The log takes it only if nothing of the order came since
// it was read; if something did, the order is read again and judged again.
asio::awaitable<HttpResponse> cancel_here(App& app, const OrderId& id, core::OrderSnapshot seen) {
  constexpr int kTries = 5;
  std::string last_error = "the order kept moving";
  for (int i = 0; i < kTries; ++i) {
    if (!core::is_cancellable(seen.state)) co_return answer_cancel(app, id, core::cancel_answer_for(seen));
    const core::OrderEvent event = core::Cancelled{seen.state.attempt, std::string(core::kCancelledByOwner)};
    auto appended = co_await core::async_append(app.store, id, seen.state, event, nullptr);
    auto now = app.store.load(id);
    if (!now || !*now) co_return log_unavailable(app.log, now ? make_error_code(eventlog::Errc::corrupted) : now.error());
    if (appended) co_return answer_cancel(app, id, core::CancelAnswer{core::CancelAnswer::Outcome::cancelled, **now, {}});
    last_error = appended.error().message();
    if ((*now)->last_seq == seen.last_seq) co_return log_unavailable(app.log, appended.error());
    seen = std::move(**now);
  }
  co_return answer_cancel(app, id, core::CancelAnswer{core::CancelAnswer::Outcome::unavailable, seen, last_error});
}

// A cluster node executes some partitions or none: the book of every
// partition is gathered from the open orders every node follows.
eventlog::Result<core::BookView> book_of_every_partition(App& app, core::TokenId input, core::TokenId output,
                                                         std::size_t max_levels) {
  core::LimitBook book;
  for (std::uint32_t p = 0; p < app.log.partition_count(); ++p) {
    auto active = app.log.partition(p).members(eventlog::OrderSet::active, std::numeric_limits<std::size_t>::max());
    if (!active) return active.error();
    for (const OrderId& id : *active) {
      auto held = app.store.load(id);
      if (!held) return held.error();
      if (!*held) continue;  // finished since it was listed
      const core::OrderState& state = (*held)->state;
      if (state.status != core::Status::open || state.input_token != input || state.output_token != output) continue;
      book.add(core::book_order_of(id, state, (*held)->last_seq));
    }
  }
  return core::BookView{book.levels(input, output, max_levels), book.count(input, output)};
}

}  // namespace

asio::awaitable<HttpResponse> cancel_order(App& app, const OrderId& id, const Principal& caller) {
  auto loaded = app.store.load(id);
  if (!loaded) co_return log_unavailable(loaded.error());
  if (!*loaded || !caller.sees((*loaded)->state.owner)) co_return not_found("no order with id " + id.str(), "orderId");
  // A cluster node's executor of the order's partition, held while the
  // cancel is asked (the partition may move meanwhile); none: appended here.
  std::shared_ptr<core::Executor> owner;
  if (app.executor_of) {
    owner = app.executor_of(id);
    if (!owner) co_return co_await cancel_here(app, id, **loaded);
  }
  core::Executor* runs_it = owner ? owner.get() : app.executor;
  if (runs_it == nullptr) co_return no_executor();
  core::Executor& executor = *runs_it;
  const core::OrderSnapshot& seen = **loaded;
  const core::CancelAnswer answer = co_await ask_executor<core::CancelAnswer>(
      [&executor, &seen](std::function<void(core::CancelAnswer)> done) { executor.cancel(seen, std::move(done)); });
  co_return answer_cancel(app, id, answer);
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
