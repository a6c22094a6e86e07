#pragma once
// A gateway's live feed: SUBSCRIBE oee:orders and oee:keys, fan every
// status message out through the gateway's hub and hand every API key
// event to the gateway's keys.
//
// Gaps: the two channels carry every event in seq order, so seqs are dense
// (each partition's, from a cluster, whose messages carry `partition`).
// When the subscription is (re)established, or a seq jumps ahead of the one
// expected, the feed asks every subscriber to resync, and each one fetches
// what it missed from the core; repeats (a publisher resuming from its
// cursor) are dropped by seq in the sessions.
//
// Lifecycle: start() spawns the feed's thread; stop() joins it. Threading:
// status() may be called from any thread.

#include <functional>
#include <memory>
#include <string>

#include "api/redis/redis_url.h"
#include "api/stream/hub.h"
#include "core/wire/key_message.h"

namespace oee::api {

struct FeedStatus {
  bool subscribed = false;
  std::uint64_t last_seq = 0;  // highest seq received
  std::uint64_t messages = 0;
  std::uint64_t gaps = 0;  // resyncs requested
  std::uint64_t reconnects = 0;
  std::string last_error;
};

/// What the feed tells the gateway besides status messages; each runs on
/// the feed's thread.
struct FeedHooks {
  std::function<void(const core::KeyMessage&)> key_event;
  /// Key events may have been missed: subscribed (again), or a gap.
  std::function<void()> keys_missed;
};

class RedisFeed {
 public:
  RedisFeed(Hub& hub, RedisEndpoint endpoint, FeedHooks hooks = {});
  ~RedisFeed();

  void start();
  void stop();
  [[nodiscard]] FeedStatus status() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace oee::api
