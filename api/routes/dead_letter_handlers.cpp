#include "api/routes/dead_letter_handlers.h"

#include <algorithm>
#include <limits>
#include <map>
#include <span>
#include <variant>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include "api/http/responses.h"
#include "api/routes/order_answer.h"
#include "api/routes/order_lists.h"
#include "core/engine/async_append.h"
#include "projections/projector.h"

namespace oee::api {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

// One operator action per order at a time: a retry and a dismissal of the
// same order must not both be appended from the same state.
class OperatorClaim {
 public:
  OperatorClaim(App& app, const OrderId& id) : app_(app), id_(id) {
    std::lock_guard lock(app_.operator_mu);
    held_ = app_.operator_busy.insert(id_).second;
  }
  OperatorClaim(const OperatorClaim&) = delete;
  OperatorClaim& operator=(const OperatorClaim&) = delete;
  ~OperatorClaim() {
    if (!held_) return;
    std::lock_guard lock(app_.operator_mu);
    app_.operator_busy.erase(id_);
  }
  explicit operator bool() const { return held_; }

 private:
  App& app_;
  OrderId id_;
  bool held_ = false;
};

HttpResponse not_dead_lettered(const core::OrderState& state, std::string_view action) {
  const std::string now = state.dismissed ? "was dismissed from the dead-letter list"
                                          : "is " + std::string(core::status_name(state.status));
  return error_response(ApiError{409, "not_dead_lettered",
                                 "only orders on the dead-letter list can be " + std::string(action) + "; this one " +
                                     now,
                                 "orderId"});
}

// With a projection, the dead-letter list is read from PostgreSQL: answer
// once it shows the dismissals (or after 2 s), so a client that lists next
// sees them. Polled on the request's own executor, so no PostgreSQL thread
// waits.
// `last`: the last seq appended in each partition (one for the embedded log).
asio::awaitable<void> wait_for_projection(App& app, const std::map<PartitionId, Seq>& last) {
  if (app.projector == nullptr) co_return;
  asio::steady_timer timer(co_await asio::this_coro::executor);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  const auto projected = [&] {
    return std::all_of(last.begin(), last.end(),
                       [&](const auto& p) { return app.projector->has_applied(p.first, p.second); });
  };
  while (!projected() && std::chrono::steady_clock::now() < deadline) {
    timer.expires_after(std::chrono::milliseconds(20));
    co_await timer.async_wait(asio::use_awaitable);
  }
}

}  // namespace

namespace {
bool owned(const core::OrderState& state, const OwnerFilter& only) { return !only || state.owner == *only; }
}  // namespace

HttpResponse list_dead_letters(App& app, std::size_t limit, bool stats, OwnerFilter only) {
  // A key's own dead letters are found among everyone's: read them all.
  const bool every = stats || only.has_value();
  auto listed = app.store.load_set(eventlog::OrderSet::dead_letter, every ? std::numeric_limits<std::size_t>::max() : limit);
  if (!listed) return log_unreadable(listed.error());
  std::vector<core::OrderSnapshot> orders;
  DeadLetterTally tally;
  for (auto& held : *listed) {
    if (!stats && orders.size() == limit) break;
    if (!owned(held.state, only)) continue;
    if (stats) {
      tally.add(held.state.last_error);
    } else {
      orders.push_back(std::move(held));
    }
  }
  return json_response(200, stats ? tally.json() : order_list_json(orders));
}

namespace {

core::OrderEvent retry_of(const core::OrderState& s) { return core::OrderRetried{s.attempt, "operator retry"}; }
core::OrderEvent dismissal_of(const core::OrderState& s) {
  return core::DeadLetterDismissed{s.attempt, "dismissed by an operator"};
}

// One operator action on one dead letter: claims the order, checks that it
// is on the list and appends the action's event. The seq it was appended
// at, or the answer that refuses it.
asio::awaitable<std::variant<Seq, HttpResponse>> act_on_dead_letter(
    App& app, const OrderId& id, OwnerFilter only, std::string_view action,
    core::OrderEvent (*event_for)(const core::OrderState&)) {
  OperatorClaim claim(app, id);
  if (!claim) {
    co_return error_response(ApiError{409, "operator_action_in_progress",
                                      "a retry or dismissal of this order is being recorded", "orderId"});
  }
  auto loaded = app.store.load(id);
  if (!loaded) co_return log_unavailable(loaded.error());
  if (!*loaded || !owned((*loaded)->state, only)) co_return not_found("no order with id " + id.str(), "orderId");
  const core::OrderSnapshot seen = **loaded;
  const core::OrderState& state = seen.state;
  if (!core::is_dead_letter(state)) co_return not_dead_lettered(state, action);
  // A recurring order counted its failed slice as done; the slice stays so.
  if (state.parent && event_for == &retry_of) {
    co_return error_response(ApiError{409, "not_retryable",
                                      "a recurring order's slice is not retried: its order counted it as done "
                                      "(dismiss it instead)",
                                      "orderId"});
  }
  const core::OrderEvent event = event_for(state);
  auto appended = co_await core::async_append_on(app.store, seen, event);
  if (!appended) co_return log_unavailable(app.log, appended.error());
  co_return appended->seq;
}

}  // namespace

// POST /api/dlq/{id}/retry: a new event in the log sends the failed order
// back to the queue with a fresh budget of attempts; rows are never edited.
asio::awaitable<HttpResponse> retry_dead_letter(App& app, const OrderId& id, OwnerFilter only) {
  auto done = co_await act_on_dead_letter(app, id, only, "retried", &retry_of);
  if (auto* refused = std::get_if<HttpResponse>(&done)) co_return std::move(*refused);
  const Seq seq = std::get<Seq>(done);
  co_return json_response(
      202, with_partition(json::object{{"orderId", id.str()}, {"status", "pending"}, {"seq", seq.value}}, app.log, id));
}

asio::awaitable<HttpResponse> dismiss_dead_letter(App& app, const OrderId& id, OwnerFilter only) {
  auto done = co_await act_on_dead_letter(app, id, only, "dismissed", &dismissal_of);
  if (auto* refused = std::get_if<HttpResponse>(&done)) co_return std::move(*refused);
  const Seq seq = std::get<Seq>(done);
  // After the claim is released: a retry need not wait for the projection.
  std::map<PartitionId, Seq> last;
  last.emplace(app.log.partition_of(id), seq);
  co_await wait_for_projection(app, last);
  co_return json_response(200, with_partition(json::object{{"orderId", id.str()},
                                                           {"status", "failed"},
                                                           {"dismissed", true},
                                                           {"seq", seq.value}},
                                              app.log, id));
}

asio::awaitable<HttpResponse> dismiss_all_dead_letters(App& app, OwnerFilter only) {
  // Partition by partition, in slices, so the claims and pending events of
  // a long list stay bounded; each slice's orders are read at once.
  constexpr std::size_t kSlice = 1024;
  std::uint64_t dismissed = 0;
  std::map<PartitionId, Seq> last;  // by partition
  for (const PartitionId partition : each_partition(app.log.partition_count())) {
    auto ids =
        app.log.partition(partition).members(eventlog::OrderSet::dead_letter, std::numeric_limits<std::size_t>::max());
    if (!ids) co_return log_unavailable(ids.error());
    for (std::size_t from = 0; from < ids->size(); from += kSlice) {
      const std::span<const OrderId> slice(ids->data() + from, std::min(kSlice, ids->size() - from));
      std::vector<std::unique_ptr<OperatorClaim>> claims;
      std::vector<OrderId> claimed;
      for (const OrderId& id : slice) {
        auto claim = std::make_unique<OperatorClaim>(app, id);
        if (!*claim) continue;  // being retried or dismissed by another request
        claims.push_back(std::move(claim));
        claimed.push_back(id);
      }
      auto loaded = app.store.load_all(partition, claimed);
      if (!loaded) {
        co_return error_response(ApiError{503, "log_unavailable",
                                          "the event log cannot be read (" + loaded.error().message() + "); " +
                                              std::to_string(dismissed) + " dead letters were dismissed before it",
                                          ""});
      }
      std::vector<core::EventFor> events;
      for (auto& held : *loaded) {
        if (!held || !core::is_dead_letter(held->state) || !owned(held->state, only)) continue;
        events.push_back(core::EventFor{held->id, held->state, dismissal_of(held->state), held->last_seq});
      }
      std::error_code failed;
      const auto appended = co_await core::async_append_all(app.store, std::move(events));
      for (const auto& r : appended) {
        if (!r) {
          failed = r.error();
          continue;
        }
        ++dismissed;
        auto& seq = last[partition];
        seq = std::max(seq, r->seq);
      }
      if (failed) {
        // Some are dismissed for good; say how many, and that repeating the
        // request dismisses the rest.
        co_return error_response(ApiError{503, "log_unavailable",
                                          "the event log refused a dismissal (" + failed.message() + "); " +
                                              std::to_string(dismissed) +
                                              " dead letters were dismissed before it; repeat the request once the "
                                              "log takes writes to dismiss the rest",
                                          ""});
      }
    }
  }
  co_await wait_for_projection(app, last);
  co_return json_response(200, json::object{{"dismissed", dismissed}});
}

}  // namespace oee::api
