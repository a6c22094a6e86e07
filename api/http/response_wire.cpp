#include "api/http/response_wire.h"

#include <algorithm>
#include <charconv>
#include <utility>

#include <boost/algorithm/string/predicate.hpp>
#include <boost/container/small_vector.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>

namespace oee::api {

namespace http = boost::beast::http;

namespace {

// The fields an answer carries besides its length, in Beast's order: each
// set() of a name already there moves it to the end with its new value.
// The values are views of the answer, the framing or `vary`, which holds
// the one value made here.
using Fields = boost::container::small_vector<std::pair<std::string_view, std::string_view>, 12>;

Fields fields_of(const HttpResponse& r, const ResponseFraming& framing, std::string& vary) {
  Fields fields;
  const auto set = [&fields](std::string_view name, std::string_view value) {
    fields.erase(std::remove_if(fields.begin(), fields.end(),
                                [name](const auto& f) { return boost::iequals(f.first, name); }),
                 fields.end());
    fields.emplace_back(name, value);
  };
  set("Server", "oee");
  set("Content-Type", r.content_type);
  if (!r.allow.empty()) set("Allow", r.allow);
  // Whether an answer may be read depends on the Origin it was asked from,
  // besides what the answer itself depends on.
  vary = "Origin";
  for (const auto& [name, value] : r.headers) {
    if (boost::iequals(name, "Vary")) {
      vary = value + ", Origin";
    } else {
      set(name, value);
    }
  }
  set("Vary", vary);
  if (!framing.allowed_origin.empty()) set("Access-Control-Allow-Origin", framing.allowed_origin);
  if (framing.version == 11 && !framing.keep_alive) set("Connection", "close");
  if (framing.version == 10 && framing.keep_alive) set("Connection", "keep-alive");
  return fields;
}

}  // namespace

http::response<http::string_body> beast_response(const HttpResponse& r, const ResponseFraming& framing) {
  http::response<http::string_body> res{static_cast<http::status>(r.status), framing.version};
  res.set(http::field::server, "oee");
  res.set(http::field::content_type, r.content_type);
  if (!r.allow.empty()) res.set(http::field::allow, r.allow);
  std::string vary = "Origin";
  for (const auto& [name, value] : r.headers) {
    if (boost::iequals(name, "Vary")) {
      vary = value + ", Origin";
    } else {
      res.set(name, value);
    }
  }
  res.set(http::field::vary, vary);
  if (!framing.allowed_origin.empty()) res.set(http::field::access_control_allow_origin, framing.allowed_origin);
  res.keep_alive(framing.keep_alive);
  if (framing.head) {
    res.content_length(r.body.size());
  } else {
    res.body() = r.body;
    res.prepare_payload();
  }
  // A browser that reached this port over TLS keeps to TLS for it.
  if (framing.tls) res.set(http::field::strict_transport_security, "max-age=31536000");
  return res;
}

std::string wire_response(const HttpResponse& r, const ResponseFraming& framing) {
  std::string vary;
  const auto fields = fields_of(r, framing, vary);
  const std::string_view reason = http::obsolete_reason(static_cast<http::status>(r.status));
  char number[24];
  std::string out;
  std::size_t size = 128 + reason.size() + (framing.head ? 0 : r.body.size());
  for (const auto& [name, value] : fields) size += name.size() + value.size() + 4;
  out.reserve(size);
  out.append(framing.version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
  const auto status_end = std::to_chars(number, number + sizeof number, r.status).ptr;
  out.append(number, status_end);
  out.push_back(' ');
  out.append(reason);
  out.append("\r\n");
  for (const auto& [name, value] : fields) {
    out.append(name);
    out.append(": ");
    out.append(value);
    out.append("\r\n");
  }
  out.append("Content-Length: ");
  const auto length_end = std::to_chars(number, number + sizeof number, r.body.size()).ptr;
  out.append(number, length_end);
  out.append("\r\n");
  if (framing.tls) out.append("Strict-Transport-Security: max-age=31536000\r\n");
  out.append("\r\n");
  if (!framing.head) out.append(r.body);
  return out;
}

}  // namespace oee::api
