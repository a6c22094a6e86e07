#pragma once
// The publisher: tails the event log from its persisted cursor and
// PUBLISHes each event's status message (the WebSocket JSON, with its seq)
// to `oee:order:{id}` and `oee:orders`, pipelined; an API key's event goes
// to `oee:keys` instead (its hash, never its secret).
//
// Delivery: at least once, in seq order. The cursor ("redis-publisher" in
// the log) only moves past events whose PUBLISH replies arrived, so a Redis
// outage or a restart resumes where Redis stopped acknowledging and skips
// nothing; events published twice carry the same seq and subscribers drop
// them. On first start the cursor begins at the head (older events were
// never live), and where it began is stored before anything is published:
// a next start that finds no cursor yet (nothing was acknowledged, or a
// cluster node died before storing one) goes on from there, not from its
// own head.
//
// Lifecycle: start() spawns the publisher's thread; stop() publishes what
// is committed (bounded wait), stores the cursor and joins. Threading:
// status() may be called from any thread.

#include <chrono>
#include <memory>
#include <string>

#include "api/redis/redis_url.h"
#include "eventlog/event_log.h"

namespace oee::api {

inline constexpr std::string_view kAllOrdersChannel = "oee:orders";
/// API key events (core::key_message), for gateways. Seqs are dense across
/// this channel and kAllOrdersChannel together.
inline constexpr std::string_view kKeysChannel = "oee:keys";
[[nodiscard]] std::string order_channel(const OrderId& order);

struct PublisherOptions {
  RedisEndpoint endpoint;
  std::size_t max_batch = 1'024;  // events per pipelined round trip
  std::chrono::milliseconds reply_timeout{5'000};
  std::chrono::milliseconds cursor_interval{200};  // how often the cursor is persisted
};

struct PublisherStatus {
  bool connected = false;
  std::uint64_t published_seq = 0;
  std::uint64_t lag_events = 0;  // in the log, not yet published
  std::uint64_t messages = 0;
  std::uint64_t reconnects = 0;
  std::string last_error;
};

class Publisher {
 public:
  Publisher(eventlog::LogPartitionWriter& log, PublisherOptions options);
  ~Publisher();

  void start();
  void stop();
  [[nodiscard]] PublisherStatus status() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace oee::api
