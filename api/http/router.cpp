#include "api/http/router.h"

#include <algorithm>
#include <chrono>

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

HttpResponse unauthenticated(AuthFailure why) {
  if (why == AuthFailure::unavailable) {
    HttpResponse r = error_response(ApiError{503, "keys_unavailable", std::string(auth_failure_message(why)), ""});
    r.headers.emplace_back("Retry-After", "1");
    return r;
  }
  HttpResponse r = error_response(ApiError{401, "unauthenticated", std::string(auth_failure_message(why)), ""});
  // RFC 6750: a request without credentials learns only the scheme.
  r.headers.emplace_back("WWW-Authenticate", why == AuthFailure::missing
                                                 ? std::string("Bearer realm=\"oee\"")
                                                 : std::string("Bearer realm=\"oee\", error=\"invalid_token\""));
  return r;
}

HttpResponse forbidden(core::Scope needed) {
  return error_response(ApiError{403, "forbidden",
                                 "this API key lacks the scope " + std::string(core::scope_name(needed)), ""});
}

Router& Router::on(std::string_view method, std::string_view path, Needs needs, RestHandler handler) {
  rest_.push_back(Rest{split_path(path), std::string(method), needs, std::move(handler)});
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

HttpResponse too_many_requests(const RateDecision& d) {
  HttpResponse r = error_response(ApiError{
      429, "rate_limited", "too many requests: try again in " + std::to_string(d.retry_after_s) + " s", ""});
  r.headers.emplace_back("Retry-After", std::to_string(d.retry_after_s));
  add_rate_limit_headers(r, d);
  return r;
}

void add_rate_limit_headers(HttpResponse& response, const RateDecision& d) {
  if (d.limit == 0) return;  // not limited
  response.headers.emplace_back("RateLimit-Limit", std::to_string(d.limit));
  response.headers.emplace_back("RateLimit-Remaining", std::to_string(d.remaining));
  response.headers.emplace_back("RateLimit-Reset", std::to_string(d.reset_s));
}

boost::system::result<Router::Admitted, HttpResponse> Router::admit(std::string_view authorization,
                                                                     std::string_view access_token,
                                                                     const boost::asio::ip::address& peer,
                                                                     Needs needs) const {
  const auto now = std::chrono::steady_clock::now();
  boost::system::result<Principal, AuthFailure> who = AuthFailure::missing;
  if (!needs.scope) {
    if (auto refusal = anonymous_refusal(peer, now)) return std::move(*refusal);
    // A key is not needed here, but one that is presented is checked as
    // anywhere (/health shows figures to the admin key), and a wrong one
    // counts as a failure: no route is a free oracle for guessing keys.
    const bool presented = !authorization.empty() || !access_token.empty();
    if (auth_ == nullptr || (auth_->enabled() && !presented)) return Admitted{};
    who = auth_->authenticate(authorization, access_token, TimestampNs::now());
    if (who) return Admitted{*who, {}};
    if (auto refusal = failed_authentication(peer, who.error(), now)) return std::move(*refusal);
    return Admitted{};
  }
  if (auth_ != nullptr) who = auth_->authenticate(authorization, access_token, TimestampNs::now());
  if (!who) {
    if (auto refusal = failed_authentication(peer, who.error(), now)) return std::move(*refusal);
    return unauthenticated(who.error());
  }
  return admit_known(*who, needs, now);
}

boost::system::result<Router::Admitted, HttpResponse> Router::admit_ticket(std::string_view ticket,
                                                                            const boost::asio::ip::address& peer) const {
  const auto now = std::chrono::steady_clock::now();
  const auto who = auth_->authenticate_ticket(ticket, TimestampNs::now());
  if (!who) {
    if (auto refusal = failed_authentication(peer, who.error(), now)) return std::move(*refusal);
    return unauthenticated(who.error());
  }
  return admit_known(*who, kOrderReads, now);
}

boost::system::result<Router::Admitted, HttpResponse> Router::admit_known(const Principal& who, Needs needs,
                                                                           SteadyTime now) const {
  if (who.kind == Principal::Kind::scraper && needs.metrics_token) return Admitted{who, {}};
  // A key pays for what it asks, allowed or not.
  Admitted admitted{who, {}};
  if (limiting() && who.kind == Principal::Kind::key) {
    admitted.rate = *needs.scope == core::Scope::orders_write
                        ? limits_->write(who.key, who.rate_limit, who.tree, who.tree_rate_limit, now)
                        : limits_->key(who.key, RateLimiter::Kind::reads, who.rate_limit, now);
    if (!admitted.rate.allowed) return too_many_requests(admitted.rate);
  }
  if (needs.admin_key && !who.sees_everything()) {
    return error_response(ApiError{403, "forbidden",
                                   needs.metrics_token ? "only the admin key or the --metrics-token may read this"
                                                       : "only the admin key may use this route",
                                   ""});
  }
  if (!who.may(*needs.scope)) return forbidden(*needs.scope);
  return admitted;
}

std::optional<HttpResponse> Router::failed_authentication(const boost::asio::ip::address& peer, AuthFailure why,
                                                         SteadyTime now) const {
  if (!limiting()) return std::nullopt;
  // Only failures are throttled: a key that is valid is always heard, so
  // one guesser cannot lock out the users who share its address (a proxy,
  // a NAT, a host). Checking a key costs a hash and a lookup.
  if (const auto d = limits_->failing(peer, now); !d.allowed) return too_many_requests(d);
  limits_->failed(peer, why, now);
  return std::nullopt;
}

std::optional<HttpResponse> Router::anonymous_refusal(const boost::asio::ip::address& peer, SteadyTime now) const {
  // With keys guarding the rest, what needs none is limited per address.
  if (!limiting()) return std::nullopt;
  const auto d = limits_->anonymous(peer, now);
  if (d.allowed) return std::nullopt;
  return too_many_requests(d);
}

namespace {

// A sender known from before (a socket's) may have outlived its key; one
// authenticated now was checked as it was.
bool expired(const Principal& who) {
  return who.kind == Principal::Kind::key && who.expires_at && who.expires_at->value <= TimestampNs::now().value;
}

}  // namespace

boost::asio::awaitable<HttpResponse> Router::handle(HttpRequest& request) const {
  auto response = co_await dispatch(request, nullptr);
  co_return response;
}

boost::asio::awaitable<HttpResponse> Router::handle_as(HttpRequest& request, const Principal& sender) const {
  auto response = co_await dispatch(request, &sender);
  co_return response;
}

boost::asio::awaitable<HttpResponse> Router::dispatch(HttpRequest& request, const Principal* sender) const {
  const auto target = parse_request_target(request.target);
  if (!target) co_return error_response(target.error());
  const auto first =
      std::find_if(rest_.begin(), rest_.end(), [&](const Rest& r) { return matches(r.path, target->segments); });
  if (first == rest_.end()) {
    // A known sender was admitted when its socket opened.
    if (sender == nullptr) {
      if (auto refusal = anonymous_refusal(request.peer, std::chrono::steady_clock::now())) co_return std::move(*refusal);
    }
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
      boost::system::result<Admitted, HttpResponse> admitted = Admitted{};
      if (sender == nullptr) {
        admitted = admit(request.authorization, {}, request.peer, r.needs);
      } else if (expired(*sender)) {
        admitted = unauthenticated(AuthFailure::expired);
      } else if (r.needs.scope) {
        admitted = admit_known(*sender, r.needs, std::chrono::steady_clock::now());
      } else {
        admitted = Admitted{*sender, {}};
      }
      if (!admitted) co_return admitted.error();
      request.principal = admitted->principal;
      auto response = co_await r.handler(request, *target);  // not `co_return co_await`: [gcc12-coro]
      add_rate_limit_headers(response, admitted->rate);
      co_return response;
    }
    if (!allow.empty()) allow += ", ";
    allow += r.method;
  }
  if (auto refusal = anonymous_refusal(request.peer, std::chrono::steady_clock::now())) co_return std::move(*refusal);
  co_return method_not_allowed(std::move(allow));
}

std::optional<WsRoute> Router::websocket(std::string_view target, std::string_view authorization,
                                         const boost::asio::ip::address& peer) const {
  const auto parsed = parse_request_target(target);
  if (!parsed) return WsRoute{WsProtocol::json, std::nullopt, 0, parsed.error(), {}};
  const auto stream = std::find_if(streams_.begin(), streams_.end(),
                                   [&](const Stream& s) { return matches(s.path, parsed->segments); });
  if (stream == streams_.end()) return std::nullopt;
  const auto token = parsed->params.find("access_token");
  const std::string_view access_token = token == parsed->params.end() ? std::string_view() : token->second;
  const auto ticket = parsed->params.find("ticket");
  auto admitted = ticket != parsed->params.end() && auth_ != nullptr && auth_->enabled()
                      ? admit_ticket(ticket->second, peer)
                      : admit(authorization, access_token, peer, kOrderReads);
  if (!admitted) {
    WsRoute refused{WsProtocol::json, std::nullopt, 0, std::nullopt, {}};
    refused.refusal = std::move(admitted.error());
    return refused;
  }
  WsRoute route = stream->handler(*parsed);
  route.principal = admitted->principal;
  return route;
}

}  // namespace oee::api
