#include "tools/chaos/http_client.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

namespace oee::chaos {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;

std::optional<json::value> HttpResponse::json() const {
  boost::system::error_code ec;
  auto value = json::parse(body, ec);
  if (ec) return std::nullopt;
  return value;
}

std::string HttpResponse::error_code() const {
  const auto value = json();
  if (!value || !value->is_object()) return {};
  const auto* error = value->as_object().if_contains("error");
  if (error == nullptr || !error->is_object()) return {};
  const auto* code = error->as_object().if_contains("code");
  return code != nullptr && code->is_string() ? std::string(code->as_string()) : std::string();
}

struct HttpClient::Impl {
  explicit Impl(std::chrono::milliseconds t) : timeout(t) {}

  // Runs the operation `start` begins until it completes or the stream's
  // timer ends it (beast::error::timeout).
  template <class Start>
  boost::system::error_code run(Start&& start) {
    boost::system::error_code result = asio::error::would_block;
    stream->expires_after(timeout);
    start([&result](boost::system::error_code ec, auto&&...) { result = ec; });
    ioc.restart();
    ioc.run();
    return result;
  }

  void close() {
    if (stream) {
      boost::system::error_code ignored;
      stream->socket().close(ignored);
    }
    stream.reset();
    buffer.clear();
    port = 0;
  }

  std::chrono::milliseconds timeout;
  asio::io_context ioc;
  std::optional<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
  unsigned short port = 0;
};

HttpClient::HttpClient(std::chrono::milliseconds timeout) : impl_(std::make_unique<Impl>(timeout)) {}
HttpClient::~HttpClient() = default;

HttpResponse HttpClient::request(unsigned short port, const std::string& method, const std::string& target,
                                 const std::string& body, const std::map<std::string, std::string>& headers) {
  auto& s = *impl_;
  if (port == 0) return HttpResponse{0, {}, "node down"};
  if (s.port != port) s.close();
  // A kept-alive connection the server dropped (a node killed and started
  // again) fails on first use: one fresh connection is tried then. A
  // timeout is not retried: the server may be paused, and waiting twice
  // would only double the wait.
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool reused = s.stream.has_value();
    if (!reused) {
      s.stream.emplace(s.ioc);
      const tcp::endpoint endpoint(asio::ip::make_address_v4("127.0.0.1"), port);
      if (const auto ec = s.run([&](auto handler) { s.stream->async_connect(endpoint, handler); })) {
        s.close();
        return HttpResponse{0, {}, "connect: " + ec.message()};
      }
      s.port = port;
    }
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, "127.0.0.1");
    for (const auto& [name, value] : headers) req.set(name, value);
    if (!body.empty()) req.set(http::field::content_type, "application/json");
    req.body() = body;
    req.prepare_payload();
    req.keep_alive(true);
    auto ec = s.run([&](auto handler) { http::async_write(*s.stream, req, handler); });
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    if (!ec) ec = s.run([&](auto handler) { http::async_read(*s.stream, s.buffer, parser, handler); });
    if (ec) {
      s.close();
      if (reused && ec != beast::error::timeout) continue;
      return HttpResponse{0, {}, std::string(ec == beast::error::timeout ? "timeout" : ec.message())};
    }
    auto res = parser.release();
    if (!res.keep_alive()) s.close();
    return HttpResponse{static_cast<int>(res.result_int()), std::move(res.body()), {}};
  }
  return HttpResponse{0, {}, "connection lost"};
}

}  // namespace oee::chaos
