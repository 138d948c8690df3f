// LatencyHistogram: a log-linear histogram of durations in nanoseconds (the HdrHistogram idea):
// 64 distinct buckets per power of two, so every recorded value is known to within 1.6%, from
// 1 ns to centuries, in a fixed 58 KiB. Recording is two shifts and an increment; one histogram per
// thread, merged at the end.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace tally::load {

class LatencyHistogram {
 public:
  void record(uint64_t nanoseconds);
  void merge(const LatencyHistogram& other);

  uint64_t count() const { return count_; }
  uint64_t max() const { return max_; }
  uint64_t min() const { return count_ == 0 ? 0 : min_; }
  double mean() const {
    return count_ == 0 ? 0.0 : static_cast<double>(sum_) / static_cast<double>(count_);
  }
  // The smallest recorded bucket's upper bound below which `quantile` (0..1) of values fall.
  uint64_t value_at(double quantile) const;

 private:
  static constexpr int kSubBucketBits = 7;
  static constexpr int kSubBuckets = 1 << kSubBucketBits;
  static constexpr int kMagnitudes = 64 - kSubBucketBits + 1;

  static size_t index_of(uint64_t value);
  static uint64_t upper_bound_of(size_t index);

  std::array<uint64_t, kMagnitudes * kSubBuckets> buckets_{};
  uint64_t count_ = 0;
  uint64_t sum_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
};

}  // namespace tally::load
