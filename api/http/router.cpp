#include "api/http/router.h"

#include <algorithm>

#include "api/http/api_error.h"
#include "api/http/responses.h"

namespace oee::api {

namespace {

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> segments;
  while (!path.empty()) {
    const auto slash = path.find('/');
    const auto part = path.substr(0, slash);
    if (!part.empty()) segments.emplace_back(part);
    path.remove_prefix(slash == std::string_view::npos ? path.size() : slash + 1);
  }
  return segments;
}

bool matches(const std::vector<std::string>& pattern, const std::vector<std::string>& segments) {
  return pattern.size() == segments.size() &&
         std::equal(pattern.begin(), pattern.end(), segments.begin(),
                    [](const std::string& p, const std::string& s) { return p == "*" || p == s; });
}

}  // namespace

Router& Router::on(std::string_view method, std::string_view path, RestHandler handler) {
  rest_.push_back(Rest{split_path(path), std::string(method), std::move(handler)});
  return *this;
}

Router& Router::stream(std::string_view path, StreamHandler handler) {
  streams_.push_back(Stream{split_path(path), std::move(handler)});
  return *this;
}

Router& Router::otherwise(RestHandler handler) {
  otherwise_ = std::move(handler);
  return *this;
}

boost::asio::awaitable<HttpResponse> Router::handle(const HttpRequest& request) const {
  const auto target = parse_request_target(request.target);
  if (!target) co_return error_response(target.error());
  const auto first =
      std::find_if(rest_.begin(), rest_.end(), [&](const Rest& r) { return matches(r.path, target->segments); });
  if (first == rest_.end()) {
    if (otherwise_) {
      auto response = co_await otherwise_(request, *target);
      co_return response;
    }
    co_return not_found("no route for " + request.method + " " + request.target.substr(0, 200));
  }
  const std::string_view method = request.method == "HEAD" ? "GET" : std::string_view(request.method);
  std::string allow;
  for (const Rest& r : rest_) {
    if (r.path != first->path) continue;
    if (r.method == method) {
      auto response = co_await r.handler(request, *target);  // not `co_return co_await`: [gcc12-coro]
      co_return response;
    }
    if (!allow.empty()) allow += ", ";
    allow += r.method;
  }
  co_return method_not_allowed(std::move(allow));
}

std::optional<WsRoute> Router::websocket(std::string_view target) const {
  const auto parsed = parse_request_target(target);
  if (!parsed) return WsRoute{WsProtocol::json, std::nullopt, 0, parsed.error()};
  for (const Stream& s : streams_) {
    if (matches(s.path, parsed->segments)) return s.handler(*parsed);
  }
  return std::nullopt;
}

}  // namespace oee::api
