#include "api/gateway/gateway.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/json.hpp>

#include "api/http/api_error.h"

namespace oee::api {

namespace asio = boost::asio;
namespace json = boost::json;

void CoreStreamSource::catch_up(const OrderId& order, Seq from, CatchUpHandler done) {
  Fetch fetch{order, from, std::move(done)};
  {
    std::lock_guard lock(mu_);
    if (in_flight_ >= max_in_flight_) {
      waiting_.push_back(std::move(fetch));
      return;
    }
    ++in_flight_;
  }
  launch(std::move(fetch));
}

void CoreStreamSource::launch(Fetch fetch) {
  asio::co_spawn(executor_, core_.events(fetch.order, fetch.from),
                 [this, done = std::move(fetch.done)](std::exception_ptr e, CatchUp r) {
                   if (e) {
                     r = CatchUp{};
                     r.outcome = CatchUp::Outcome::unavailable;
                     r.error = "catch-up from the core failed";
                   }
                   done(std::move(r));
                   finished();
                 });
}

void CoreStreamSource::finished() {
  std::optional<Fetch> next;
  {
    std::lock_guard lock(mu_);
    if (waiting_.empty()) {
      --in_flight_;
      return;
    }
    next.emplace(std::move(waiting_.front()));
    waiting_.pop_front();
  }
  launch(std::move(*next));
}

namespace {

HttpResponse health(Gateway& g) {
  const auto feed = g.feed.status();
  json::object redis{{"status", feed.subscribed ? "ok" : "down"},
                     {"lastSeq", feed.last_seq},
                     {"messages", feed.messages},
                     {"resyncs", feed.gaps},
                     {"reconnects", feed.reconnects}};
  if (!feed.subscribed && !feed.last_error.empty()) redis["lastError"] = feed.last_error;
  // Degraded, not down: subscribers still get the past from the core, and
  // whatever was missed live is fetched when Redis is back.
  const json::object body{{"service", "oee"},
                          {"version", OEE_VERSION},
                          {"role", "gateway"},
                          {"status", feed.subscribed ? "ok" : "degraded"},
                          {"core", json::object{{"url", g.core.endpoint().url()}}},
                          {"redis", std::move(redis)},
                          {"fanOut", json::object{{"mode", "redis"}, {"subscriptions", g.hub.subscriptions()}}},
                          {"websocketClients", g.server.ws_clients.load()}};
  return HttpResponse{200, json::serialize(body), "application/json", {}};
}

HttpResponse metrics(Gateway& g) {
  const auto feed = g.feed.status();
  std::string out;
  append_metric(out, "oee_redis_up", "gauge", "Whether the gateway is subscribed to Redis.", feed.subscribed ? 1 : 0);
  append_metric(out, "oee_gateway_messages_total", "counter", "Status messages received from Redis.", feed.messages);
  append_metric(out, "oee_gateway_resyncs_total", "counter",
                "Catch-ups requested after a gap or a reconnect.", feed.gaps);
  append_metric(out, "oee_gateway_last_seq", "gauge", "Highest seq received from Redis.", feed.last_seq);
  append_metric(out, "oee_gateway_core_requests_total", "counter",
                "Catch-up requests sent to the core.", g.core.requests());
  append_metric(out, "oee_gateway_core_connections_total", "counter",
                "Connections opened to the core (each is kept and reused).", g.core.connections_opened());
  append_connection_metrics(out, g.server);
  return HttpResponse{200, std::move(out), "text/plain; version=0.0.4", {}};
}

}  // namespace

asio::awaitable<HttpResponse> handle_gateway_request(Gateway& g, const HttpRequest& req) {
  g.server.http_requests.fetch_add(1, std::memory_order_relaxed);
  const std::string_view path = std::string_view(req.target).substr(0, req.target.find('?'));
  const bool get = req.method == "GET" || req.method == "HEAD";
  if (path == "/" || path == "/health" || path == "/metrics") {
    if (!get) {
      auto r = error_response(ApiError{405, "method_not_allowed", "use GET on this path", ""});
      r.allow = "GET";
      co_return r;
    }
    co_return path == "/metrics" ? metrics(g) : health(g);
  }
  co_return error_response(ApiError{404, "not_on_gateway",
                                    "this is a WebSocket gateway (/ws, /api/orders/status, /api/orders/execute?orderId=, "
                                    "/order/{id}); send REST requests to the core at " +
                                        g.core.endpoint().url(),
                                    ""});
}

}  // namespace oee::api
