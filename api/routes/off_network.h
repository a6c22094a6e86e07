#pragma once
// Where a route that reads the log runs: on a cluster node, on App::reads,
// for its reads may wait on another node's answer, and a network thread
// that waited would hold up every connection it serves (/health too).
// Elsewhere, where it is asked.

#include <optional>

#include <boost/asio/awaitable.hpp>

#include "api/http/router.h"
#include "api/routes/app.h"

namespace oee::api {

/// `handler`, run on app.reads when there is one.
[[nodiscard]] RestHandler off_network(App& app, RestHandler handler);

/// app.store.load(id), on app.reads when there is one.
[[nodiscard]] boost::asio::awaitable<eventlog::Result<std::optional<core::OrderSnapshot>>> load_off_network(
    App& app, const OrderId& id);

}  // namespace oee::api
