#include "api/routes/as_of.h"

#include <algorithm>
#include <charconv>
#include <vector>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "api/http/responses.h"
#include "api/routes/order_answer.h"
#include "core/wire/event_codec.h"
#include "core/wire/status_message.h"

namespace oee::api {

namespace json = boost::json;

namespace {

constexpr std::size_t kScanWindow = 1024;

// The order folded from its events up to `as_of`; nullopt if it had none
// by then.
eventlog::Result<std::optional<core::OrderSnapshot>> fold_until(const eventlog::EventLogReader& log, const OrderId& id,
                                                                Seq as_of) {
  auto records = log.read_order(id);
  if (!records) return records.error();
  core::OrderState state;
  Seq last{0};
  for (const auto& r : *records) {
    if (r.seq > as_of) break;
    try {
      state = core::fold_record(state, r).state;
    } catch (const std::runtime_error&) {
      return make_error_code(eventlog::Errc::corrupted);
    }
    last = r.seq;
  }
  if (last.value == 0) return std::optional<core::OrderSnapshot>{};
  return std::optional<core::OrderSnapshot>(core::OrderSnapshot{id, std::move(state), last});
}

json::object answer_as_of(const App& app, const core::OrderSnapshot& order, Seq as_of) {
  auto answer = with_partition(core::order_json(order.id, order.state, order.last_seq), app.log, order.id);
  answer["asOf"] = as_of.value;
  return answer;
}

}  // namespace

boost::system::result<std::optional<Seq>, ApiError> as_of_param(const RequestTarget& t,
                                                               const eventlog::EventLogReader& log) {
  const auto text = query_param(t, "asOf");
  if (!text) return std::optional<Seq>{};
  std::uint64_t n = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), n);
  if (ec != std::errc{} || end != text->data() + text->size() || n == 0) {
    return ApiError{400, "invalid_as_of", "asOf is the seq of an event (a whole number from 1)", "asOf"};
  }
  const Seq head = log.head();
  if (n > head.value) {
    return ApiError{400, "invalid_as_of", fmt::format("asOf {} is beyond the log's end, seq {}", n, head.value),
                    "asOf"};
  }
  return std::optional<Seq>(Seq{n});
}

HttpResponse order_as_of(App& app, const OrderId& id, Seq as_of, const Principal& viewer) {
  const eventlog::EventLogReader& log = app.log.partition(app.log.partition_of(id));
  if (as_of > log.head()) {
    return error_response(ApiError{400, "invalid_as_of",
                                   fmt::format("asOf {} is beyond the end of the order's log, seq {}", as_of.value,
                                               log.head().value),
                                   "asOf"});
  }
  auto order = fold_until(app.log, id, as_of);
  if (!order) return log_unavailable(order.error());
  if (!*order || !viewer.sees((*order)->state.owner)) {
    return not_found(fmt::format("no order with id {} as of seq {}", id.str(), as_of.value), "orderId");
  }
  return json_response(200, answer_as_of(app, **order, as_of));
}

HttpResponse list_as_of(App& app, const RequestTarget& t, Seq as_of, const Principal& viewer) {
  if (app.log.partitioned()) {
    return error_response(ApiError{400, "invalid_as_of",
                                   "a cluster's list as of a position is not served yet; ask for each order with "
                                   "GET /api/orders/{id}?asOf=SEQ of its partition",
                                   "asOf"});
  }
  for (const auto& [name, value] : t.params) {
    if (name != "asOf" && name != "limit" && name != "before") {
      return error_response(ApiError{400, "unknown_parameter",
                                     fmt::format("with asOf the list takes limit and before only, not {}", name), name});
    }
  }
  const auto limit = limit_param(t, 50, 500);
  if (!limit) return error_response(limit.error());
  Seq end = as_of;
  if (const auto before = query_param(t, "before")) {
    const auto n = parse_from_seq(*before);
    if (!n || *n == 0) return error_response(ApiError{400, "invalid_before", "before is a `next` from a previous page", "before"});
    end = Seq{std::min(as_of.value, *n - 1)};
  }
  // Backwards from `end`, a window at a time, for the newest submissions:
  // a page costs the events back to its oldest order, whatever the log's length.
  std::vector<std::pair<OrderId, Seq>> submitted;
  while (end.value > 0 && submitted.size() < *limit) {
    const Seq from{end.value > kScanWindow ? end.value - kScanWindow + 1 : 1};
    auto window = app.log.read(from, end.value - from.value + 1);
    if (!window) return log_unavailable(window.error());
    for (auto r = window->rbegin(); r != window->rend() && submitted.size() < *limit; ++r) {
      if (r->type != static_cast<std::uint8_t>(core::EventType::submitted)) continue;
      if (!viewer.sees_everything()) {
        // An API key's page holds its own orders only.
        const auto event = core::decode_event(r->type, r->payload);
        if (!event || !viewer.sees(std::get<core::OrderSubmitted>(*event).owner)) continue;
      }
      submitted.emplace_back(r->order, r->seq);
    }
    end = Seq{from.value - 1};
  }
  json::array orders;
  std::optional<Seq> next;
  for (const auto& [id, first] : submitted) {
    next = first;
    auto order = fold_until(app.log, id, as_of);
    if (!order) return log_unavailable(order.error());
    if (!*order || !viewer.sees((*order)->state.owner)) continue;
    orders.push_back(answer_as_of(app, **order, as_of));
  }
  json::object body{{"orders", std::move(orders)}, {"asOf", as_of.value}};
  // A full page may have more before it; `before` asks for them.
  if (submitted.size() == *limit && next && next->value > 1) {
    body["next"] = next->value;
  } else {
    body["next"] = nullptr;
  }
  return json_response(200, std::move(body));
}

}  // namespace oee::api
