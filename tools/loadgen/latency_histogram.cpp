#include "tools/loadgen/latency_histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace oee::loadgen {

namespace {
constexpr int kMinPower = 10;  // values below 2^10 ns share the first linear range
}

// Below 2^kMinPower ns: linear steps of 8 ns. Above: the bucket is the power
// of two plus the kSubBits bits below the leading one.
std::size_t LatencyHistogram::index_of(std::uint64_t ns) noexcept {
  if (ns < (std::uint64_t{1} << kMinPower)) return static_cast<std::size_t>(ns >> (kMinPower - kSubBits));
  const int power = std::bit_width(ns) - 1;  // position of the leading one
  const int clamped = std::min(power, kMinPower + kPowers - 1);
  if (clamped != power) return kBuckets - 1;
  const auto sub = static_cast<std::size_t>((ns >> (power - kSubBits)) & ((1u << kSubBits) - 1));
  return (static_cast<std::size_t>(power - kMinPower + 1) << kSubBits) + sub;
}

std::uint64_t LatencyHistogram::upper_edge(std::size_t index) noexcept {
  const std::size_t power_slot = index >> kSubBits;
  const std::uint64_t sub = index & ((1u << kSubBits) - 1);
  if (power_slot == 0) return (sub + 1) << (kMinPower - kSubBits);
  const int power = static_cast<int>(power_slot) - 1 + kMinPower;
  return ((std::uint64_t{1} << kSubBits) + sub + 1) << (power - kSubBits);
}

void LatencyHistogram::record(std::chrono::nanoseconds latency) noexcept {
  const auto ns = static_cast<std::uint64_t>(std::max<std::int64_t>(latency.count(), 0));
  ++buckets_[index_of(ns)];
  ++count_;
  sum_ += ns;
  max_ = std::max(max_, ns);
  min_ = std::min(min_, ns);
}

void LatencyHistogram::merge(const LatencyHistogram& other) noexcept {
  for (std::size_t i = 0; i < kBuckets; ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  max_ = std::max(max_, other.max_);
  min_ = std::min(min_, other.min_);
}

std::chrono::nanoseconds LatencyHistogram::min() const noexcept {
  return std::chrono::nanoseconds(count_ == 0 ? 0 : min_);
}

std::chrono::nanoseconds LatencyHistogram::quantile(double q) const noexcept {
  if (count_ == 0) return std::chrono::nanoseconds(0);
  const auto rank = static_cast<std::uint64_t>(std::ceil(std::clamp(q, 0.0, 1.0) * static_cast<double>(count_)));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    seen += buckets_[i];
    if (seen >= std::max<std::uint64_t>(rank, 1)) return std::chrono::nanoseconds(std::min(upper_edge(i), max_));
  }
  return std::chrono::nanoseconds(max_);
}

}  // namespace oee::loadgen
