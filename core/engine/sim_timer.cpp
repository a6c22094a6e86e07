#include "core/engine/sim_timer.h"

#include <utility>

#include "core/engine/virtual_clock.h"

namespace oee::core {

SimTimer::SimTimer(boost::asio::io_context& ioc) : ioc_(ioc), clock_(VirtualClock::installed()), wall_(ioc) {}

SimTimer::~SimTimer() { cancel(); }

void SimTimer::expires_after(std::chrono::nanoseconds d) {
  if (clock_ == nullptr) {
    wall_.expires_after(d);
    return;
  }
  cancel();
  due_ = TimestampNs{clock_->now().value + d.count()};
}

void SimTimer::async_wait(std::function<void(boost::system::error_code)> handler) {
  if (clock_ == nullptr) {
    wall_.async_wait(std::move(handler));
    return;
  }
  waiting_ = clock_->wait(due_, ioc_, std::move(handler));
}

void SimTimer::cancel() {
  if (clock_ == nullptr) {
    wall_.cancel();
    return;
  }
  if (waiting_) clock_->cancel(*std::exchange(waiting_, std::nullopt));
}

}  // namespace oee::core
