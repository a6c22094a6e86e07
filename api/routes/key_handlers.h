#pragma once
// The API key routes (keys:admin): create, list, revoke. Each change is an
// event in the log; a key's secret is in the answer that creates it and
// nowhere else.

#include <boost/asio/awaitable.hpp>

#include "api/http/http_message.h"
#include "api/routes/app.h"

namespace oee::api {

/// POST /api/keys
[[nodiscard]] boost::asio::awaitable<HttpResponse> create_key(App& app, const HttpRequest& req);
/// GET /api/keys
[[nodiscard]] HttpResponse list_keys(const App& app);
/// POST /api/ws-ticket: a ticket that opens one WebSocket as the caller
/// (`/ws?ticket=…`) within 30 s, so a browser need not put a key in a URL.
[[nodiscard]] HttpResponse issue_ws_ticket(const App& app, const Principal& caller);
/// GET /api/keys/events: every key as its events (hashes, never secrets),
/// for gateways (the route is the admin key's only).
[[nodiscard]] HttpResponse list_key_events(const App& app);
/// DELETE /api/keys/{id}[?cascade=true]: with `cascade`, also every key it
/// created, and the keys they created, on down.
/// `caller`: the admin key revokes any key; a key with keys:admin only
/// itself and the keys made under it (directly or through keys it made),
/// as it may make only keys within its own scopes.
[[nodiscard]] boost::asio::awaitable<HttpResponse> revoke_key(App& app, const core::KeyId& id, bool cascade,
                                                              const Principal& caller);

}  // namespace oee::api
