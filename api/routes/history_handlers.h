#pragma once
// Routes answered from the PostgreSQL projection: the history list and,
// when PostgreSQL is configured, the dead-letter list.

#include <optional>

#include <boost/asio/awaitable.hpp>

#include "api/http/request_target.h"
#include "api/routes/handlers.h"

namespace oee::api {

/// GET /api/orders?status=&inputToken=&outputToken=&since=&until=&limit=&cursor=
/// `only`: an API key's id, to list the orders it submitted alone.
[[nodiscard]] boost::asio::awaitable<HttpResponse> list_orders(App& app, const RequestTarget& target,
                                                               std::optional<OrderId> only);
/// GET /api/dlq and /api/dlq/stats from PostgreSQL.
[[nodiscard]] boost::asio::awaitable<HttpResponse> projected_dead_letters(App& app, std::size_t limit, bool stats,
                                                                          std::optional<OrderId> only);

}  // namespace oee::api
