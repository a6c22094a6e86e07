#pragma once
// Steering the simulated market, for tests and demos: set a pool's price,
// launch a new token's pool. With --sim-control only, for clients on this
// machine.

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

}  // namespace oee::api
