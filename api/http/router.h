#pragma once
// Every path one role serves, REST and WebSocket, in one table. The core
// (api/routes) and a gateway (api/gateway) each build one; the transport
// asks it what a request or an upgrade is for.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "api/auth/access.h"
#include "api/auth/rate_limit.h"
#include "api/http/http_message.h"
#include "api/http/request_target.h"
#include "api/http/ws_route.h"

namespace oee::api {

using RestHandler = std::function<boost::asio::awaitable<HttpResponse>(const HttpRequest&, const RequestTarget&)>;
/// What an upgrade to a stream path asks for, read from its target.
using StreamHandler = std::function<WsRoute(const RequestTarget&)>;

/// Who may take a route: anyone, a caller whose key has a scope, or only
/// the admin key (routes that show every order, or every key's hash).
struct Needs {
  std::optional<core::Scope> scope;
  bool admin_key = false;
  bool metrics_token = false;  // the --metrics-token will do too
};
inline constexpr Needs kAnyone{};
inline constexpr Needs kOrderReads{core::Scope::orders_read};
inline constexpr Needs kOrderWrites{core::Scope::orders_write};
inline constexpr Needs kKeyAdmin{core::Scope::keys_admin};
inline constexpr Needs kAdminKey{core::Scope::keys_admin, true};
// Global figures (every key's orders): not an API key's to read.
inline constexpr Needs kMetrics{core::Scope::keys_admin, true, true};

/// A 401 (with WWW-Authenticate: Bearer) for a request that is not
/// authenticated, or a 503 while the keys are not known yet; a 403 for a
/// key without the scope a route needs.
[[nodiscard]] HttpResponse unauthenticated(AuthFailure why);
[[nodiscard]] HttpResponse forbidden(core::Scope needed);
/// A 429 with Retry-After and the RateLimit-* fields.
[[nodiscard]] HttpResponse too_many_requests(const RateDecision& d);
/// The RateLimit-* fields of a limited request's answer (none if unlimited).
void add_rate_limit_headers(HttpResponse& response, const RateDecision& d);

class Router {
 public:
  /// A router that lets no one take a route that needs a scope: one made
  /// with an Authenticator says who may.
  Router() = default;
  /// `auth` (outliving the router) says who a request is, before any route
  /// but kAnyone's runs; a disabled one lets everyone take every route.
  /// `limits`, if given (and outliving it), rate-limits keys and addresses.
  explicit Router(const Authenticator& auth, RateLimiter* limits = nullptr) : auth_(&auth), limits_(limits) {}

  /// `method`: GET (which answers HEAD too), POST, PATCH or DELETE. `path`: its
  /// segments joined by '/', "*" matching any one segment, "" the root.
  /// The first path registered that matches a request decides which
  /// methods it takes; any other method gets 405 with Allow.
  Router& on(std::string_view method, std::string_view path, Needs needs, RestHandler handler);
  Router& stream(std::string_view path, StreamHandler handler);
  /// What answers a path no REST route matches; a 404 naming it otherwise.
  Router& otherwise(RestHandler handler);

  /// Sets `request.principal` before a route sees it; refuses with 401,
  /// 403 or 429 before the route runs.
  [[nodiscard]] boost::asio::awaitable<HttpResponse> handle(HttpRequest& request) const;
  /// The same for a request whose sender is known already (a WebSocket
  /// session's, authenticated when it opened and closed when its key is
  /// revoked or expires): the route's scope and the key's rate limit are
  /// checked as handle() checks them; no key is read.
  [[nodiscard]] boost::asio::awaitable<HttpResponse> handle_as(HttpRequest& request, const Principal& sender) const;
  /// The stream an upgrade to `target` asks for (its `error` set when it
  /// asks wrongly or is not authenticated), or nullopt for a path that
  /// serves no WebSocket. Streams need orders:read; the key comes from
  /// `authorization` or the target's access_token.
  [[nodiscard]] std::optional<WsRoute> websocket(std::string_view target, std::string_view authorization,
                                                 const boost::asio::ip::address& peer = {}) const;

 private:
  struct Admitted {
    Principal principal;
    RateDecision rate;
  };
  // Who may take a route that needs `needs`, within their rate limits;
  // otherwise the whole refusal.
  // A failed authentication from `peer`, counted; a 429 once it has
  // failed too often.
  [[nodiscard]] std::optional<HttpResponse> failed_authentication(const boost::asio::ip::address& peer,
                                                                  AuthFailure why, SteadyTime now) const;
  [[nodiscard]] boost::system::result<Admitted, HttpResponse> admit(std::string_view authorization,
                                                                    std::string_view access_token,
                                                                    const boost::asio::ip::address& peer,
                                                                    Needs needs) const;
  // A WebSocket opened with a ticket (POST /api/ws-ticket): spent here.
  [[nodiscard]] boost::system::result<Admitted, HttpResponse> admit_ticket(std::string_view ticket,
                                                                           const boost::asio::ip::address& peer) const;
  // The same for a caller known to be `who`, for a route that needs a scope.
  [[nodiscard]] boost::system::result<Admitted, HttpResponse> admit_known(const Principal& who, Needs needs,
                                                                          SteadyTime now) const;
  // `sender`: see handle_as; none: authenticated from the request.
  [[nodiscard]] boost::asio::awaitable<HttpResponse> dispatch(HttpRequest& request, const Principal* sender) const;

  // Whether requests are rate-limited: with limits, while keys guard routes.
  [[nodiscard]] bool limiting() const { return limits_ != nullptr && auth_ != nullptr && auth_->enabled(); }
  // 429 for a request that needs no key, from an address past its limit.
  [[nodiscard]] std::optional<HttpResponse> anonymous_refusal(const boost::asio::ip::address& peer,
                                                              SteadyTime now) const;

  struct Rest {
    std::vector<std::string> path;
    std::string method;
    Needs needs;
    RestHandler handler;
  };
  struct Stream {
    std::vector<std::string> path;
    StreamHandler handler;
  };
  std::vector<Rest> rest_;
  std::vector<Stream> streams_;
  RestHandler otherwise_;
  const Authenticator* auth_ = nullptr;
  RateLimiter* limits_ = nullptr;
};

/// A route whose answer needs no waiting: `answer(request, target)`
/// returns the HttpResponse itself.
template <class Answer>
[[nodiscard]] RestHandler at_once(Answer answer) {
  return [answer](const HttpRequest& request, const RequestTarget& target) -> boost::asio::awaitable<HttpResponse> {
    co_return answer(request, target);
  };
}

/// The order streams both roles serve (docs/streaming.md): /ws,
/// /api/orders/status, /api/orders/execute and /order/{id}.
void add_order_streams(Router& router);

}  // namespace oee::api
