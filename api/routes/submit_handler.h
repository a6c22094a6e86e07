#pragma once
// POST /api/orders/execute (alias POST /order): a submit checked, made
// durable in the log, and answered in the body's spelling.

#include <boost/asio/awaitable.hpp>

#include "api/http/http_message.h"
#include "api/routes/app.h"

namespace oee::api {

/// 202 once the order's first event is durable (200 to a snake_case body,
/// and to an idempotent replay); 4xx for a bad body; 503 when the log
/// cannot take it.
[[nodiscard]] boost::asio::awaitable<HttpResponse> submit(App& app, const HttpRequest& req);

}  // namespace oee::api
