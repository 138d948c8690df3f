#include "engine/base/latency_histogram.h"

#include <algorithm>
#include <bit>
#include <limits>
#include <vector>

namespace tally {
namespace {

uint64_t clamp_to_zero(int64_t nanoseconds) {
  return nanoseconds < 0 ? 0 : static_cast<uint64_t>(nanoseconds);
}

// The highest value of the bucket holding the value of rank ceil(per_mille * count / 1000),
// counting from 1 in ascending order: a bound that at least that share of the values is below.
// Integers, so that 99.9% of 1,000 values is rank 999 and not, by rounding, 1,000.
uint64_t value_at_per_mille(const std::vector<uint64_t>& buckets, uint64_t count,
                            uint64_t per_mille, uint64_t max_ns) {
  const uint64_t rank = std::max<uint64_t>((count * per_mille + 999) / 1000, 1);
  uint64_t seen = 0;
  for (size_t bucket = 0; bucket < buckets.size(); ++bucket) {
    seen += buckets[bucket];
    if (seen >= rank) {
      return std::min(LatencyHistogram::highest_in_bucket(bucket), max_ns);
    }
  }
  return max_ns;
}

// For each of kLatencyBucketBoundsNs, how many values lie in fine buckets whose highest value
// is at most the bound.
std::array<uint64_t, kLatencyBucketBoundsNs.size()> counts_at_most(
    const std::vector<uint64_t>& buckets) {
  std::array<uint64_t, kLatencyBucketBoundsNs.size()> at_most{};
  size_t bound = 0;
  uint64_t seen = 0;
  for (size_t bucket = 0; bucket < buckets.size() && bound < at_most.size(); ++bucket) {
    const uint64_t highest = LatencyHistogram::highest_in_bucket(bucket);
    while (bound < at_most.size() && highest > kLatencyBucketBoundsNs[bound]) {
      at_most[bound++] = seen;
    }
    seen += buckets[bucket];
  }
  for (; bound < at_most.size(); ++bound) {
    at_most[bound] = seen;
  }
  return at_most;
}

}  // namespace

size_t LatencyHistogram::bucket_of(uint64_t nanoseconds) {
  if (nanoseconds < 2 * kHalfSubBuckets) {
    return static_cast<size_t>(nanoseconds);
  }
  if (nanoseconds > kTrackedNanosecondsMax) {
    return kOverflowBucket;
  }
  const int highest_bit = static_cast<int>(std::bit_width(nanoseconds)) - 1;
  const int shift = highest_bit - (kSubBucketBits - 1);
  return static_cast<size_t>(shift) * kHalfSubBuckets + static_cast<size_t>(nanoseconds >> shift);
}

uint64_t LatencyHistogram::highest_in_bucket(size_t bucket) {
  if (bucket >= kOverflowBucket) {
    return std::numeric_limits<uint64_t>::max();
  }
  if (bucket < 2 * kHalfSubBuckets) {
    return bucket;
  }
  const size_t shift = bucket / kHalfSubBuckets - 1;
  const uint64_t mantissa = bucket - shift * kHalfSubBuckets;
  return ((mantissa + 1) << shift) - 1;
}

void LatencyHistogram::record(int64_t nanoseconds) {
  const uint64_t value = clamp_to_zero(nanoseconds);
  // One writer: a load and a store (no read-modify-write) are enough, and relaxed, since a
  // reader needs each counter whole, not an order between them.
  std::atomic<uint64_t>& bucket = buckets_[bucket_of(value)];
  bucket.store(bucket.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  sum_ns_.store(sum_ns_.load(std::memory_order_relaxed) + value, std::memory_order_relaxed);
  if (value > max_ns_.load(std::memory_order_relaxed)) {
    max_ns_.store(value, std::memory_order_relaxed);
  }
}

void LatencyHistogram::record_shared(int64_t nanoseconds) {
  const uint64_t value = clamp_to_zero(nanoseconds);
  buckets_[bucket_of(value)].fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(value, std::memory_order_relaxed);
  uint64_t seen = max_ns_.load(std::memory_order_relaxed);
  while (value > seen && !max_ns_.compare_exchange_weak(seen, value, std::memory_order_relaxed)) {
  }
}

LatencySummary LatencyHistogram::summarize() const {
  std::vector<uint64_t> buckets(kBuckets);
  uint64_t count = 0;
  size_t highest_used = 0;
  for (size_t bucket = 0; bucket < kBuckets; ++bucket) {
    buckets[bucket] = buckets_[bucket].load(std::memory_order_relaxed);
    count += buckets[bucket];
    highest_used = buckets[bucket] != 0 ? bucket : highest_used;
  }
  if (count == 0) {
    return {};
  }
  // The maximum is stored apart from its bucket: a reader may see one before the other, so
  // the largest value is at least the lowest value of the highest bucket seen.
  const uint64_t lowest_in_highest =
      highest_used == 0 ? 0 : highest_in_bucket(highest_used - 1) + 1;
  const uint64_t max_ns = std::max(max_ns_.load(std::memory_order_relaxed), lowest_in_highest);
  LatencySummary summary;
  summary.count = count;
  summary.p50_ns = value_at_per_mille(buckets, count, 500, max_ns);
  summary.p90_ns = value_at_per_mille(buckets, count, 900, max_ns);
  summary.p99_ns = value_at_per_mille(buckets, count, 990, max_ns);
  summary.p999_ns = value_at_per_mille(buckets, count, 999, max_ns);
  summary.max_ns = max_ns;
  summary.sum_ns = sum_ns_.load(std::memory_order_relaxed);
  summary.at_most = counts_at_most(buckets);
  return summary;
}

}  // namespace tally
