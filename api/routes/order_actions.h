#pragma once
// Waiting orders and the simulated market: cancel an order, list the open
// limit orders of a pair, set a pool's price (tests and demos).

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

/// POST /api/sim/prices {venue?, pair:"SOL/USDC", price}: sets the pool of
/// one venue (or of both when venue is left out) to `price` (quote tokens
/// per base token of the pair as written) and holds it there. With
/// --sim-control only, for clients on this machine.
[[nodiscard]] HttpResponse set_sim_price(App& app, const HttpRequest& req);

}  // namespace oee::api
