#include "api/routes/history_handlers.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "api/http/responses.h"
#include "api/routes/order_lists.h"
#include "api/routes/time_text.h"
#include "core/domain/order.h"
#include "core/domain/tokens.h"
#include "projections/history.h"
#include "projections/projector.h"

namespace oee::api {

namespace asio = boost::asio;

namespace {

HttpResponse bad(std::string code, std::string message, std::string field) {
  return error_response(ApiError{400, std::move(code), std::move(message), std::move(field)});
}

// "market, limit, sniper".
std::string order_type_names() {
  std::string names;
  for (core::OrderType t : {core::OrderType::market, core::OrderType::limit, core::OrderType::sniper}) {
    if (!names.empty()) names += ", ";
    names += core::order_type_name(t);
  }
  return names;
}

HttpResponse unavailable(const std::string& why) {
  return error_response(ApiError{503, "postgres_unavailable",
                                 "order history is temporarily unavailable (PostgreSQL: " + why +
                                     "); single orders are still at /api/orders/{id}",
                                 ""});
}

HttpResponse projection_disabled() {
  return error_response(ApiError{503, "projection_disabled",
                                 "the order history list needs PostgreSQL: start oee-server with --database-url "
                                 "(or DATABASE_URL); single orders are at /api/orders/{id}",
                                 ""});
}

// Runs a blocking PostgreSQL call on the blocking pool and resumes here.
// The callable captures references only: [gcc12-coro].
template <class F>
asio::awaitable<HttpResponse> off_thread(App& app, F f) {
  if (app.projector != nullptr) {
    const auto st = app.projector->status();
    // Its rows are another log's orders: answering from them would be wrong.
    if (st.foreign_log) co_return error_response(ApiError{503, "projection_of_another_log", st.last_error, ""});
  }
  auto op = asio::co_spawn(
      app.blocking->get_executor(),
      [f]() -> asio::awaitable<HttpResponse> {
        try {
          co_return f();
        } catch (const std::exception& e) {
          spdlog::warn("history query failed: {}", e.what());
          co_return unavailable(e.what());
        }
      },
      asio::use_awaitable);
  auto response = co_await std::move(op);
  co_return response;
}

}  // namespace

asio::awaitable<HttpResponse> list_orders(App& app, const RequestTarget& target, std::optional<OrderId> only) {
  if (app.history == nullptr) co_return projection_disabled();
  const auto& params = target.params;
  projections::HistoryFilter filter;
  filter.owner = only;
  static constexpr std::string_view kKnown[] = {"status", "type",  "inputToken", "outputToken",
                                                "since",  "until", "limit",      "cursor"};
  for (const auto& [key, value] : params) {
    if (std::find(std::begin(kKnown), std::end(kKnown), key) == std::end(kKnown)) {
      co_return bad("unknown_parameter", fmt::format("unknown query parameter '{}'", key), key);
    }
  }
  if (auto it = params.find("status"); it != params.end()) {
    filter.status = core::parse_status(it->second);
    if (!filter.status) co_return bad("invalid_status", "status is one of " + core::status_names(), "status");
  }
  if (auto it = params.find("type"); it != params.end()) {
    filter.order_type = core::parse_order_type(it->second);
    if (!filter.order_type) co_return bad("invalid_type", "type is one of " + order_type_names(), "type");
  }
  for (auto [name, slot] : {std::pair{"inputToken", &filter.input_token}, std::pair{"outputToken", &filter.output_token}}) {
    if (auto it = params.find(name); it != params.end()) {
      *slot = core::TokenId::parse(it->second);
      if (!*slot) co_return bad("unknown_token", fmt::format("unknown token '{}'", it->second), name);
    }
  }
  for (auto [name, slot] : {std::pair{"since", &filter.since_ns}, std::pair{"until", &filter.until_ns}}) {
    if (auto it = params.find(name); it != params.end()) {
      *slot = parse_time(it->second);
      if (!*slot) {
        co_return bad(std::string("invalid_") + name,
                      fmt::format("{} is an RFC 3339 time (2026-11-22T07:00:00Z) or epoch milliseconds", name),
                      name);
      }
    }
  }
  if (filter.since_ns && filter.until_ns && *filter.since_ns >= *filter.until_ns) {
    co_return bad("invalid_until", "until must be after since", "until");
  }
  auto limit = limit_param(target, filter.limit, 500);
  if (!limit) co_return error_response(limit.error());
  filter.limit = *limit;
  if (auto it = params.find("cursor"); it != params.end()) {
    if (!projections::decode_cursor(it->second)) {
      co_return bad("invalid_cursor", "cursor must be a nextCursor value from a previous page", "cursor");
    }
    filter.cursor = it->second;
  }
  const projections::HistoryFilter& f = filter;
  auto* history = app.history;
  auto response = co_await off_thread(app, [history, &f]() {
    auto page = history->list(f);
    if (!page) return bad("invalid_cursor", "cursor must be a nextCursor value from a previous page", "cursor");
    return json_response(200, order_page_json(page->orders, page->next_cursor, page->children));
  });
  co_return response;
}

asio::awaitable<HttpResponse> projected_dead_letters(App& app, std::size_t limit, bool stats,
                                                     std::optional<OrderId> only) {
  auto* history = app.history;
  auto response = co_await off_thread(app, [history, limit, stats, only]() {
    if (!stats) return json_response(200, order_list_json(history->dead_letters(limit, only)));
    DeadLetterTally tally;
    for (const auto& e : history->dead_letter_errors(only)) tally.add(e.error, e.count);
    return json_response(200, tally.json());
  });
  co_return response;
}

}  // namespace oee::api
