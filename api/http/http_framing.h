#pragma once
// How oee reads an HTTP/1.1 request off the wire (RFC 9112), apart from
// the socket: the parser's limits, and the requests refused before they
// reach a route. Shared by the server and its fuzz target.
//
// - The read buffer is bounded, so what Beast must hold whole (the header
//   section, a chunk line, the trailer section) cannot grow past the
//   limits; a request that overflows it is 431.
// - Chunk extensions count toward the body limit (413), trailer fields
//   toward the header limit (431).
// - A Transfer-Encoding other than one final "chunked" is refused and the
//   connection closed: its body's end is unknown (request smuggling).
// - Expect: only 100-continue (417 otherwise).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "api/http/api_error.h"

namespace oee::api {

namespace http = boost::beast::http;

/// The largest the read buffer grows: the header limit and room for body
/// bytes that arrive with the header. Beast throws on a single field over
/// 64 KiB, so this must stay well below that.
[[nodiscard]] std::size_t read_buffer_limit(std::size_t header_limit);

/// A request parser with oee's limits. Not movable: Beast keeps a pointer
/// to the chunk counter.
class RequestParser {
 public:
  RequestParser(std::size_t header_limit, std::size_t body_limit);
  RequestParser(const RequestParser&) = delete;
  RequestParser& operator=(const RequestParser&) = delete;
  [[nodiscard]] http::request_parser<http::string_body>& parser() { return parser_; }

 private:
  struct ChunkCounter {
    std::uint64_t limit;
    std::uint64_t bytes = 0;
    void operator()(std::uint64_t size, boost::beast::string_view extensions, boost::beast::error_code& ec);
  };
  http::request_parser<http::string_body> parser_;
  ChunkCounter counter_;
};

/// True when the peer just went away (no answer is owed).
[[nodiscard]] bool is_disconnect(const boost::beast::error_code& ec);
/// The answer to a request that could not be read whole.
[[nodiscard]] ApiError read_error(const boost::beast::error_code& ec, std::size_t header_limit,
                                  std::size_t body_limit);
/// Where the header section in `received` ends (past its blank line), or
/// npos while it is not all there. A bare-LF blank line ends it too (Beast
/// refuses those lines with 400 once it parses them).
[[nodiscard]] std::size_t header_section_end(std::string_view received);
/// The header section as it came, before Beast parses it: a field line
/// folded onto the next (obs-fold, RFC 9112 5.2) is refused with 400, as
/// Beast would unfold it where a proxy in front may not (request smuggling).
[[nodiscard]] std::optional<ApiError> raw_header_refusal(std::string_view header_section);
/// Once the header is in: a refused Transfer-Encoding or Expect.
[[nodiscard]] std::optional<ApiError> header_refusal(const http::request<http::string_body>& req);
/// Once the body is in: trailers that, with the header, are over the limit.
[[nodiscard]] std::optional<ApiError> trailer_refusal(const http::request<http::string_body>& req,
                                                      std::size_t header_limit);
/// Whether the client waits for "100 Continue" before sending the body.
[[nodiscard]] bool expects_continue(const http::request<http::string_body>& req);

}  // namespace oee::api
