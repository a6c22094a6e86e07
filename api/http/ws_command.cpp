#include "api/http/ws_command.h"

#include <boost/json/value.hpp>

#include "api/http/strict_json.h"

namespace oee::api {

namespace json = boost::json;


boost::system::result<WsCommand, ApiError> parse_ws_command(std::string_view text, bool bare_ids) {
  if (bare_ids) {
    std::string_view id = text;
    while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.remove_suffix(1);
    if (!id.empty() && id.front() != '{') {
      auto parsed = OrderId::parse(id);
      if (!parsed) return bad_request("invalid_order_id", "send an order id (UUID) or a JSON subscribe message", "orderId");
      return WsCommand{WsCommand::Kind::subscribe, *parsed, 0, {}, false};
    }
  }
  const auto parsed = parse_json_strict(text);
  if (!parsed) return parsed.error();
  if (!parsed->is_object()) {
    return bad_request("invalid_json", "messages are JSON objects like {\"type\":\"subscribe\",\"orderId\":\"…\"}");
  }
  const auto& o = parsed->get_object();
  const auto* type = o.if_contains("type");
  if (type == nullptr || !type->is_string()) return bad_request("missing_field", "type is required: subscribe or unsubscribe", "type");
  const std::string_view t = type->get_string();
  if (t == "ping") return WsCommand{};
  if (t != "subscribe" && t != "unsubscribe") return bad_request("unknown_type", "type must be subscribe or unsubscribe", "type");
  const auto* order = o.if_contains("orderId");
  WsCommand command{t == "subscribe" ? WsCommand::Kind::subscribe : WsCommand::Kind::unsubscribe, {}, 0, {}, false};
  if (const auto* all = o.if_contains("all"); all != nullptr) {
    if (!all->is_bool()) return bad_request("invalid_all", "all is true (every order) or false", "all");
    command.all = all->get_bool();
  }
  if (command.all) {
    if (order != nullptr) return bad_request("invalid_all", "give either orderId or all, not both", "all");
  } else {
    if (order == nullptr || !order->is_string()) {
      return bad_request("missing_field", "orderId is required (or all: true for every order)", "orderId");
    }
    auto id = OrderId::parse(order->get_string());
    if (!id) return bad_request("invalid_order_id", "orderId must be a UUID", "orderId");
    command.order = *id;
  }
  if (const auto* f = o.if_contains("fromSeq"); f != nullptr && command.kind == WsCommand::Kind::subscribe) {
    if (f->is_string() && command.all) {
      command.from_position = std::string(f->get_string());
      return command;
    }
    // Boost.JSON holds integers above the i64 range as u64, larger ones as doubles.
    if (!f->is_int64() || f->get_int64() < 0) return from_seq_error();
    command.from_seq = static_cast<std::uint64_t>(f->get_int64());
  }
  return command;
}

}  // namespace oee::api
