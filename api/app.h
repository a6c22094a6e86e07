#pragma once
// What the HTTP and WebSocket handlers share: configuration and references
// to the engine's parts. Owned by main(); outlives the server.

#include <atomic>
#include <mutex>
#include <unordered_set>
#include <cstdint>
#include <string>

#include "api/hub.h"
#include "core/engine_metrics.h"
#include "core/market.h"
#include "core/order_store.h"

namespace boost::asio {
class thread_pool;
}
namespace oee::projections {
class HistoryStore;
class Projector;
}  // namespace oee::projections

namespace oee::api {

struct AppConfig {
  std::string bind = "127.0.0.1";
  std::uint16_t port = 3000;
  std::size_t max_connections = 10'000;
  std::size_t body_limit = 64 * 1024;
  std::size_t header_limit = 8 * 1024;
  std::size_t ws_message_limit = 4 * 1024;
  std::size_t ws_queue_limit = 1'024;  // queued messages before a slow reader is dropped
  std::size_t ws_subscriptions_limit = 1'000;
  std::string durability = "sync";
  std::string sim = "realistic";
};

struct App {
  App(AppConfig cfg, eventlog::EventLog& l, core::OrderStore& s, const core::Market& m, core::EngineMetrics& em,
      Hub& h)
      : config(std::move(cfg)), log(l), store(s), market(m), metrics(em), hub(h) {}

  AppConfig config;
  eventlog::EventLog& log;
  core::OrderStore& store;
  const core::Market& market;
  core::EngineMetrics& metrics;
  Hub& hub;
  // Set when PostgreSQL is configured (--database-url).
  projections::HistoryStore* history = nullptr;
  projections::Projector* projector = nullptr;
  boost::asio::thread_pool* blocking = nullptr;  // runs PostgreSQL calls off the network threads
  std::atomic<std::int64_t> connections{0};
  std::atomic<std::int64_t> ws_clients{0};
  std::atomic<std::uint64_t> ws_dropped_slow{0};
  std::atomic<std::uint64_t> http_requests{0};
  // Orders with an operator retry being appended: one writer per order.
  std::mutex retry_mu;
  std::unordered_set<OrderId, OrderIdHash> retrying;
};

}  // namespace oee::api
