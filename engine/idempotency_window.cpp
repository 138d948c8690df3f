#include "engine/idempotency_window.h"

#include "engine/invariant.h"

namespace tally {

IdempotencyWindow::IdempotencyWindow(uint32_t capacity)
    : outcomes_(capacity), slot_by_key_(capacity, SlotHash{&outcomes_}, SlotEqual{&outcomes_}) {}

void IdempotencyWindow::remember(const RememberedOutcome& outcome) {
  if (outcomes_.empty()) {
    return;
  }
  const uint32_t slot = next_slot_;
  if (used_slots_ == outcomes_.size()) {
    // Evict the oldest before overwriting: the index hashes the key stored in the slot.
    const size_t erased = slot_by_key_.erase(slot);
    TALLY_ASSERT(erased == 1);
  } else {
    ++used_slots_;
  }
  outcomes_[slot] = outcome;
  const bool inserted = slot_by_key_.insert(slot).second;
  TALLY_ASSERT(inserted);
  next_slot_ = (slot + 1 == outcomes_.size()) ? 0 : slot + 1;
}

size_t IdempotencyWindow::memory_bytes() const {
  return outcomes_.capacity() * sizeof(RememberedOutcome) +
         slot_by_key_.bucket_count() * (sizeof(uint32_t) + 1);
}

}  // namespace tally
