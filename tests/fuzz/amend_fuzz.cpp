// The amend body of a waiting limit or sniper order: strict JSON, then
// validation. Anything may come back as an error; nothing may crash, and an
// amendment that parses changes something, to a floor above zero and an
// expiry ahead.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "api/http/strict_json.h"
#include "api/routes/amend_request.h"
#include "core/domain/tokens.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // The first byte picks the order amended: a limit order or a sniper.
  oee::core::OrderState order;
  order.order_type = data[0] % 2 == 0 ? oee::core::OrderType::limit : oee::core::OrderType::sniper;
  order.status = order.order_type == oee::core::OrderType::limit ? oee::core::Status::open : oee::core::Status::watching;
  order.input_token = oee::core::token_id("SOL");
  order.output_token = order.order_type == oee::core::OrderType::limit ? oee::core::token_id("USDC")
                                                                       : *oee::core::TokenId::name("FUZZCOIN");
  order.amount_in = oee::core::Amount{2'000'000'000};
  const oee::TimestampNs now{1'795'000'000'000'000'000};
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  const auto body = oee::api::parse_json_strict(text);
  if (!body) return 0;
  const auto change = oee::api::parse_amend(*body, order, now);
  if (!change) return 0;
  if (!change->min_amount_out && !change->expires_at) __builtin_trap();
  if (change->min_amount_out && change->min_amount_out->base == 0) __builtin_trap();
  if (change->expires_at && change->expires_at->value <= now.value) __builtin_trap();
  return 0;
}
