#pragma once
// A request and response as the route handlers see them, independent of
// the HTTP transport (Beast lives in http_server.cpp).

#include <string>

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

}  // namespace oee::api
