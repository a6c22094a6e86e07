#pragma once
// The core's REST routes, independent of the HTTP transport (Beast lives in
// http_server.cpp), so they can be exercised directly.

#include <string>

#include <boost/asio/awaitable.hpp>

#include "api/api_error.h"
#include "api/app.h"
#include "api/http_message.h"

namespace oee::api {

[[nodiscard]] boost::asio::awaitable<HttpResponse> handle_request(App& app, const HttpRequest& request);

}  // namespace oee::api
