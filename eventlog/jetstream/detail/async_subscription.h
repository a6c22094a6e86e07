#pragma once
// A libnats subscription whose messages go to a handler on the
// subscription's own thread, and which, once destroyed, calls the handler
// no more (libnats may still be running it when unsubscribing returns).

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>

#include "eventlog/jetstream/detail/nats_support.h"

namespace oee::eventlog::jetstream::detail {

class AsyncSubscription {
 public:
  using Handler = std::function<void(MsgPtr)>;
  /// Subscribes `handler` to `subject` (in queue group `queue` unless
  /// empty: one member of the group gets each message). Throws
  /// std::runtime_error.
  AsyncSubscription(natsConnection* nc, const std::string& subject, const std::string& queue, Handler handler);
  /// Returns once the handler has returned for the last time.
  ~AsyncSubscription();
  AsyncSubscription(const AsyncSubscription&) = delete;
  AsyncSubscription& operator=(const AsyncSubscription&) = delete;

 private:
  static void on_message(natsConnection* nc, natsSubscription* sub, natsMsg* msg, void* self);
  static void on_complete(void* self);

  Handler handler_;
  natsSubscription* subscription_ = nullptr;
  std::mutex mu_;
  std::condition_variable completed_cv_;
  bool completed_ = false;  // under mu_
};

}  // namespace oee::eventlog::jetstream::detail
