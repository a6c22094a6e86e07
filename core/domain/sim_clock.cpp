#include "core/domain/sim_clock.h"

#include <atomic>

namespace oee::core {

namespace {
std::atomic<const SimClock*> g_clock{nullptr};
}  // namespace

TimestampNs sim_now() {
  const SimClock* clock = g_clock.load(std::memory_order_acquire);
  return clock != nullptr ? clock->now() : TimestampNs::now();
}

std::chrono::system_clock::time_point to_time_point(TimestampNs t) {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::nanoseconds(t.value)));
}

std::chrono::system_clock::time_point sim_time_point() { return to_time_point(sim_now()); }

void install_sim_clock(const SimClock* clock) { g_clock.store(clock, std::memory_order_release); }

bool sim_clock_installed() { return g_clock.load(std::memory_order_acquire) != nullptr; }

}  // namespace oee::core
