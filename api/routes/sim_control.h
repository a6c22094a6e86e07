#pragma once
// Steering the simulated market, for tests and demos: set a pool's price,
// launch a new token's pool. With --sim-control only, for clients on this
// machine.

#include <boost/asio/awaitable.hpp>

#include "api/http/http_message.h"
#include "api/routes/app.h"

namespace oee::api {

/// POST /api/sim/prices {venue?, pair:"SOL/USDC", price}: sets the pool of
/// one venue (or of both when venue is left out) to `price` (quote tokens
/// per base token of the pair as written) and holds it there.
[[nodiscard]] HttpResponse set_sim_price(App& app, const HttpRequest& req);

/// POST /api/sim/launches {token, venue?, quoteToken?, liquidity, price,
/// mintRenounced?, freezeAuthority?}: launches a pool for a new token on
/// one venue (or on both at once when venue is left out), holding
/// `liquidity` of the quote token (default SOL) at `price` (quote tokens
/// per new token). 409 already_launched for a second pool on a venue.
[[nodiscard]] HttpResponse launch_sim_pool(App& app, const HttpRequest& req);

/// GET /api/sim/clock: {clock: "wall"|"virtual", now, nowMs, pendingTimers}.
[[nodiscard]] HttpResponse sim_clock_status(App& app, const HttpRequest& req);

/// POST /api/sim/clock {advanceMs}: with --sim-clock virtual, moves the
/// clock on, firing every timer that falls due on the way in order (each at
/// its own time, the engine settled after each), then answers with the new
/// time. 409 clock_not_virtual on the wall clock.
[[nodiscard]] boost::asio::awaitable<HttpResponse> advance_sim_clock(App& app, const HttpRequest& req);

}  // namespace oee::api
