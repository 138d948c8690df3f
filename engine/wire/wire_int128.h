// The schema's Int128 struct (two's complement halves) and WideSum, both ways: how 128-bit
// totals (reserves, summaries) cross the wire.
#pragma once

#include "engine/base/wide_sum.h"
#include "engine/wire/protocol.h"

namespace tally {

inline protocol::Int128 to_wire_int128(WideSum value) {
  // The low 64 bits as they are, the high ones with the sign.
  return protocol::Int128(static_cast<uint64_t>(value), static_cast<int64_t>(value >> 64));
}

inline WideSum from_wire_int128(const protocol::Int128& value) {
  return static_cast<WideSum>(value.high()) * (static_cast<WideSum>(1) << 64) +
         static_cast<WideSum>(value.low());
}

}  // namespace tally
