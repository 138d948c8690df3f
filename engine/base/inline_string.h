// InlineString<N>: a string of at most N bytes stored inside its owner, so that events are
// fixed-size and live in preallocated ring slots without touching the heap.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "engine/base/invariant.h"

namespace tally {

template <size_t Capacity>
class InlineString {
  static_assert(Capacity <= 255, "the length is stored in one byte");

 public:
  // Callers validate lengths first (a too-long input is a rejection, not a truncation).
  void assign(std::string_view text) {
    TALLY_ASSERT(text.size() <= Capacity);
    length_ = static_cast<uint8_t>(text.size());
    if (!text.empty()) {
      std::memcpy(bytes_, text.data(), text.size());
    }
  }

  // Assigns the first Capacity bytes of text: only for rejection events recording what a
  // client sent, where an over-long field is exactly what was wrong.
  void assign_truncated(std::string_view text) {
    assign(text.substr(0, std::min(text.size(), Capacity)));
  }

  void clear() { length_ = 0; }
  std::string_view view() const { return {bytes_, length_}; }
  size_t size() const { return length_; }
  bool empty() const { return length_ == 0; }

 private:
  uint8_t length_ = 0;
  char bytes_[Capacity];
};

}  // namespace tally
