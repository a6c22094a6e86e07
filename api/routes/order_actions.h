#pragma once
// Waiting orders: cancel an order, list the open limit orders of a pair.

#include <boost/asio/awaitable.hpp>

#include "api/http/http_message.h"
#include "api/routes/app.h"

namespace oee::api {

/// DELETE /api/orders/{id} (alias POST /api/orders/{id}/cancel): 200 with
/// the order once `cancelled` is durable, or if it already was; 409
/// too_late once it was triggered or ended otherwise; another key's order
/// is not found.
[[nodiscard]] boost::asio::awaitable<HttpResponse> cancel_order(App& app, const OrderId& id, const Principal& caller);

/// GET /api/book/{input}/{output}: the open limit orders selling `input`
/// for `output`, grouped by the price they ask (output per input), lowest
/// first: the first to fire.
[[nodiscard]] boost::asio::awaitable<HttpResponse> get_book(App& app, std::string_view input,
                                                            std::string_view output);

}  // namespace oee::api
