#include "core/engine/recent_activity.h"

#include <algorithm>

namespace oee::core {

namespace {
std::int64_t second_of(TimestampNs t) { return static_cast<std::int64_t>(t.value / 1'000'000'000); }
}  // namespace

RecentActivity::Second& RecentActivity::slot(std::int64_t unix_second) {
  Second& s = ring_[static_cast<std::size_t>(unix_second % kSeconds)];
  if (s.unix_second != unix_second) s = Second{unix_second, {}, {}};
  return s;
}

void RecentActivity::count(Status status, TimestampNs at) {
  std::lock_guard lock(mu_);
  ++slot(second_of(at)).by_status[static_cast<std::size_t>(status)];
}

void RecentActivity::confirmed(double seconds_from_submit, TimestampNs at) {
  const auto bucket = static_cast<std::size_t>(
      std::lower_bound(kLatencyBounds.begin(), kLatencyBounds.end(), seconds_from_submit) - kLatencyBounds.begin());
  std::lock_guard lock(mu_);
  ++slot(second_of(at)).latency[bucket];
}

std::vector<RecentActivity::Second> RecentActivity::last(TimestampNs now) const {
  const auto newest = second_of(now);
  std::vector<Second> out;
  std::lock_guard lock(mu_);
  for (const Second& s : ring_) {
    // Second 0 is a slot never used: no clock reads 1970.
    if (s.unix_second != 0 && s.unix_second > newest - kSeconds && s.unix_second <= newest) out.push_back(s);
  }
  std::sort(out.begin(), out.end(), [](const Second& a, const Second& b) { return a.unix_second < b.unix_second; });
  return out;
}

double latency_quantile(const std::array<std::uint32_t, RecentActivity::kLatencyBounds.size() + 1>& counts, double q) {
  std::uint64_t total = 0;
  for (auto c : counts) total += c;
  if (total == 0) return 0;
  const double rank = q * static_cast<double>(total);
  double below = 0;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] == 0) continue;
    if (below + counts[i] >= rank) {
      const auto& bounds = RecentActivity::kLatencyBounds;
      const double lower = i == 0 ? 0.0 : bounds[i - 1];
      const double upper = i < bounds.size() ? bounds[i] : bounds.back() * 2;
      return lower + (upper - lower) * std::clamp((rank - below) / counts[i], 0.0, 1.0);
    }
    below += counts[i];
  }
  return RecentActivity::kLatencyBounds.back();
}

}  // namespace oee::core
