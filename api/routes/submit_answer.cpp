#include "api/routes/submit_answer.h"

#include <charconv>

#include "core/wire/status_message.h"

namespace oee::api {

namespace {

void append_number(std::string& out, std::uint64_t n) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, n).ptr;
  out.append(digits, end);
}

// A field whose value needs no escaping: ids, status names, decimal digits.
void append_field(std::string& out, std::string_view name, std::string_view value, bool quoted) {
  if (out.size() > 1) out.push_back(',');  // past the opening brace
  out.push_back('"');
  out.append(name);
  out.append(quoted ? "\":\"" : "\":");
  out.append(value);
  if (quoted) out.push_back('"');
}

}  // namespace

std::string submit_answer_body(const SubmitRequest& order, const OrderId& id, std::string_view status, Seq seq,
                               bool replay, std::optional<std::uint32_t> partition) {
  const bool snake = order.snake_case;
  std::string out;
  out.reserve(192);
  out.push_back('{');
  char id_text[OrderId::kTextSize];
  id.write_text(id_text);
  append_field(out, snake ? "order_id" : "orderId", std::string_view(id_text, sizeof id_text), true);
  append_field(out, "status", status, true);
  out.append(",\"seq\":");
  append_number(out, seq.value);
  if (replay) append_field(out, snake ? "idempotent_replay" : "idempotentReplay", "true", false);
  // The pair it trades: a client that left it to --default-pair sees which.
  // Symbols are letters and digits, nothing to escape.
  append_field(out, snake ? "token_in" : "inputToken", order.input.symbol(), true);
  if (order.order_type == core::OrderType::sniper) {
    append_field(out, snake ? "target_token" : "targetToken", order.output.symbol(), true);
  } else {
    append_field(out, snake ? "token_out" : "outputToken", order.output.symbol(), true);
  }
  // Decimal strings are plain digits: written bare, they are the same number.
  append_field(out, snake ? "amount_in" : "amount", core::format_amount(order.amount, order.input.decimals()),
               !order.numbers);
  if (order.order_type == core::OrderType::market || order.order_type == core::OrderType::recurring) {
    append_field(out, snake ? "max_slippage" : "slippage", core::bps_fraction(order.slippage_bps), !order.numbers);
  } else {
    append_field(out, snake ? "min_amount_out" : "minAmountOut",
                 core::format_amount(order.min_amount_out, order.output.decimals()), !order.numbers);
  }
  if (partition) {
    out.append(",\"partition\":");
    append_number(out, *partition);
  }
  out.push_back('}');
  return out;
}

}  // namespace oee::api
