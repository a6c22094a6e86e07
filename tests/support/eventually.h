#pragma once
// Polling with a deadline: how tests wait for another thread or process.

#include <chrono>
#include <thread>

namespace oee::testing {

template <class F>
bool eventually_true(F&& predicate, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (predicate()) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace oee::testing
