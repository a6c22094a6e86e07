#include "api/http/request_reader.h"

#include <algorithm>
#include <string_view>

#include <boost/beast/core/error.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

#include "core/engine/use_tuple.h"

namespace oee::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

bool gone(const boost::system::error_code& ec) { return is_disconnect(ec) || tls_connection_lost(ec); }

std::string_view buffer_text(const beast::flat_buffer& buffer) {
  const auto data = buffer.data();
  return {static_cast<const char*>(data.data()), data.size()};
}

// What Beast's read does with bytes already in the buffer, without starting
// an operation (whose completion would be one more trip through the
// scheduler): true once `done` holds or the bytes are in error, false if
// more must be read.
template <class Done>
bool parse_buffered(http::basic_parser<true>& parser, beast::flat_buffer& buffer, beast::error_code& ec, Done done) {
  while (!done(parser) && buffer.size() > 0) {
    const auto used = parser.put(buffer.data(), ec);
    buffer.consume(used);
    if (ec == http::error::need_more || (!ec && used == 0)) {
      ec = {};
      return false;
    }
    if (ec) return true;
  }
  return done(parser);
}

bool header_done(const http::basic_parser<true>& p) { return p.is_header_done(); }
bool message_done(const http::basic_parser<true>& p) { return p.is_done(); }

}  // namespace

asio::awaitable<RequestRead> read_request(Transport& stream, beast::flat_buffer& buffer,
                                          RequestParser& request_parser, ConnectionSlot& slot,
                                          const ServerConfig& config, bool first) {
  auto& parser = request_parser.parser();
  const bool waiting = buffer.size() == 0;
  stream.tcp().expires_after(waiting && !first ? config.http_idle_timeout : config.header_timeout);
  if (waiting) slot.idle(true);
  // The head is read whole before Beast parses it (Beast needs it whole
  // anyway), so that what Beast would quietly unfold is seen.
  std::size_t header_end = std::string_view::npos;
  while ((header_end = header_section_end(buffer_text(buffer))) == std::string_view::npos &&
         buffer.size() < buffer.max_size()) {
    const bool had_none = buffer.size() == 0;
    auto [rec, rn] = co_await stream.async_read_some(
        buffer.prepare(std::min<std::size_t>(4096, buffer.max_size() - buffer.size())), use_tuple);
    buffer.commit(rn);
    if (had_none && rn > 0) {
      slot.idle(false);
      if (waiting && !first) stream.tcp().expires_after(config.header_timeout);
    }
    if (rec) {
      slot.idle(false);
      if (rec == beast::error::timeout && buffer.size() > 0) {
        co_return RequestRead{false, ApiError{408, "request_timeout",
                                              fmt::format("the request's head did not arrive within {} s",
                                                          config.header_timeout.count()),
                                              ""}};
      }
      // Answered here: a read after the end of the stream may never complete.
      if (gone(rec)) co_return RequestRead{true, std::nullopt};
      co_return RequestRead{false, read_error(rec, config.header_limit, config.body_limit)};
    }
  }
  slot.idle(false);
  stream.tcp().expires_after(config.http_idle_timeout);  // for the body
  if (header_end != std::string_view::npos) {
    if (auto folded = raw_header_refusal(buffer_text(buffer).substr(0, header_end))) {
      co_return RequestRead{false, std::move(folded)};
    }
  }
  beast::error_code ec;
  parser.eager(false);  // as async_read_header does
  if (header_end == std::string_view::npos || !parse_buffered(parser, buffer, ec, header_done)) {
    auto [hec, n] = co_await http::async_read_header(stream, buffer, parser, use_tuple);
    ec = hec;
  }
  if (gone(ec)) co_return RequestRead{true, std::nullopt};
  auto refusal = ec ? read_error(ec, config.header_limit, config.body_limit) : header_refusal(parser.get());
  if (refusal || parser.is_done()) co_return RequestRead{false, refusal};
  if (expects_continue(parser.get())) {
    // The client waits for this before it sends the body (curl for a
    // second, others for good).
    http::response<http::empty_body> go_on{http::status::continue_, 11};
    auto [cec, cn] = co_await http::async_write(stream, go_on, use_tuple);
    if (cec) co_return RequestRead{true, std::nullopt};
  }
  beast::error_code bec;
  parser.eager(true);  // as async_read does
  if (!parse_buffered(parser, buffer, bec, message_done)) {
    auto [rec, bn] = co_await http::async_read(stream, buffer, parser, use_tuple);
    bec = rec;
  }
  if (gone(bec)) co_return RequestRead{true, std::nullopt};
  co_return RequestRead{false, bec ? read_error(bec, config.header_limit, config.body_limit)
                                   : trailer_refusal(parser.get(), config.header_limit)};
}

}  // namespace oee::api
