#pragma once
// What a client does to a waiting order, and what tests and demos do to
// the simulated market: cancel an order; set a pool's price.

#include <boost/asio/awaitable.hpp>

#include "api/http/http_message.h"
#include "api/routes/app.h"

namespace oee::api {

/// DELETE /api/orders/{id} (alias POST /api/orders/{id}/cancel): 200 with
/// the order once `cancelled` is durable, or if it already was; 409
/// too_late once it was triggered or ended otherwise; another key's order
/// is not found.
[[nodiscard]] boost::asio::awaitable<HttpResponse> cancel_order(App& app, const OrderId& id, const Principal& caller);

/// POST /api/sim/prices {venue?, pair:"SOL/USDC", price}: sets the pool of
/// one venue (or of both when venue is left out) to `price` (quote tokens
/// per base token of the pair as written) and holds it there. With
/// --sim-control only, for clients on this machine.
[[nodiscard]] HttpResponse set_sim_price(App& app, const HttpRequest& req);

}  // namespace oee::api
