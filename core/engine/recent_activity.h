#pragma once
// The last minutes of the engine, second by second, for the dashboard's
// charts: events by the status they lead to, and how long the orders
// confirmed in each second took from submit (in fixed buckets).
//
// Threading: count() runs on the log's writer thread, confirmed() on the
// executor's, last() on any; each holds one short lock.

#include <array>
#include <cstdint>
#include <mutex>
#include <vector>

#include "core/domain/order.h"

namespace oee::core {

class RecentActivity {
 public:
  static constexpr int kSeconds = 300;
  /// The window latency quantiles are given for (GET /api/stats).
  static constexpr int kLatencyWindowSeconds = 5;
  /// Upper bounds, in seconds, of the latency buckets (the last is open).
  static constexpr std::array<double, 16> kLatencyBounds{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                         0.5,   0.75,   1.0,   1.5,  2.5,   5.0,  10.0, 30.0};

  struct Second {
    std::int64_t unix_second = 0;
    std::array<std::uint32_t, kStatusCount> by_status{};
    std::array<std::uint32_t, kLatencyBounds.size() + 1> latency{};  // confirmed orders by time from submit
  };

  void count(Status status, TimestampNs at);
  void confirmed(double seconds_from_submit, TimestampNs at);
  /// The seconds of the last kSeconds up to `now` that saw anything, oldest first.
  [[nodiscard]] std::vector<Second> last(TimestampNs now) const;

 private:
  Second& slot(std::int64_t unix_second);  // under mu_

  mutable std::mutex mu_;
  std::array<Second, kSeconds> ring_{};
};

/// The `q` quantile (0..1) of a latency histogram, interpolated within its
/// bucket; 0 for an empty one.
[[nodiscard]] double latency_quantile(const std::array<std::uint32_t, RecentActivity::kLatencyBounds.size() + 1>& counts,
                                      double q);

}  // namespace oee::core
