// Sequence: a ring position published by one thread and read by others (the Disruptor's
// Sequence). Padded to its own pair of cache lines so that two cursors never share a line
// (and the adjacent-line prefetcher does not pair them either).
//
// One writer per Sequence; any number of readers. Positions start at kInitialPosition (-1:
// nothing yet) and only grow.
#pragma once

#include <atomic>
#include <cstdint>

namespace tally {

inline constexpr int64_t kInitialPosition = -1;
inline constexpr size_t kFalseSharingBytes = 128;

class alignas(kFalseSharingBytes) Sequence {
 public:
  explicit Sequence(int64_t initial = kInitialPosition) : value_(initial) {}

  // Acquire: everything the writer did before publishing this position is visible after.
  int64_t get() const { return value_.load(std::memory_order_acquire); }

  // Release: pairs with get(); publishes the slots up to `position` to readers.
  void set(int64_t position) { value_.store(position, std::memory_order_release); }

 private:
  std::atomic<int64_t> value_;
  char padding_[kFalseSharingBytes - sizeof(std::atomic<int64_t>)];
};

static_assert(sizeof(Sequence) == kFalseSharingBytes);

}  // namespace tally
