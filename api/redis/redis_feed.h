#pragma once
// A gateway's live feed: SUBSCRIBE oee:orders and fan every status message
// out through the gateway's hub.
//
// Gaps: the channel carries every event in seq order, so seqs are dense.
// When the subscription is (re)established, or a seq jumps ahead of the one
// expected, the feed asks every subscriber to resync, and each one fetches
// what it missed from the core; repeats (a publisher resuming from its
// cursor) are dropped by seq in the sessions.
//
// Lifecycle: start() spawns the feed's thread; stop() joins it. Threading:
// status() may be called from any thread.

#include <memory>
#include <string>

#include "api/redis/redis_url.h"
#include "api/stream/hub.h"

namespace oee::api {

struct FeedStatus {
  bool subscribed = false;
  std::uint64_t last_seq = 0;  // highest seq received
  std::uint64_t messages = 0;
  std::uint64_t gaps = 0;  // resyncs requested
  std::uint64_t reconnects = 0;
  std::string last_error;
};

class RedisFeed {
 public:
  RedisFeed(Hub& hub, RedisEndpoint endpoint);
  ~RedisFeed();

  void start();
  void stop();
  [[nodiscard]] FeedStatus status() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace oee::api
