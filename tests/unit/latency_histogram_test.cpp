#include <gtest/gtest.h>

#include <random>

#include "tools/loadgen/latency_histogram.h"

namespace oee::loadgen {
namespace {

using namespace std::chrono_literals;

TEST(LatencyHistogram, QuantilesWithinOnePercentOfTheExactOnes) {
  LatencyHistogram h;
  std::vector<std::int64_t> values;
  std::mt19937_64 rng(3);
  std::lognormal_distribution<double> dist(13.0, 1.5);  // median ~0.4 ms, long tail
  for (int i = 0; i < 100'000; ++i) {
    const auto v = static_cast<std::int64_t>(dist(rng));
    values.push_back(v);
    h.record(std::chrono::nanoseconds(v));
  }
  std::sort(values.begin(), values.end());
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    const auto exact = static_cast<double>(values[static_cast<std::size_t>(q * values.size()) - 1]);
    const auto got = static_cast<double>(h.quantile(q).count());
    EXPECT_NEAR(got, exact, exact * 0.01 + 8) << "q=" << q;
  }
  EXPECT_EQ(h.max().count(), values.back());
  EXPECT_EQ(h.min().count(), values.front());
  EXPECT_EQ(h.count(), 100'000u);
}

TEST(LatencyHistogram, MergeAddsAndEdgesAreSafe) {
  LatencyHistogram a, b;
  EXPECT_EQ(a.quantile(0.99).count(), 0);
  a.record(1ms);
  b.record(3ms);
  b.record(-5ns);  // clock skew between processes: counted as zero
  b.record(std::chrono::hours(10));  // beyond the range: kept in the last bucket
  a.merge(b);
  EXPECT_EQ(a.count(), 4u);
  EXPECT_EQ(a.min().count(), 0);
  EXPECT_EQ(a.max(), std::chrono::nanoseconds(std::chrono::hours(10)));
  EXPECT_NEAR(static_cast<double>(a.quantile(0.5).count()), 1e6, 1e4);
}

}  // namespace
}  // namespace oee::loadgen
