#include "api/hub.h"

#include <boost/asio/post.hpp>

#include "core/order.h"
#include "core/status_message.h"

namespace oee::api {

Hub::Hub(boost::asio::any_io_executor executor) : strand_(boost::asio::make_strand(std::move(executor))) {}

void Hub::attach(eventlog::EventLog& log) {
  published_.store(log.head().value);  // earlier events were never live
  log.on_commit([this](std::span<const eventlog::Record> records) {
    auto copy = std::make_shared<std::vector<eventlog::Record>>(records.begin(), records.end());
    boost::asio::post(strand_, [this, copy] { publish(*copy); });
  });
}

void Hub::subscribe(const OrderId& order, const std::shared_ptr<Subscriber>& subscriber) {
  std::lock_guard lock(mu_);
  by_order_[order].push_back(subscriber);
}

void Hub::unsubscribe(const OrderId& order, const Subscriber* subscriber) {
  std::lock_guard lock(mu_);
  auto it = by_order_.find(order);
  if (it == by_order_.end()) return;
  auto& subs = it->second;
  std::erase_if(subs, [&](const std::weak_ptr<Subscriber>& w) {
    auto s = w.lock();
    return !s || s.get() == subscriber;
  });
  if (subs.empty()) by_order_.erase(it);
}

std::size_t Hub::subscriptions() const {
  std::lock_guard lock(mu_);
  std::size_t n = 0;
  for (const auto& [_, subs] : by_order_) n += subs.size();
  return n;
}

void Hub::publish(const std::vector<eventlog::Record>& records) {
  std::vector<std::shared_ptr<Subscriber>> targets;
  for (const auto& r : records) {
    targets.clear();
    {
      std::lock_guard lock(mu_);
      auto it = by_order_.find(r.order);
      if (it == by_order_.end()) {
        published_.store(r.seq.value, std::memory_order_relaxed);
        continue;
      }
      for (const auto& w : it->second) {
        if (auto s = w.lock()) targets.push_back(std::move(s));
      }
    }
    if (targets.empty()) continue;
    auto update = std::make_shared<StatusUpdate>();
    update->order = r.order;
    update->seq = r.seq;
    update->terminal = core::is_terminal_event(r.type);
    update->text = core::status_message_text(r);
    for (const auto& s : targets) s->deliver(update);
  }
  if (!records.empty()) published_.store(records.back().seq.value, std::memory_order_relaxed);
}

}  // namespace oee::api
