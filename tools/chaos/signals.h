#pragma once
// SIGINT, SIGTERM and SIGHUP for a tool with children to clean up: the
// signals are blocked in every thread and taken by one thread of its own,
// which asks the run to stop at the first (the main thread then stops
// every process in order) and calls `at_once` at the second, for a user
// who will not wait.
//
// Lifecycle: construct before starting any other thread (threads inherit
// the mask); the destructor stops the waiting thread.

#include <atomic>
#include <functional>
#include <thread>

namespace oee::chaos {

class SignalWatch {
 public:
  SignalWatch(std::function<void()> first, std::function<void()> at_once);
  ~SignalWatch();
  SignalWatch(const SignalWatch&) = delete;
  SignalWatch& operator=(const SignalWatch&) = delete;

 private:
  std::atomic<bool> done_{false};
  std::thread thread_;
};

}  // namespace oee::chaos
