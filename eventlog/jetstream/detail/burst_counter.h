#pragma once
// Messages refused as they come (a live batch not from the partition's
// owner, a forward the owner will not store) may come in thousands a
// second from anyone with the servers' credentials: each is counted, and
// said in the node's log at most once a second, with how many came since.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>

namespace oee::eventlog::jetstream::detail {

class BurstCounter {
 public:
  /// Counts one; returns how many to say now (this one and those not said
  /// since the last time), or 0 while a second has not passed since then.
  [[nodiscard]] std::uint64_t count();
  /// Every one counted.
  [[nodiscard]] std::uint64_t total() const { return total_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> total_{0};
  std::mutex mu_;
  std::uint64_t unsaid_ = 0;                        // under mu_
  std::chrono::steady_clock::time_point said_at_{};  // under mu_
};

}  // namespace oee::eventlog::jetstream::detail
