#pragma once
// A timer on the simulation's clock: an Asio steady timer while the wall
// clock runs, a wait on the VirtualClock when one is installed. The engine's
// deliberate waits (simulated latency, retry backoff, the watcher's looks,
// the market's launches) use it, so that under a virtual clock they pass
// only as the clock is advanced.
//
// Used like Asio's timers, from its io_context's thread only: a new expiry
// cancels the pending wait, whose handler then runs with operation_aborted;
// so does destruction.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>

#include "eventlog/types.h"

namespace oee::core {

class VirtualClock;

class SimTimer {
 public:
  explicit SimTimer(boost::asio::io_context& ioc);
  ~SimTimer();
  SimTimer(const SimTimer&) = delete;
  SimTimer& operator=(const SimTimer&) = delete;

  void expires_after(std::chrono::nanoseconds d);
  void async_wait(std::function<void(boost::system::error_code)> handler);
  void cancel();

 private:
  boost::asio::io_context& ioc_;
  VirtualClock* clock_;  // nullptr: the wall clock
  boost::asio::steady_timer wall_;
  TimestampNs due_{};
  std::optional<std::uint64_t> waiting_;
};

}  // namespace oee::core
