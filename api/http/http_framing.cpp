#include "api/http/http_framing.h"

#include <string_view>

#include <boost/asio/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <fmt/format.h>

namespace oee::api {

namespace beast = boost::beast;
namespace asio = boost::asio;

namespace {

// RFC 9112 §6: a request body ends where a final "chunked" coding or the
// Content-Length says. With any other coding its end is unknown, and a
// server that guesses (Beast reads no body at all) would run whatever the
// client sent as "body" as the next request: request smuggling.
std::optional<ApiError> transfer_encoding_error(const http::fields& fields) {
  if (fields.count(http::field::transfer_encoding) == 0) return std::nullopt;
  std::size_t codings = 0;
  std::size_t chunked = 0;
  bool last_is_chunked = false;
  const auto [first, last] = fields.equal_range(http::field::transfer_encoding);
  for (auto f = first; f != last; ++f) {
    for (const auto& coding : http::token_list{f->value()}) {
      ++codings;
      last_is_chunked = beast::iequals(coding, "chunked");
      if (last_is_chunked) ++chunked;
    }
  }
  if (!last_is_chunked || chunked != 1) {
    return ApiError{400, "invalid_transfer_encoding",
                    "Transfer-Encoding must end in chunked, once (RFC 9112); the connection is closed",
                    "Transfer-Encoding"};
  }
  if (codings > 1) {
    return ApiError{501, "unsupported_transfer_encoding",
                    "only the chunked transfer coding is supported; the connection is closed", "Transfer-Encoding"};
  }
  // With Content-Length as well, Beast refuses the header before it gets here.
  return std::nullopt;
}

// RFC 9110 §10.1.1: the only expectation is 100-continue; any other is 417.
std::optional<ApiError> expectation_error(const http::fields& fields) {
  const auto expect = fields[http::field::expect];
  if (expect.empty() || beast::iequals(expect, "100-continue")) return std::nullopt;
  return ApiError{417, "expectation_failed", "the only expectation supported is Expect: 100-continue", "Expect"};
}

std::size_t fields_size(const http::fields& fields) {
  std::size_t n = 0;
  for (const auto& f : fields) n += f.name_string().size() + f.value().size() + 4;  // ": " and CRLF
  return n;
}

}  // namespace

std::size_t read_buffer_limit(std::size_t header_limit) { return header_limit + 16 * 1024; }

RequestParser::RequestParser(std::size_t header_limit, std::size_t body_limit) : counter_{body_limit} {
  parser_.header_limit(static_cast<std::uint32_t>(header_limit));
  parser_.body_limit(body_limit);
  parser_.on_chunk_header(counter_);
}

void RequestParser::ChunkCounter::operator()(std::uint64_t size, beast::string_view extensions,
                                             beast::error_code& ec) {
  bytes += size + extensions.size();
  if (bytes > limit) ec = http::error::body_limit;
}

bool is_disconnect(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::operation_aborted ||
         ec == http::error::partial_message;
}

ApiError read_error(const beast::error_code& ec, std::size_t header_limit, std::size_t body_limit) {
  if (ec == http::error::body_limit) {
    return ApiError{413, "body_too_large",
                    fmt::format("the body (with its chunk extensions) is larger than {} bytes", body_limit), ""};
  }
  if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
    return ApiError{431, "headers_too_large",
                    fmt::format("the header or trailer fields are larger than {} bytes", header_limit), ""};
  }
  return ApiError{400, "bad_request", "malformed HTTP request: " + ec.message(), ""};
}

std::size_t header_section_end(std::string_view received) {
  const auto crlf = received.find("\r\n\r\n");
  const auto lf = received.find("\n\n");
  if (crlf == std::string_view::npos && lf == std::string_view::npos) return std::string_view::npos;
  return std::min(crlf == std::string_view::npos ? received.size() : crlf + 4,
                  lf == std::string_view::npos ? received.size() : lf + 2);
}

std::optional<ApiError> raw_header_refusal(std::string_view header_section) {
  // A line that starts with a space or a tab continues the one before it;
  // the first line is the request line, so any such line is a fold.
  for (auto at = header_section.find('\n'); at != std::string_view::npos && at + 1 < header_section.size();
       at = header_section.find('\n', at + 1)) {
    const char next = header_section[at + 1];
    if (next == ' ' || next == '\t') {
      return ApiError{400, "folded_header",
                      "a header field folded onto the next line (obs-fold) is refused (RFC 9112); the connection is "
                      "closed",
                      ""};
    }
  }
  return std::nullopt;
}

std::optional<ApiError> header_refusal(const http::request<http::string_body>& req) {
  if (auto e = transfer_encoding_error(req)) return e;
  return expectation_error(req);
}

std::optional<ApiError> trailer_refusal(const http::request<http::string_body>& req, std::size_t header_limit) {
  // Without a chunked body there are no trailers, and the header limit held.
  if (!req.chunked() || fields_size(req) <= header_limit) return std::nullopt;
  return read_error(http::error::header_limit, header_limit, 0);
}

bool expects_continue(const http::request<http::string_body>& req) {
  return req.version() >= 11 && !req[http::field::expect].empty();  // anything but 100-continue is refused first
}

}  // namespace oee::api
