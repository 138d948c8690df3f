// Overflow-checked arithmetic on int64 minor units. Every sum of money in Tally goes through
// these: an overflow is a business rejection (ResultCode::Overflow), never undefined behaviour.
#pragma once

#include <cstdint>
#include <optional>

namespace tally {

inline std::optional<int64_t> checked_add(int64_t left, int64_t right) {
  int64_t sum = 0;
  if (__builtin_add_overflow(left, right, &sum)) {
    return std::nullopt;
  }
  return sum;
}

inline std::optional<int64_t> checked_subtract(int64_t left, int64_t right) {
  int64_t difference = 0;
  if (__builtin_sub_overflow(left, right, &difference)) {
    return std::nullopt;
  }
  return difference;
}

}  // namespace tally
