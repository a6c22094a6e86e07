#pragma once
// The dead-letter routes answered from the log: the list, an operator's
// retry and dismissals. Each operator action is an event in the log; no
// row is edited or deleted.
//
// `only`: the owner whose orders the caller may see and act on (an API
// key's id), or none for whoever sees every order. Another owner's dead
// letter is not found, as if it did not exist.

#include <optional>

#include <boost/asio/awaitable.hpp>

#include "api/http/http_message.h"
#include "api/http/request_target.h"
#include "api/routes/app.h"

namespace oee::api {

using OwnerFilter = std::optional<OrderId>;

/// GET /api/dlq (alias /api/dlq/failed-orders): at most `limit` dead
/// letters; with `stats`, /api/dlq/stats over all of them.
[[nodiscard]] HttpResponse list_dead_letters(App& app, std::size_t limit, bool stats, OwnerFilter only);
/// POST /api/dlq/{id}/retry
[[nodiscard]] boost::asio::awaitable<HttpResponse> retry_dead_letter(App& app, const OrderId& id, OwnerFilter only);
/// DELETE /api/dlq/{id}
[[nodiscard]] boost::asio::awaitable<HttpResponse> dismiss_dead_letter(App& app, const OrderId& id,
                                                                       OwnerFilter only);
/// DELETE /api/dlq/clear (alias /api/dlq/clear/failed): every order on the
/// list when the request arrives.
[[nodiscard]] boost::asio::awaitable<HttpResponse> dismiss_all_dead_letters(App& app, OwnerFilter only);

}  // namespace oee::api
