#pragma once
// A latency histogram in the HdrHistogram style: log-linear buckets (128
// per power of two, so any recorded value is kept within 1%), from 1 µs to
// about 1.2 hours, in a fixed array. Not thread-safe: one per thread, then
// merge().

#include <array>
#include <chrono>
#include <cstdint>

namespace oee::loadgen {

class LatencyHistogram {
 public:
  void record(std::chrono::nanoseconds latency) noexcept;
  void merge(const LatencyHistogram& other) noexcept;

  [[nodiscard]] std::uint64_t count() const noexcept { return count_; }
  /// The value at quantile q in [0, 1] (upper edge of its bucket, capped at max()).
  [[nodiscard]] std::chrono::nanoseconds quantile(double q) const noexcept;
  [[nodiscard]] std::chrono::nanoseconds max() const noexcept { return std::chrono::nanoseconds(max_); }
  [[nodiscard]] std::chrono::nanoseconds min() const noexcept;
  [[nodiscard]] double mean_ns() const noexcept { return count_ == 0 ? 0 : static_cast<double>(sum_) / count_; }

 private:
  static constexpr int kSubBits = 7;  // 128 linear sub-buckets per power of two
  static constexpr int kPowers = 33;  // 2^10 ns (~1 µs) .. 2^42 ns (~73 min)
  static constexpr std::size_t kBuckets = static_cast<std::size_t>(kPowers + 1) << kSubBits;
  static std::size_t index_of(std::uint64_t ns) noexcept;
  static std::uint64_t upper_edge(std::size_t index) noexcept;

  std::array<std::uint64_t, kBuckets> buckets_{};
  std::uint64_t count_ = 0;
  std::uint64_t max_ = 0;
  std::uint64_t min_ = UINT64_MAX;
  std::uint64_t sum_ = 0;
};

}  // namespace oee::loadgen
