#include "tools/load/latency_histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace tally::load {

// Values below kSubBuckets have a bucket each. Above, a value with bit width w falls in row
// m = w - kSubBucketBits, at column value >> m (which lies in [kSubBuckets / 2, kSubBuckets)):
// the bucket spans 2^m values, at most 1/64 of the value.
size_t LatencyHistogram::index_of(uint64_t value) {
  if (value < kSubBuckets) {
    return static_cast<size_t>(value);
  }
  const auto row = static_cast<int>(std::bit_width(value)) - kSubBucketBits;
  return static_cast<size_t>(row) * kSubBuckets + static_cast<size_t>(value >> row);
}

uint64_t LatencyHistogram::upper_bound_of(size_t index) {
  const size_t row = index / kSubBuckets;
  const uint64_t column = index % kSubBuckets;
  return ((column + 1) << row) - 1;
}

void LatencyHistogram::record(uint64_t nanoseconds) {
  ++buckets_[index_of(nanoseconds)];
  ++count_;
  sum_ += nanoseconds;
  min_ = std::min(min_, nanoseconds);
  max_ = std::max(max_, nanoseconds);
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  for (size_t index = 0; index < buckets_.size(); ++index) {
    buckets_[index] += other.buckets_[index];
  }
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

uint64_t LatencyHistogram::value_at(double quantile) const {
  if (count_ == 0) {
    return 0;
  }
  const auto rank = static_cast<uint64_t>(
      std::ceil(std::clamp(quantile, 0.0, 1.0) * static_cast<double>(count_)));
  uint64_t seen = 0;
  for (size_t index = 0; index < buckets_.size(); ++index) {
    seen += buckets_[index];
    if (seen >= std::max<uint64_t>(rank, 1)) {
      return std::min(upper_bound_of(index), max_);
    }
  }
  return max_;
}

}  // namespace tally::load
