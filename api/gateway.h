#pragma once
// The gateway role: a WebSocket edge with no log of its own. Live updates
// come from Redis (RedisFeed into the gateway's Hub); the past comes from
// the core over HTTP (CoreClient). Its REST surface is /health and /metrics.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "api/core_client.h"
#include "api/redis_feed.h"
#include "api/server_context.h"
#include "api/stream_source.h"

namespace oee::api {

/// Catch-up through the core; runs each fetch on `executor`.
class CoreStreamSource final : public StreamSource {
 public:
  CoreStreamSource(Hub& hub, const CoreClient& core, boost::asio::any_io_executor executor)
      : hub_(hub), core_(core), executor_(std::move(executor)) {}
  Hub& hub() override { return hub_; }
  void catch_up(const OrderId& order, Seq from, CatchUpHandler done) override;
  std::string_view origin() const override { return "core"; }

 private:
  Hub& hub_;
  const CoreClient& core_;
  boost::asio::any_io_executor executor_;
};

struct Gateway {
  ServerContext& server;
  const CoreClient& core;
  const RedisFeed& feed;
  Hub& hub;
};

[[nodiscard]] boost::asio::awaitable<HttpResponse> handle_gateway_request(Gateway& gateway,
                                                                          const HttpRequest& request);

}  // namespace oee::api
