#pragma once
// Waiting orders: cancel or amend an order, list the open limit orders of a pair.

#include <boost/asio/awaitable.hpp>

#include "api/http/http_message.h"
#include "api/routes/app.h"

namespace oee::api {

/// DELETE /api/orders/{id} (alias POST /api/orders/{id}/cancel): 200 with
/// the order once `cancelled` is durable, or if it already was; 409
/// too_late once it was triggered or ended otherwise; another key's order
/// is not found.
[[nodiscard]] boost::asio::awaitable<HttpResponse> cancel_order(App& app, const OrderId& id, const Principal& caller);

/// PATCH /api/orders/{id}: a waiting limit or sniper order's new floor
/// (limitPrice, maxPrice or minAmountOut) and/or expiresAt. 200 with the
/// order once the amendment is durable (or at once if it changes nothing);
/// 409 too_late, with the order's status, once it was triggered or ended
/// (whichever the log took first wins); 409 not_amendable for a market
/// order; another key's order is not found.
[[nodiscard]] boost::asio::awaitable<HttpResponse> amend_order(App& app, const OrderId& id, const HttpRequest& req);

/// GET /api/book/{input}/{output}: the open limit orders selling `input`
/// for `output`, grouped by the price they ask (output per input), lowest
/// first: the first to fire.
[[nodiscard]] boost::asio::awaitable<HttpResponse> get_book(App& app, std::string_view input,
                                                            std::string_view output);

}  // namespace oee::api
