// LatencyHistogram: percentiles within its stated precision, merging, extremes.
#include "tools/load/latency_histogram.h"

#include <gtest/gtest.h>

namespace tally::load {
namespace {

TEST(LatencyHistogramTest, SmallValuesAreExact) {
  LatencyHistogram histogram;
  for (uint64_t value = 1; value <= 100; ++value) {
    histogram.record(value);
  }
  EXPECT_EQ(histogram.count(), 100u);
  EXPECT_EQ(histogram.min(), 1u);
  EXPECT_EQ(histogram.max(), 100u);
  EXPECT_DOUBLE_EQ(histogram.mean(), 50.5);
  EXPECT_EQ(histogram.value_at(0.5), 50u);
  EXPECT_EQ(histogram.value_at(0.0), 1u);
  EXPECT_EQ(histogram.value_at(1.0), 100u);
}

TEST(LatencyHistogramTest, LargeValuesAreWithinOnePointSixPercent) {
  LatencyHistogram histogram;
  for (uint64_t value = 1; value <= 100000; ++value) {
    histogram.record(value * 1000);  // 1 µs to 100 ms
  }
  for (const double quantile : {0.5, 0.9, 0.99, 0.999}) {
    const double exact = quantile * 100000 * 1000;
    const auto reported = static_cast<double>(histogram.value_at(quantile));
    EXPECT_GE(reported, exact * 0.999) << quantile;
    EXPECT_LE(reported, exact * 1.016) << quantile;
  }
  EXPECT_EQ(histogram.value_at(1.0), 100'000'000u);
}

TEST(LatencyHistogramTest, MergingEqualsRecordingEverythingInOne) {
  LatencyHistogram first;
  LatencyHistogram second;
  LatencyHistogram both;
  for (uint64_t value = 0; value < 5000; ++value) {
    (value % 2 == 0 ? first : second).record(value * 977);
    both.record(value * 977);
  }
  first.merge(second);
  EXPECT_EQ(first.count(), both.count());
  EXPECT_EQ(first.max(), both.max());
  EXPECT_EQ(first.min(), both.min());
  for (const double quantile : {0.1, 0.5, 0.99}) {
    EXPECT_EQ(first.value_at(quantile), both.value_at(quantile));
  }
}

TEST(LatencyHistogramTest, AnEmptyHistogramReportsZero) {
  const LatencyHistogram histogram;
  EXPECT_EQ(histogram.value_at(0.99), 0u);
  EXPECT_EQ(histogram.min(), 0u);
  EXPECT_EQ(histogram.mean(), 0.0);
}

}  // namespace
}  // namespace tally::load
