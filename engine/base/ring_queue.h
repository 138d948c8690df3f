// RingQueue<T>: a first-in first-out queue in one contiguous buffer that wraps around, with
// random access by position from the front. It grows (doubling) when full and keeps its memory
// (the hub's window and read-ahead are bounded, so their high-water mark is their size).
//
// Why not std::deque: libstdc++'s deque holds 512 bytes a node, so a 384-byte Outcome gets a
// node (an aligned allocation) of its own on every push and frees it on every pop. The
// subscription hub pushes and pops every event it serves, several times; here a push is a copy.
//
// Threads: none of its own; one owner at a time.
#pragma once

#include <algorithm>
#include <cstddef>
#include <utility>
#include <vector>

#include "engine/base/invariant.h"

namespace tally {

template <typename T>
class RingQueue {
 public:
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // The element `index` places behind the front (0: the front).
  const T& operator[](size_t index) const { return slots_[slot_of(index)]; }
  T& operator[](size_t index) { return slots_[slot_of(index)]; }
  const T& front() const { return (*this)[0]; }
  const T& back() const { return (*this)[size_ - 1]; }

  void push_back(const T& value) {
    if (size_ == slots_.size()) {
      grow();
    }
    slots_[(head_ + size_) & (slots_.size() - 1)] = value;
    ++size_;
  }

  // Drops the `count` elements at the front (at most all of them).
  void pop_front(size_t count = 1) {
    count = std::min(count, size_);
    if (count == size_) {
      head_ = 0;
      size_ = 0;
      return;
    }
    head_ = (head_ + count) & (slots_.size() - 1);
    size_ -= count;
  }

  // Empties the queue and keeps its memory for the next elements.
  void clear() { pop_front(size_); }

  // The position of the first element not ordered before `key` by `less(element, key)`, or
  // size(): a binary search, for a queue sorted by that order.
  template <typename Key, typename Less>
  size_t lower_bound(size_t from, const Key& key, Less less) const {
    size_t low = from;
    size_t high = size_;
    while (low < high) {
      const size_t middle = low + (high - low) / 2;
      if (less((*this)[middle], key)) {
        low = middle + 1;
      } else {
        high = middle;
      }
    }
    return low;
  }

 private:
  size_t slot_of(size_t index) const {
    TALLY_ASSERT(index < size_);
    return (head_ + index) & (slots_.size() - 1);
  }

  void grow() {
    std::vector<T> larger(std::max<size_t>(16, slots_.size() * 2));  // a power of two
    for (size_t index = 0; index < size_; ++index) {
      larger[index] = std::move(slots_[slot_of(index)]);
    }
    slots_ = std::move(larger);
    head_ = 0;
  }

  std::vector<T> slots_;  // a power of two of them, so a position wraps with a mask
  size_t head_ = 0;       // the front's slot
  size_t size_ = 0;
};

}  // namespace tally
