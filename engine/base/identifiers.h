// Id128: the 128-bit identifiers of Tally (request ids, business transaction ids).
//
// A plain value type, two 64-bit halves. Zero is "absent" for transaction ids; request ids
// may be any value. Thread-safe as any value type; no owner.
#pragma once

#include <cstdint>
#include <functional>

namespace tally {

struct Id128 {
  uint64_t low = 0;
  uint64_t high = 0;

  bool is_zero() const { return low == 0 && high == 0; }
  friend bool operator==(const Id128&, const Id128&) = default;
};

// Murmur3's 64-bit finalizer: cheap, and every input bit affects every output bit, which lets
// Boost's open-addressing tables skip their own post-mixing (is_avalanching).
inline uint64_t mix64(uint64_t value) {
  value ^= value >> 33;
  value *= 0xff51afd7ed558ccdULL;
  value ^= value >> 33;
  value *= 0xc4ceb9fe1a85ec53ULL;
  value ^= value >> 33;
  return value;
}

struct Id128Hash {
  using is_avalanching = void;
  size_t operator()(const Id128& id) const { return mix64(id.low ^ mix64(id.high)); }
};

}  // namespace tally
