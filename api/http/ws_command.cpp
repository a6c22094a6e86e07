#include "api/http/ws_command.h"

#include <boost/json.hpp>

#include "api/http/strict_json.h"

namespace oee::api {

namespace json = boost::json;


namespace {

// {"type":"submit","requestId","order","idempotencyKey"}: the order stays
// JSON text, for the submit route parses and checks it as it does a body.
boost::system::result<WsCommand, WsRefusal> parse_submit(const json::object& o) {
  WsCommand command;
  command.kind = WsCommand::Kind::submit;
  const auto* id = o.if_contains("requestId");
  if (id == nullptr || !id->is_string() || id->get_string().empty() || id->get_string().size() > kMaxRequestId) {
    return WsRefusal{ApiError{400, "invalid_request_id",
                              "requestId is required: a string of 1 to " + std::to_string(kMaxRequestId) +
                                  " characters, echoed in the answer",
                              "requestId"}};
  }
  command.request_id = std::string(id->get_string());
  for (const auto& field : o) {
    const std::string_view k = field.key();
    if (k != "type" && k != "requestId" && k != "order" && k != "idempotencyKey") {
      return WsRefusal{ApiError{400, "unknown_field",
                                "a submit has type, requestId, order and idempotencyKey only; the order's fields go "
                                "in order",
                                std::string(k)},
                       command.request_id};
    }
  }
  const auto* order = o.if_contains("order");
  if (order == nullptr || !order->is_object()) {
    return WsRefusal{ApiError{400, "missing_field", "order is required: the order as POST /api/orders/execute takes it",
                              "order"},
                     command.request_id};
  }
  command.order_body = json::serialize(*order);
  if (const auto* key = o.if_contains("idempotencyKey"); key != nullptr) {
    if (!key->is_string()) {
      return WsRefusal{ApiError{400, "invalid_idempotency_key", "idempotencyKey is a string", "idempotencyKey"},
                       command.request_id};
    }
    command.idempotency_key = std::string(key->get_string());
  }
  return command;
}

}  // namespace

boost::system::result<WsCommand, WsRefusal> parse_ws_command(std::string_view text, bool bare_ids) {
  if (bare_ids) {
    std::string_view id = text;
    while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.remove_suffix(1);
    if (!id.empty() && id.front() != '{') {
      auto parsed = OrderId::parse(id);
      if (!parsed) {
        return WsRefusal{bad_request("invalid_order_id", "send an order id (UUID) or a JSON subscribe message", "orderId")};
      }
      return WsCommand{WsCommand::Kind::subscribe, *parsed, 0, {}, false};
    }
  }
  const auto parsed = parse_json_strict(text);
  if (!parsed) return WsRefusal{parsed.error()};
  if (!parsed->is_object()) {
    return WsRefusal{bad_request("invalid_json", "messages are JSON objects like {\"type\":\"subscribe\",\"orderId\":\"…\"}")};
  }
  const auto& o = parsed->get_object();
  const auto* type = o.if_contains("type");
  if (type == nullptr || !type->is_string()) {
    return WsRefusal{bad_request("missing_field", "type is required: subscribe, unsubscribe, submit or ping", "type")};
  }
  const std::string_view t = type->get_string();
  if (t == "ping") return WsCommand{};
  if (t == "submit") return parse_submit(o);
  if (t != "subscribe" && t != "unsubscribe") {
    return WsRefusal{bad_request("unknown_type", "type must be subscribe, unsubscribe, submit or ping", "type")};
  }
  const auto* order = o.if_contains("orderId");
  WsCommand command{t == "subscribe" ? WsCommand::Kind::subscribe : WsCommand::Kind::unsubscribe, {}, 0, {}, false};
  if (const auto* all = o.if_contains("all"); all != nullptr) {
    if (!all->is_bool()) return WsRefusal{bad_request("invalid_all", "all is true (every order) or false", "all")};
    command.all = all->get_bool();
  }
  if (command.all) {
    if (order != nullptr) return WsRefusal{bad_request("invalid_all", "give either orderId or all, not both", "all")};
  } else {
    if (order == nullptr || !order->is_string()) {
      return WsRefusal{bad_request("missing_field", "orderId is required (or all: true for every order)", "orderId")};
    }
    auto id = OrderId::parse(order->get_string());
    if (!id) return WsRefusal{bad_request("invalid_order_id", "orderId must be a UUID", "orderId")};
    command.order = *id;
  }
  if (const auto* f = o.if_contains("fromSeq"); f != nullptr && command.kind == WsCommand::Kind::subscribe) {
    if (f->is_string() && command.all) {
      command.from_position = std::string(f->get_string());
      return command;
    }
    // Boost.JSON holds integers above the i64 range as u64, larger ones as doubles.
    if (!f->is_int64() || f->get_int64() < 0) return WsRefusal{from_seq_error()};
    command.from_seq = static_cast<std::uint64_t>(f->get_int64());
  }
  return command;
}

}  // namespace oee::api
