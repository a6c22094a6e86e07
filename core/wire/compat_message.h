#pragma once
// The compat dialect of the live stream: what WebSocket clients written for
// the reference services read (docs/clients.md). Rendered from the oee.v1
// message, the one renderer's output, so the two dialects cannot drift.

#include <optional>
#include <string>
#include <string_view>

namespace oee::core {

/// The compat form of an oee.v1 message `v1_text`:
/// - a status message keeps every field, with its decimal amounts and
///   prices as JSON numbers written with the same digits
///   ("executedPrice":150.65737395), plus the snake_case names the
///   reference clients read: order_id, tx_hash, execution_price,
///   amount_out, and reason for an error; and `id` (the order id) and
///   `timestamp` (ISO 8601 UTC with milliseconds, from `ts`);
/// - an error becomes {"orderId","status":"error","error":{…}};
/// - other control messages (subscribed, unsubscribed, pong) have no
///   compat form: nullopt;
/// - an event that changes no status (deadLetterDismissed, launchRejected, amended,
///   watchAmended, legSettled) is not sent; a partially_filled order's status is
///   `failed` (its clients end on confirmed or failed)
///   in this dialect: an empty string.
/// `order` names the order an error is about, if any.
[[nodiscard]] std::optional<std::string> compat_message(std::string_view v1_text, std::string_view order = {});

/// An error in the compat dialect: {"orderId","status":"error","error":
/// {"code","message","field"}}, with null for an empty order or field.
[[nodiscard]] std::string compat_error(std::string_view order, std::string_view code, std::string_view message,
                                       std::string_view field);

}  // namespace oee::core
