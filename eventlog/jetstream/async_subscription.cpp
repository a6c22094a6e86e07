#include "eventlog/jetstream/detail/async_subscription.h"

#include <chrono>
#include <stdexcept>

#include <fmt/format.h>

namespace oee::eventlog::jetstream::detail {

AsyncSubscription::AsyncSubscription(natsConnection* nc, const std::string& subject, const std::string& queue,
                                     Handler handler)
    : handler_(std::move(handler)) {
  const auto s = queue.empty()
                     ? natsConnection_Subscribe(&subscription_, nc, subject.c_str(), &AsyncSubscription::on_message, this)
                     : natsConnection_QueueSubscribe(&subscription_, nc, subject.c_str(), queue.c_str(),
                                                     &AsyncSubscription::on_message, this);
  if (s != NATS_OK) throw std::runtime_error(fmt::format("cannot subscribe to {}: {}", subject, last_error_text(s)));
  natsSubscription_SetOnCompleteCB(subscription_, &AsyncSubscription::on_complete, this);
  // A burst must not be dropped as a slow consumer's.
  natsSubscription_SetPendingLimits(subscription_, -1, -1);
}

AsyncSubscription::~AsyncSubscription() {
  if (natsSubscription_Unsubscribe(subscription_) == NATS_OK) {
    std::unique_lock lock(mu_);
    // Bounded all the same: a connection closed under it completes nothing.
    completed_cv_.wait_for(lock, std::chrono::seconds(5), [&] { return completed_; });
  }
  natsSubscription_Destroy(subscription_);
}

void AsyncSubscription::on_message(natsConnection*, natsSubscription*, natsMsg* msg, void* self) {
  static_cast<AsyncSubscription*>(self)->handler_(MsgPtr(msg));
}

void AsyncSubscription::on_complete(void* self) {
  auto* me = static_cast<AsyncSubscription*>(self);
  {
    std::lock_guard lock(me->mu_);
    me->completed_ = true;
  }
  me->completed_cv_.notify_all();
}

}  // namespace oee::eventlog::jetstream::detail
