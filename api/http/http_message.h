#pragma once
// A request and response as the route handlers see them, independent of
// the HTTP transport (Beast lives in http_server.cpp).

#include <string>
#include <utility>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "api/auth/access.h"

namespace oee::api {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // origin-form: path and query
  std::string body;
  std::string content_type;
  std::string idempotency_key;
  std::string authorization{};  // the Authorization header
  boost::asio::ip::address peer{};  // the client's address, for its per-address limits
  /// Who sent it, once the router has authenticated it.
  Principal principal{};
  /// Accept names text/html: a browser asking for a page.
  bool wants_html = false;
};

struct HttpResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::string allow;  // for 405
  std::vector<std::pair<std::string, std::string>> headers{};  // any others (WWW-Authenticate, ...)
};

}  // namespace oee::api
