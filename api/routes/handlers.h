#pragma once
// The core's REST routes, independent of the HTTP transport (Beast lives in
// http_server.cpp), so they can be exercised directly.

#include <string>

#include <boost/asio/awaitable.hpp>

#include "api/http/api_error.h"
#include "api/http/http_message.h"
#include "api/routes/app.h"

namespace oee::api {

[[nodiscard]] boost::asio::awaitable<HttpResponse> handle_request(App& app, const HttpRequest& request);

}  // namespace oee::api
