#pragma once
// An answer as the client receives it. Every path builds the Beast message
// (beast_response); the route handlers' answers, one per request on the hot
// path, are written as their bytes instead (wire_response): the same bytes
// Beast's serializer writes for that message, in one string and one write,
// without a field list and a serializer per request.

#include <string>
#include <string_view>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "api/http/http_message.h"

namespace oee::api {

struct ResponseFraming {
  unsigned version = 11;  // the request's: 10 or 11
  bool keep_alive = true;
  bool head = false;                 // a HEAD request: the length, no body
  std::string_view allowed_origin{};  // a browser origin the CORS policy lets read it
  bool tls = false;                  // reached over TLS: Strict-Transport-Security
};

[[nodiscard]] boost::beast::http::response<boost::beast::http::string_body> beast_response(
    const HttpResponse& r, const ResponseFraming& framing);

/// The bytes Beast writes for beast_response(r, framing).
[[nodiscard]] std::string wire_response(const HttpResponse& r, const ResponseFraming& framing);

}  // namespace oee::api
