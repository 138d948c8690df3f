#include "engine/pipeline/outcome_ring.h"

#include <bit>
#include <limits>

namespace tally {

OutcomeRing::OutcomeRing(uint32_t capacity, WaitStrategy& wait_strategy)
    : mask_(capacity - 1), wait_strategy_(wait_strategy), slots_(new Outcome[capacity]) {
  TALLY_ASSERT(capacity >= 2);
  TALLY_ASSERT(std::has_single_bit(capacity));
}

int64_t OutcomeRing::minimum_gating_position() const {
  int64_t minimum = std::numeric_limits<int64_t>::max();
  for (const Sequence* sequence : gating_sequences_) {
    minimum = std::min(minimum, sequence->get());
  }
  return gating_sequences_.empty() ? next_position_ - 1 : minimum;
}

OutcomeSlots OutcomeRing::claim(uint32_t count) {
  TALLY_ASSERT(count >= 1);
  TALLY_ASSERT(count <= capacity());
  const int64_t first = next_position_;
  const int64_t last = first + count - 1;
  // Slot `last` may be written once every consumer is past position last - capacity.
  const int64_t wrap_position = last - static_cast<int64_t>(capacity());
  if (wrap_position > cached_gating_position_) {
    wait_strategy_.wait_until(
        [&] { return minimum_gating_position() >= wrap_position || has_failed(); });
    cached_gating_position_ = minimum_gating_position();
  }
  if (has_failed()) {
    return OutcomeSlots{.slots = slots_.get(), .mask = mask_, .first = 0, .count = 0};
  }
  next_position_ = last + 1;
  return OutcomeSlots{
      .slots = slots_.get(), .mask = mask_, .first = static_cast<uint64_t>(first), .count = count};
}

}  // namespace tally
