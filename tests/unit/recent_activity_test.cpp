// The dashboard's last minutes: seconds counted apart, old ones dropped as
// the ring wraps, and quantiles read from the latency buckets.
#include <gtest/gtest.h>

#include "core/engine/recent_activity.h"

namespace oee::core {
namespace {

TimestampNs at_second(std::int64_t s, std::int64_t ms = 0) {
  return TimestampNs{s * 1'000'000'000 + ms * 1'000'000};
}

TEST(RecentActivity, CountsEachSecondApartAndForgetsWhatIsOlderThanFiveMinutes) {
  RecentActivity recent;
  recent.count(Status::pending, at_second(1000, 10));
  recent.count(Status::pending, at_second(1000, 990));
  recent.count(Status::confirmed, at_second(1001));
  recent.count(Status::failed, at_second(1300));  // the same slot as 1000, five minutes on
  const auto seconds = recent.last(at_second(1300, 500));
  ASSERT_EQ(seconds.size(), 2u);
  EXPECT_EQ(seconds[0].unix_second, 1001);
  EXPECT_EQ(seconds[0].by_status[static_cast<std::size_t>(Status::confirmed)], 1u);
  EXPECT_EQ(seconds[1].unix_second, 1300);
  EXPECT_EQ(seconds[1].by_status[static_cast<std::size_t>(Status::failed)], 1u);
  EXPECT_EQ(seconds[1].by_status[static_cast<std::size_t>(Status::pending)], 0u) << "the old second's count stayed";
  EXPECT_TRUE(recent.last(at_second(1000)).size() == 0u) << "a second from the future was shown";
}

TEST(RecentActivity, QuantilesComeFromTheBucketsInterpolated) {
  RecentActivity recent;
  for (int i = 0; i < 98; ++i) recent.confirmed(0.3, at_second(50));  // (0.25, 0.5]
  recent.confirmed(2.0, at_second(50));                               // (1.5, 2.5]
  recent.confirmed(2.0, at_second(50));
  const auto s = recent.last(at_second(50)).at(0);
  const double p50 = latency_quantile(s.latency, 0.5), p99 = latency_quantile(s.latency, 0.99);
  EXPECT_GT(p50, 0.25);
  EXPECT_LE(p50, 0.5);
  EXPECT_GT(p99, 1.5);
  EXPECT_LE(p99, 2.5);
  EXPECT_EQ(latency_quantile(RecentActivity::Second{}.latency, 0.5), 0.0);
}

}  // namespace
}  // namespace oee::core
