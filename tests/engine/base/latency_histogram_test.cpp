#include "engine/base/latency_histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <memory>
#include <random>
#include <thread>
#include <vector>

namespace tally {
namespace {

// What the histogram must approximate: the value of rank ceil(share * count) in sorted order.
uint64_t reference_percentile(const std::vector<uint64_t>& sorted, uint64_t per_mille) {
  const uint64_t rank = std::max<uint64_t>((sorted.size() * per_mille + 999) / 1000, 1);
  return sorted[rank - 1];
}

// A reported percentile is the top of the bucket holding the reference value: never below it,
// and above it by less than one bucket's width (under 1/128 of the value, or exact below 256).
void expect_close(uint64_t reported, uint64_t reference, const char* which) {
  EXPECT_GE(reported, reference) << which;
  EXPECT_LE(reported, reference + reference / 128) << which;
}

std::unique_ptr<LatencyHistogram> histogram_of(const std::vector<uint64_t>& values) {
  auto histogram = std::make_unique<LatencyHistogram>();
  for (const uint64_t value : values) {
    histogram->record(static_cast<int64_t>(value));
  }
  return histogram;
}

void expect_matches_reference(std::vector<uint64_t> values) {
  const LatencySummary summary = histogram_of(values)->summarize();
  std::sort(values.begin(), values.end());
  EXPECT_EQ(summary.count, values.size());
  expect_close(summary.p50_ns, reference_percentile(values, 500), "p50");
  expect_close(summary.p90_ns, reference_percentile(values, 900), "p90");
  expect_close(summary.p99_ns, reference_percentile(values, 990), "p99");
  expect_close(summary.p999_ns, reference_percentile(values, 999), "p99.9");
  EXPECT_EQ(summary.max_ns, values.back());
}

TEST(LatencyHistogramTest, PercentilesMatchASortedReferenceOnLogUniformValues) {
  // Latencies spread over orders of magnitude: 100 ns to 10 s.
  std::mt19937_64 random(20240613);
  std::uniform_real_distribution<double> exponent(2.0, 10.0);
  for (const size_t count : {1u, 7u, 1000u, 100'000u}) {
    std::vector<uint64_t> values(count);
    for (uint64_t& value : values) {
      value = static_cast<uint64_t>(std::pow(10.0, exponent(random)));
    }
    SCOPED_TRACE(count);
    expect_matches_reference(values);
  }
}

TEST(LatencyHistogramTest, PercentilesMatchASortedReferenceOnAHeavyTail) {
  // Mostly microseconds, one in a hundred around ten milliseconds: p99 and p99.9 sit in the tail.
  std::mt19937_64 random(7);
  std::uniform_int_distribution<uint64_t> fast(1'000, 5'000);
  std::uniform_int_distribution<uint64_t> slow(5'000'000, 20'000'000);
  std::bernoulli_distribution is_slow(0.015);
  std::vector<uint64_t> values(50'000);
  for (uint64_t& value : values) {
    value = is_slow(random) ? slow(random) : fast(random);
  }
  expect_matches_reference(values);
}

TEST(LatencyHistogramTest, SmallValuesAreExact) {
  const LatencySummary summary = histogram_of({3, 1, 2, 200, 4})->summarize();
  EXPECT_EQ(summary.count, 5u);
  EXPECT_EQ(summary.p50_ns, 3u);
  EXPECT_EQ(summary.p90_ns, 200u);
  EXPECT_EQ(summary.max_ns, 200u);
}

TEST(LatencyHistogramTest, CoarseBucketsCountTheValuesAtMostEachBoundAndTheSumIsExact) {
  // 7 us, 9 us, 40 us, 3 ms, 20 s (past every bound).
  const std::vector<uint64_t> values = {7'000, 9'000, 40'000, 3'000'000, 20'000'000'000};
  const LatencySummary summary = histogram_of(values)->summarize();
  uint64_t sum = 0;
  for (const uint64_t value : values) {
    sum += value;
  }
  EXPECT_EQ(summary.sum_ns, sum);
  for (size_t bound = 0; bound < kLatencyBucketBoundsNs.size(); ++bound) {
    // A fine bucket is within 0.8% of its values: none of these lies that close to a bound
    // (a value just under one may count above it).
    const auto expected =
        static_cast<uint64_t>(std::count_if(values.begin(), values.end(), [&](uint64_t value) {
          return value <= kLatencyBucketBoundsNs[bound];
        }));
    EXPECT_EQ(summary.at_most[bound], expected) << "bound " << kLatencyBucketBoundsNs[bound];
  }
  for (size_t bound = 1; bound < kLatencyBucketBoundsNs.size(); ++bound) {
    EXPECT_LT(kLatencyBucketBoundsNs[bound - 1], kLatencyBucketBoundsNs[bound]);
  }
}

TEST(LatencyHistogramTest, AnEmptyHistogramSummarizesToZeros) {
  const LatencyHistogram histogram;
  const LatencySummary summary = histogram.summarize();
  EXPECT_EQ(summary.count, 0u);
  EXPECT_EQ(summary.p50_ns, 0u);
  EXPECT_EQ(summary.p99_ns, 0u);
  EXPECT_EQ(summary.p999_ns, 0u);
  EXPECT_EQ(summary.max_ns, 0u);
}

TEST(LatencyHistogramTest, ValuesPastTheTrackedRangeReportTheLargestRecorded) {
  constexpr uint64_t kMinute = 60'000'000'000;
  static_assert(kMinute > LatencyHistogram::kTrackedNanosecondsMax);
  EXPECT_EQ(LatencyHistogram::bucket_of(kMinute), LatencyHistogram::kOverflowBucket);
  EXPECT_EQ(LatencyHistogram::bucket_of(LatencyHistogram::kTrackedNanosecondsMax),
            LatencyHistogram::kOverflowBucket - 1);
  std::vector<uint64_t> values(98, 1'023);  // the top of its bucket: reported exactly
  values.push_back(kMinute);
  values.push_back(2 * kMinute);
  const LatencySummary summary = histogram_of(values)->summarize();
  EXPECT_EQ(summary.count, 100u);
  EXPECT_EQ(summary.p50_ns, 1'023u);
  EXPECT_EQ(summary.p99_ns, 2 * kMinute);  // rank 99 is in the overflow bucket
  EXPECT_EQ(summary.max_ns, 2 * kMinute);
}

TEST(LatencyHistogramTest, ANegativeDurationCountsAsZero) {
  LatencyHistogram histogram;
  histogram.record(-5);
  const LatencySummary summary = histogram.summarize();
  EXPECT_EQ(summary.count, 1u);
  EXPECT_EQ(summary.max_ns, 0u);
}

TEST(LatencyHistogramTest, BucketsTileTheRangeWithoutGapsOrOverlaps) {
  for (size_t bucket = 1; bucket < LatencyHistogram::kOverflowBucket; ++bucket) {
    const uint64_t lowest = LatencyHistogram::highest_in_bucket(bucket - 1) + 1;
    const uint64_t highest = LatencyHistogram::highest_in_bucket(bucket);
    ASSERT_EQ(LatencyHistogram::bucket_of(lowest), bucket);
    ASSERT_EQ(LatencyHistogram::bucket_of(highest), bucket);
    ASSERT_LE(highest - lowest, lowest / 128) << bucket;  // the precision the contract promises
  }
}

TEST(LatencyHistogramTest, SharedRecordingFromSeveralThreadsLosesNothing) {
  LatencyHistogram histogram;
  constexpr int kThreads = 4;
  constexpr int kValuesPerThread = 20'000;
  std::vector<std::thread> threads;
  for (int thread = 0; thread < kThreads; ++thread) {
    threads.emplace_back([&histogram, thread] {
      for (int value = 0; value < kValuesPerThread; ++value) {
        histogram.record_shared(1'000 + thread);
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  const LatencySummary summary = histogram.summarize();
  EXPECT_EQ(summary.count, uint64_t{kThreads} * kValuesPerThread);
  EXPECT_EQ(summary.max_ns, 1'000u + kThreads - 1);
}

TEST(LatencyHistogramTest, AReaderWhileTheWriterRecordsSeesOrderedPercentiles) {
  LatencyHistogram histogram;
  std::atomic<bool> done{false};
  std::thread writer([&] {
    std::mt19937_64 random(3);
    std::uniform_int_distribution<int64_t> value(100, 100'000'000);
    for (int index = 0; index < 2'000'000; ++index) {
      histogram.record(value(random));
    }
    done.store(true);
  });
  uint64_t last_count = 0;
  while (!done.load()) {
    const LatencySummary summary = histogram.summarize();
    ASSERT_GE(summary.count, last_count);  // counts only grow
    last_count = summary.count;
    ASSERT_LE(summary.p50_ns, summary.p90_ns);
    ASSERT_LE(summary.p90_ns, summary.p99_ns);
    ASSERT_LE(summary.p99_ns, summary.p999_ns);
    ASSERT_LE(summary.p999_ns, summary.max_ns);
  }
  writer.join();
  EXPECT_EQ(histogram.summarize().count, 2'000'000u);
}

}  // namespace
}  // namespace tally
