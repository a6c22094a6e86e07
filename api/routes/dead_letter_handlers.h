#pragma once
// The dead-letter routes answered from the log: the list, an operator's
// retry and dismissals. Each operator action is an event in the log; no
// row is edited or deleted.

#include <boost/asio/awaitable.hpp>

#include "api/http/http_message.h"
#include "api/http/request_target.h"
#include "api/routes/app.h"

namespace oee::api {

/// GET /api/dlq (alias /api/dlq/failed-orders): at most `limit` dead
/// letters; with `stats`, /api/dlq/stats over all of them.
[[nodiscard]] HttpResponse list_dead_letters(App& app, std::size_t limit, bool stats);
/// POST /api/dlq/{id}/retry
[[nodiscard]] boost::asio::awaitable<HttpResponse> retry_dead_letter(App& app, const OrderId& id);
/// DELETE /api/dlq/{id}
[[nodiscard]] boost::asio::awaitable<HttpResponse> dismiss_dead_letter(App& app, const OrderId& id);
/// DELETE /api/dlq/clear (alias /api/dlq/clear/failed): every order on the
/// list when the request arrives.
[[nodiscard]] boost::asio::awaitable<HttpResponse> dismiss_all_dead_letters(App& app);

}  // namespace oee::api
