#pragma once
// The REST routes, independent of the HTTP transport (Beast lives in
// http_server.cpp), so they can be exercised directly.

#include <string>

#include <boost/asio/awaitable.hpp>

#include "api/api_error.h"
#include "api/app.h"

namespace oee::api {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // origin-form: path and query
  std::string body;
  std::string content_type;
  std::string idempotency_key;
};

struct HttpResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::string allow;  // for 405
};

[[nodiscard]] boost::asio::awaitable<HttpResponse> handle_request(App& app, const HttpRequest& request);

[[nodiscard]] HttpResponse error_response(const ApiError& e);

}  // namespace oee::api
