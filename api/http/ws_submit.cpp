// Orders submitted over the WebSocket: {"type":"submit","requestId","order"}
// runs the REST route POST /api/orders/execute as the socket's key, so the
// order is checked, made idempotent, authorised and rate-limited exactly as
// over HTTP. The 202 body comes back as {"type":"accepted","requestId",…}
// and the order's later statuses follow on the same socket, as a
// subscription that ends with the order.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/json.hpp>

#include "api/http/detail/ws_session_impl.h"
#include "api/http/responses.h"

namespace oee::api::detail {

namespace asio = boost::asio;
namespace json = boost::json;

void WsSession::submit(WsCommand command) {
  if (closing_) return;
  if (dialect_ != WsDialect::v1) {
    // The compat dialect has no answers to carry the order's id.
    send_error(ApiError{400, "unknown_type", "submit needs the oee.v1 subprotocol", "type"});
    return;
  }
  if (protocol_ == WsProtocol::fixed) {
    send_error(ApiError{400, "unknown_type", "this path streams one order; submit on /ws", "type"}, {},
               command.request_id);
    return;
  }
  if (submits_running_ >= kConcurrentSubmits) {
    send_error(ApiError{429, "too_many_submits",
                        "at most " + std::to_string(kConcurrentSubmits) + " submits in flight per socket", ""},
               {}, command.request_id);
    return;
  }
  // Each submit in flight becomes a subscription once accepted.
  if (subs_.size() + static_cast<std::size_t>(submits_running_) >= ctx_.config.ws_subscriptions_limit) {
    send_error(ApiError{400, "too_many_subscriptions", "wait for orders to finish or unsubscribe from some first", ""},
               {}, command.request_id);
    return;
  }
  auto pending = std::make_unique<PendingSubmit>();
  pending->request_id = std::move(command.request_id);
  pending->request.method = "POST";
  pending->request.target = "/api/orders/execute";
  pending->request.body = std::move(command.order_body);
  pending->request.content_type = "application/json";
  pending->request.idempotency_key = std::move(command.idempotency_key);
  ++submits_running_;
  auto self = shared_from_this();
  auto submitting = self->run_submit(std::move(pending));
  asio::co_spawn(ws_.get_executor(), std::move(submitting), [self](std::exception_ptr) {});  // held until it ends
}

asio::awaitable<void> WsSession::run_submit(std::unique_ptr<PendingSubmit> pending) {
  auto self = shared_from_this();
  HttpResponse response;
  try {
    response = co_await ctx_.router.handle_as(pending->request, principal_);
  } catch (const std::exception& e) {
    ctx_.session_errors.fetch_add(1);
    response = error_response(ApiError{500, "internal_error", "the submit could not be handled", ""});
  }
  --submits_running_;
  if (!closing_) on_submitted(pending->request_id, response);
}

void WsSession::on_submitted(const std::string& request_id, const HttpResponse& response) {
  boost::system::error_code ec;
  json::value body = json::parse(response.body, ec);
  json::object* answer = !ec && body.is_object() ? &body.as_object() : nullptr;
  if (response.status != 200 && response.status != 202) {
    // REST's error as it is, with the status it came with.
    const json::value* error = answer != nullptr ? answer->if_contains("error") : nullptr;
    json::object fields{{"requestId", request_id}, {"status", response.status}};
    if (error != nullptr && error->is_object()) {
      fields["error"] = *error;
    } else {
      fields["error"] = json::object{{"code", "submit_failed"},
                                     {"message", "the submit was answered " + std::to_string(response.status)},
                                     {"field", nullptr}};
    }
    send_control("error", fields);
    return;
  }
  // The answer's order id, in whichever spelling the body asked for.
  const json::value* id_text = nullptr;
  if (answer != nullptr) {
    id_text = answer->if_contains("orderId");
    if (id_text == nullptr) id_text = answer->if_contains("order_id");
  }
  const auto id = id_text != nullptr && id_text->is_string() ? OrderId::parse(id_text->get_string()) : std::nullopt;
  const json::value* seq = answer != nullptr ? answer->if_contains("seq") : nullptr;
  if (!id || seq == nullptr || !(seq->is_uint64() || seq->is_int64())) {
    ctx_.session_errors.fetch_add(1);
    send_error(ApiError{500, "internal_error", "the submit's answer could not be read", ""}, {}, request_id);
    return;
  }
  json::object accepted{{"type", "accepted"}, {"requestId", request_id}, {"orderId", id->str()}};
  for (const auto& kv : *answer) {
    if (kv.key() != "orderId") accepted[kv.key()] = kv.value();
  }
  enqueue(std::make_shared<const std::string>(json::serialize(accepted)), false);
  // A replay (200) answers with where the order is now, maybe finished: it
  // is followed from its start, so its statuses come again to its end.
  follow_submitted(*id, response.status == 202 ? seq->to_number<std::uint64_t>() : 0);
}

void WsSession::follow_submitted(const OrderId& id, std::uint64_t accepted_seq) {
  // The subscription to every order carries it already, its updates that
  // came before this answer included; and an order followed already (the
  // same key submitted twice) is followed once.
  if (all_.on || subs_.contains(id)) return;
  // Its answer was its first status: what follows it comes from here on.
  subscribe(id, accepted_seq + 1, true);
}

}  // namespace oee::api::detail
