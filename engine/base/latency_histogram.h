// LatencyHistogram: how long something took, as a log-linear histogram of nanoseconds (the
// HdrHistogram idea): exact below 256 ns, then 128 buckets per power of two, so a recorded value
// is known to within 0.8% (between two and three significant digits) up to 2^34 ns (17 s); longer
// ones land in one overflow bucket and are reported as the largest value recorded. Fixed memory
// (28 KiB), allocated with its owner; recording never allocates, locks or waits. A summary also
// counts values into coarse buckets (kLatencyBucketBoundsNs) for Prometheus histograms.
//
// Threads: record() from one writer thread only (a relaxed load and store per bucket: another
// thread may read while it writes, never a second writer); record_shared() from any number of
// threads (read-modify-writes, for a sampled stage several threads record); summarize() from any
// thread. A summary is computed from one pass over the buckets: its count and percentiles agree
// with each other, though values recorded during the pass may or may not be in it.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace tally {

// The upper bounds of the coarse buckets a summary counts values into (Prometheus' histogram
// buckets, "le"): 10 us to 10 s, then everything.
inline constexpr std::array<uint64_t, 15> kLatencyBucketBoundsNs = {
    10'000,     25'000,     50'000,      100'000,       250'000,
    500'000,    1'000'000,  2'500'000,   5'000'000,     10'000'000,
    25'000'000, 50'000'000, 100'000'000, 1'000'000'000, 10'000'000'000};

// What readers are shown of a histogram: how many values, and where its percentiles lie (each
// the highest value of the bucket holding that rank, never above max_ns); and how many values
// are at most each of kLatencyBucketBoundsNs (a fine bucket that straddles a bound counts
// above it: within the histogram's 0.8%).
struct LatencySummary {
  uint64_t count = 0;
  uint64_t p50_ns = 0;
  uint64_t p90_ns = 0;
  uint64_t p99_ns = 0;
  uint64_t p999_ns = 0;
  uint64_t max_ns = 0;
  uint64_t sum_ns = 0;  // of every value (wraps after 584 years of recorded time)
  std::array<uint64_t, kLatencyBucketBoundsNs.size()> at_most{};  // cumulative, per bound
};

class alignas(64) LatencyHistogram {
 public:
  static constexpr int kSubBucketBits = 8;  // 2^(bits - 1) buckets per power of two
  static constexpr int kTrackedBits = 34;   // values below 2^34 ns get a bucket of their own
  static constexpr uint64_t kTrackedNanosecondsMax = (uint64_t{1} << kTrackedBits) - 1;
  static constexpr size_t kHalfSubBuckets = size_t{1} << (kSubBucketBits - 1);
  // Linear buckets for [0, 2^bits), then half as many per further power of two, then overflow.
  static constexpr size_t kTrackedBuckets = (kTrackedBits - kSubBucketBits + 2) * kHalfSubBuckets;
  static constexpr size_t kOverflowBucket = kTrackedBuckets;
  static constexpr size_t kBuckets = kTrackedBuckets + 1;

  LatencyHistogram() = default;
  LatencyHistogram(const LatencyHistogram&) = delete;
  LatencyHistogram& operator=(const LatencyHistogram&) = delete;

  // The one writer thread. A negative duration (a caller's clocks disagree) counts as 0.
  void record(int64_t nanoseconds);
  // Any thread: the same, safe with several writers at once.
  void record_shared(int64_t nanoseconds);

  // Any thread.
  LatencySummary summarize() const;

  // The bucket a value falls in, and the highest value that bucket holds (for the overflow
  // bucket, the largest value there is).
  static size_t bucket_of(uint64_t nanoseconds);
  static uint64_t highest_in_bucket(size_t bucket);

 private:
  std::array<std::atomic<uint64_t>, kBuckets> buckets_{};
  std::atomic<uint64_t> max_ns_{0};
  std::atomic<uint64_t> sum_ns_{0};
};

}  // namespace tally
