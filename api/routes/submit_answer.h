#pragma once
// The body of the answer to a submit, written straight to its bytes: the
// same text json::serialize gives for the object it stands for (a unit test
// holds the two together), without building that object per order.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "api/routes/submit_request.h"
#include "eventlog/types.h"

namespace oee::api {

/// {"orderId","status","seq"[,"idempotentReplay"],"inputToken",
/// "outputToken"|"targetToken","amount","slippage"|"minAmountOut"
/// [,"partition"]}, in the body's spelling (order_id, token_in, ... for a
/// snake_case body). What the order uses after a JSON number's rounding is
/// given as decimal strings, or, to a client that sent numbers, as JSON
/// numbers with the same digits; the pair always, as the order trades it
/// (the default pair's, for a body that named none).
[[nodiscard]] std::string submit_answer_body(const SubmitRequest& order, const OrderId& id, std::string_view status,
                                             Seq seq, bool replay, std::optional<std::uint32_t> partition);

}  // namespace oee::api
