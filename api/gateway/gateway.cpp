#include "api/gateway/gateway.h"

#include <algorithm>
#include <atomic>
#include <deque>
#include <mutex>
#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include "api/dashboard/dashboard.h"
#include "api/http/api_error.h"

namespace oee::api {

namespace asio = boost::asio;
namespace json = boost::json;

struct CoreStreamSource::Fetches : std::enable_shared_from_this<Fetches> {
  struct Fetch {
    std::optional<OrderId> order;  // none: every order's newest events
    Seq from;                      // for one order's
    eventlog::Position after;      // for every order's
    std::size_t max = 0;           // for every order's
    std::optional<core::KeyId> as_key;  // whose view the core answers with
    CatchUpHandler done;
  };

  Fetches(std::shared_ptr<const CoreClient> client, asio::any_io_executor ex, std::size_t limit)
      : core(std::move(client)), executor(std::move(ex)), max_in_flight(limit) {}

  void add(Fetch fetch) {
    {
      std::lock_guard lock(mu);
      if (in_flight >= max_in_flight) {
        waiting.push_back(std::move(fetch));
        return;
      }
      ++in_flight;
    }
    launch(std::move(fetch));
  }

  void launch(Fetch fetch) {
    auto answer = fetch.order ? core->events(*fetch.order, fetch.from, fetch.as_key)
                              : core->recent_events(fetch.after, fetch.max, fetch.as_key);
    asio::co_spawn(executor, std::move(answer),
                   [self = shared_from_this(), done = std::move(fetch.done)](std::exception_ptr e, CatchUp r) {
                     if (e) {
                       r = CatchUp{};
                       r.outcome = CatchUp::Outcome::unavailable;
                       r.error = "catch-up from the core failed";
                     }
                     if (r.outcome == CatchUp::Outcome::ok && r.partitions > 0) self->partitions = r.partitions;
                     done(std::move(r));
                     self->finished();
                   });
  }

  void finished() {
    std::optional<Fetch> next;
    {
      std::lock_guard lock(mu);
      if (waiting.empty()) {
        --in_flight;
        return;
      }
      next.emplace(std::move(waiting.front()));
      waiting.pop_front();
    }
    launch(std::move(*next));
  }

  std::shared_ptr<const CoreClient> core;
  asio::any_io_executor executor;
  std::size_t max_in_flight;
  std::mutex mu;
  std::size_t in_flight = 0;
  std::deque<Fetch> waiting;
  std::atomic<std::uint32_t> partitions{0};  // the core's, when a cluster's
};

CoreStreamSource::CoreStreamSource(Hub& hub, std::shared_ptr<const CoreClient> core, asio::any_io_executor executor,
                                   std::size_t max_in_flight)
    : hub_(hub), fetches_(std::make_shared<Fetches>(std::move(core), std::move(executor), max_in_flight)) {}

void CoreStreamSource::catch_up(const OrderId& order, Seq from, const Principal& viewer, CatchUpHandler done) {
  // Live updates reach a subscription only once its catch-up has found the
  // order, so the core's answer for this key decides what it sees.
  std::optional<core::KeyId> as_key;
  if (!viewer.sees_everything()) as_key = viewer.key;
  fetches_->add(Fetches::Fetch{order, from, {}, 0, as_key, std::move(done)});
}

void CoreStreamSource::recent(const eventlog::Position& after, std::size_t max, const Principal& viewer,
                              CatchUpHandler done) {
  std::optional<core::KeyId> as_key;
  if (!viewer.sees_everything()) as_key = viewer.key;
  fetches_->add(Fetches::Fetch{std::nullopt, {}, after, max, as_key, std::move(done)});
}

bool CoreStreamSource::partitioned() const { return fetches_->partitions.load() > 0; }

std::uint32_t CoreStreamSource::partitions() const { return std::max(1U, fetches_->partitions.load()); }

void CoreStreamSource::learn_log_shape() {
  auto fetches = fetches_;
  asio::co_spawn(
      fetches->executor,
      [fetches]() -> asio::awaitable<void> {
        asio::steady_timer timer(co_await asio::this_coro::executor);
        for (;;) {
          const auto answer = co_await fetches->core->recent_events(eventlog::Position{}, 1, std::nullopt);
          if (answer.outcome == CatchUp::Outcome::ok) {
            if (answer.partitions > 0) fetches->partitions = answer.partitions;
            co_return;
          }
          timer.expires_after(std::chrono::seconds(1));
          co_await timer.async_wait(asio::use_awaitable);
        }
      },
      asio::detached);
}

namespace {

HttpResponse health(Gateway& g, bool figures) {
  const auto feed = g.feed.status();
  json::object redis{{"status", feed.subscribed ? "ok" : "down"},
                     {"lastSeq", feed.last_seq},
                     {"messages", feed.messages},
                     {"resyncs", feed.gaps},
                     {"reconnects", feed.reconnects}};
  if (!feed.subscribed && !feed.last_error.empty()) redis["lastError"] = feed.last_error;
  // Degraded, not down: subscribers still get the past from the core, and
  // whatever was missed live is fetched when Redis is back.
  const char* status = feed.subscribed ? "ok" : "degraded";
  if (!figures) {
    // Status words only: see the core's /health.
    return HttpResponse{200,
                        json::serialize(json::object{
                            {"service", "oee"},
                            {"version", OEE_VERSION},
                            {"role", "gateway"},
                            {"status", status},
                            {"redis", json::object{{"status", redis.at("status")}}},
                            {"auth", g.auth.enabled() ? "on" : "off"},
                            {"detail", "figures, errors and the core's address are shown to the admin key"}}),
                        "application/json",
                        {}};
  }
  const json::object body{{"service", "oee"},
                          {"version", OEE_VERSION},
                          {"role", "gateway"},
                          {"status", status},
                          {"core", json::object{{"url", g.core.endpoint().url()}}},
                          {"redis", std::move(redis)},
                          {"fanOut", json::object{{"mode", "redis"}, {"subscriptions", g.hub.subscriptions()}}},
                          {"auth", g.auth.enabled() ? "on" : "off"},
                          {"websocketClients", g.server.ws_clients.load()}};
  return HttpResponse{200, json::serialize(body), "application/json", {}};
}

HttpResponse metrics(Gateway& g) {
  const auto feed = g.feed.status();
  std::string out;
  metrics::append_metric(out, "oee_redis_up", "gauge", "Whether the gateway is subscribed to Redis.",
                         feed.subscribed ? 1 : 0);
  metrics::append_metric(out, "oee_gateway_messages_total", "counter", "Status messages received from Redis.",
                         feed.messages);
  metrics::append_metric(out, "oee_gateway_resyncs_total", "counter", "Catch-ups requested after a gap or a reconnect.",
                         feed.gaps);
  metrics::append_metric(out, "oee_gateway_last_seq", "gauge", "Highest seq received from Redis.", feed.last_seq);
  metrics::append_metric(out, "oee_gateway_core_requests_total", "counter", "Catch-up requests sent to the core.",
                         g.core.requests());
  metrics::append_metric(out, "oee_gateway_core_connections_total", "counter",
                         "Connections opened to the core (each is kept and reused).", g.core.connections_opened());
  append_connection_metrics(out, g.server);
  return HttpResponse{200, std::move(out), "text/plain; version=0.0.4", {}};
}

}  // namespace

Router gateway_router(Gateway& g) {
  auto status = at_once([&g](const HttpRequest& req, const RequestTarget&) {
    return health(g, req.principal.sees_everything());
  });
  Router router(g.auth, &g.server.limits);
  // A browser gets the dashboard, which here shows the streams only.
  router.on("GET", "", kAnyone, at_once([&g](const HttpRequest& req, const RequestTarget&) {
              return for_browsers_or_not(req, [&g, &req] { return health(g, req.principal.sees_everything()); });
            }))
      .on("GET", "health", kAnyone, status)
      .on("GET", "metrics", kMetrics, at_once([&g](const HttpRequest&, const RequestTarget&) { return metrics(g); }))
      .otherwise(at_once([&g](const HttpRequest&, const RequestTarget&) {
        return error_response(ApiError{404, "not_on_gateway",
                                       "this is a WebSocket gateway (/ws, /api/orders/status, "
                                       "/api/orders/execute?orderId=, /order/{id}); send REST requests to the core "
                                       "at " + g.core.endpoint().url(),
                                       ""});
      }));
  add_order_streams(router);
  add_dashboard_files(router);
  return router;
}

}  // namespace oee::api
