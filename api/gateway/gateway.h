#pragma once
// The gateway role: a WebSocket edge with no log of its own. Live updates
// come from Redis (RedisFeed into the gateway's Hub); the past comes from
// the core over HTTP (CoreClient). Its REST surface is /health and /metrics.

#include <memory>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "api/gateway/core_client.h"
#include "api/http/server_context.h"
#include "api/redis/redis_feed.h"
#include "api/stream/stream_source.h"

namespace oee::api {

/// Catch-up through the core; runs each fetch on `executor`. At most
/// `max_in_flight` fetches run at once (a Redis reconnect asks every
/// subscription to resync); the rest wait their turn in order.
class CoreStreamSource final : public StreamSource {
 public:
  CoreStreamSource(Hub& hub, std::shared_ptr<const CoreClient> core, boost::asio::any_io_executor executor,
                   std::size_t max_in_flight = 64);
  Hub& hub() override { return hub_; }
  void catch_up(const OrderId& order, Seq from, const Principal& viewer, CatchUpHandler done) override;
  void recent(const eventlog::Position& after, std::size_t max, const Principal& viewer,
              CatchUpHandler done) override;
  /// The core's log as its answers show it: a cluster's positions go
  /// partition by partition. Until the core has answered, the embedded
  /// log's (see learn_log_shape).
  bool partitioned() const override;
  std::uint32_t partitions() const override;
  /// Asks the core what its log is like, once a second until it answers.
  void learn_log_shape();
  std::string_view unavailable_code() const override { return "core_unavailable"; }

 private:
  // Fetches in flight hold it, so one that completes after the source is
  // gone still has its client and its queue.
  struct Fetches;
  Hub& hub_;
  std::shared_ptr<Fetches> fetches_;
};

struct Gateway {
  ServerContext& server;
  const CoreClient& core;
  const RedisFeed& feed;
  Hub& hub;
  const Authenticator& auth;
};

/// Every path a gateway serves: the order streams, /health and /metrics;
/// any other path is 404 naming the core. `gateway` must outlive it.
[[nodiscard]] Router gateway_router(Gateway& gateway);

}  // namespace oee::api
