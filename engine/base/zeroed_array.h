// ZeroedArray<T>: a fixed-size array that starts as all zero bytes, taken from calloc so that
// a large one comes straight from the kernel's zero pages: no byte is touched until it is used.
// A std::vector of the same size writes every byte when it is made, which for the ledger's
// retry window (tens of megabytes, twice: the ledger and the snapshotter's copy) was most of
// an empty start-up. T must be an implicit-lifetime type for which all zero bytes are a valid
// value (an aggregate of integers and enums whose zero is their default).
#pragma once

#include <cstddef>
#include <cstdlib>
#include <limits>
#include <memory>
#include <new>
#include <type_traits>

namespace tally {

template <typename T>
class ZeroedArray {
  static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>);
  static_assert(alignof(T) <= alignof(std::max_align_t), "calloc aligns to max_align_t only");

 public:
  ZeroedArray() = default;
  explicit ZeroedArray(size_t size) : size_(size) {
    // Refused before calloc sees it: some allocators (ASan's) abort on an overflowing size
    // rather than return null.
    if (size > std::numeric_limits<size_t>::max() / sizeof(T)) {
      throw std::bad_alloc();
    }
    data_.reset(size == 0 ? nullptr : static_cast<T*>(std::calloc(size, sizeof(T))));
    if (size != 0 && data_ == nullptr) {
      throw std::bad_alloc();
    }
  }

  T& operator[](size_t index) { return data_.get()[index]; }
  const T& operator[](size_t index) const { return data_.get()[index]; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

 private:
  struct Free {
    void operator()(T* pointer) const { std::free(pointer); }
  };
  std::unique_ptr<T, Free> data_;
  size_t size_ = 0;
};

}  // namespace tally
