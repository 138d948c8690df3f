#include "engine/ledger/idempotency_window.h"

#include "engine/base/invariant.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace tally {

static_assert(sizeof(RememberedOutcome) == 32, "the window's cost per command is documented");

IdempotencyWindow::IdempotencyWindow(uint32_t capacity) : outcomes_(capacity), queue_(capacity) {
  requests_.reserve(capacity);
}

namespace {

// Outcomes are written once and read only if a retry comes, usually never: streaming stores
// skip the read-for-ownership a plain store of a cold line costs, which on a large window is
// a cache miss every other command.
void store_outcome(RememberedOutcome& destination, const RememberedOutcome& outcome) {
#if defined(__SSE2__)
  static_assert(sizeof(RememberedOutcome) == 2 * sizeof(__m128i));
  const auto* source = reinterpret_cast<const __m128i*>(&outcome);
  auto* target = reinterpret_cast<__m128i*>(&destination);
  _mm_stream_si128(target, _mm_loadu_si128(source));
  _mm_stream_si128(target + 1, _mm_loadu_si128(source + 1));
#else
  destination = outcome;
#endif
}

}  // namespace

void IdempotencyWindow::forget_oldest() {
  TALLY_ASSERT(queue_size_ > 0);
  const QueuedRequest& oldest = queue_[queue_head_];
  const size_t erased = requests_.erase(oldest.request_id);
  TALLY_ASSERT(erased == 1);
  remembered_commands_ -= oldest.count;
  queue_head_ = (queue_head_ + 1) % queue_.size();
  --queue_size_;
}

void IdempotencyWindow::remember(const Id128& request_id, uint64_t fingerprint,
                                 std::span<const RememberedOutcome> outcomes) {
  const size_t capacity = outcomes_.size();
  if (outcomes.empty() || outcomes.size() > capacity) {
    return;
  }
  while (remembered_commands_ + outcomes.size() > capacity) {
    forget_oldest();
  }
  // Every request has at least one command, so the request queue cannot overflow while the
  // command budget holds.
  TALLY_ASSERT(queue_size_ < queue_.size());
  const auto count = static_cast<uint32_t>(outcomes.size());
  const RememberedRequest request{
      .fingerprint = fingerprint, .first_slot = next_slot_, .count = count};
  const bool inserted = requests_.emplace(request_id, request).second;
  TALLY_ASSERT(inserted);
  for (const RememberedOutcome& outcome : outcomes) {
    store_outcome(outcomes_[next_slot_], outcome);
    next_slot_ = next_slot_ + 1 == capacity ? 0 : next_slot_ + 1;
  }
  queue_[(queue_head_ + queue_size_) % queue_.size()] = {request_id, count};
  ++queue_size_;
  remembered_commands_ += count;
}

size_t IdempotencyWindow::memory_bytes() const {
  using Entry = std::pair<const Id128, RememberedRequest>;
  return outcomes_.size() * sizeof(RememberedOutcome) + queue_.size() * sizeof(QueuedRequest) +
         requests_.bucket_count() * (sizeof(Entry) + 1);
}

}  // namespace tally
