// OutcomeSlots: where Ledger::apply writes a batch's entries. A window of `count` consecutive
// slots in a power-of-two ring (the event ring's claimed range), or in a plain array (mask of
// all ones, used by tests and the replay of recorded batches). Owner: whoever claimed the slots.
#pragma once

#include <cstdint>

#include "engine/wire/outcome.h"

namespace tally {

struct OutcomeSlots {
  Outcome* slots = nullptr;
  uint64_t mask = ~uint64_t{0};  // ring capacity - 1, or all ones for a plain array
  uint64_t first = 0;            // ring position of slot 0
  uint32_t count = 0;

  Outcome& operator[](uint32_t index) const { return slots[(first + index) & mask]; }
};

}  // namespace tally
