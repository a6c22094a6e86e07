#include "eventlog/jetstream/detail/burst_counter.h"

namespace oee::eventlog::jetstream::detail {

std::uint64_t BurstCounter::count() {
  using namespace std::chrono_literals;
  total_.fetch_add(1, std::memory_order_relaxed);
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mu_);
  ++unsaid_;
  if (said_at_ != std::chrono::steady_clock::time_point{} && now - said_at_ < 1s) return 0;
  said_at_ = now;
  const auto say = unsaid_;
  unsaid_ = 0;
  return say;
}

}  // namespace oee::eventlog::jetstream::detail
