// Byte hashing for the hot path: XXH3, compiled inline into the caller (XXH_INLINE_ALL) rather
// than called through the shared library, because the inputs are short (ids, a command's
// fields) and a call per hash would cost as much as the hash.
#pragma once

#include <cstddef>
#include <cstdint>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace tally {

inline uint64_t hash_bytes(const void* data, size_t size) {
  return XXH3_64bits(data, size);
}

// Chains a hash over several pieces: the previous hash seeds the next piece's.
inline uint64_t hash_bytes(const void* data, size_t size, uint64_t seed) {
  return XXH3_64bits_withSeed(data, size, seed);
}

}  // namespace tally
