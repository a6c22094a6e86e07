#pragma once
// A fixed-bucket, lock-free histogram rendered in the Prometheus text format.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace oee::metrics {

class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  static std::vector<double> latency_buckets();  // 50 us .. 10 s

  void observe(double value) noexcept;
  /// Appends `name_bucket{le=...}`, `name_sum`, `name_count` lines.
  void render(std::string& out, std::string_view name, std::string_view labels = {}) const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_micros_{0};  // sum kept in millionths for lock-free adds
};

}  // namespace oee::metrics
