// OutcomeRing: the preallocated ring of Outcome slots between the business-logic thread (the one
// producer) and the consumers (journaler, replier, projectors, snapshotter), Disruptor style.
//
// The producer claims consecutive positions, fills the slots, then publishes the last position
// (a release store of the cursor: the slots' contents happen-before any consumer's acquire of
// it). The producer never overwrites a slot until every gating consumer has passed it, so it
// is held back by the slowest consumer and never by locks. Each consumer reads slots up to the
// published cursor (and up to the cursors of the consumers it depends on), then publishes its
// own cursor; see OutcomeConsumer.
//
// Threads: claim/publish/halt from the producer only; add_gating_sequence before start only;
// published/at/is_halted from anyone.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "engine/base/invariant.h"
#include "engine/ledger/outcome_slots.h"
#include "engine/pipeline/sequence.h"
#include "engine/pipeline/wait_strategy.h"
#include "engine/wire/outcome.h"

namespace tally {

class OutcomeRing {
 public:
  OutcomeRing(uint32_t capacity, WaitStrategy& wait_strategy);
  OutcomeRing(const OutcomeRing&) = delete;
  OutcomeRing& operator=(const OutcomeRing&) = delete;

  uint32_t capacity() const { return static_cast<uint32_t>(mask_ + 1); }
  WaitStrategy& wait_strategy() { return wait_strategy_; }

  // Setup, before any thread runs: the producer will not overtake `consumer_cursor`.
  void add_gating_sequence(const Sequence* consumer_cursor) {
    gating_sequences_.push_back(consumer_cursor);
  }

  // Producer: the next `count` slots, waiting for the slowest consumer to free them; slots with
  // count 0 if the ring has failed (nothing more may be recorded).
  OutcomeSlots claim(uint32_t count);

  // Producer: makes every claimed slot up to `last_position` visible to consumers.
  void publish(int64_t last_position) {
    TALLY_ASSERT(last_position < next_position_);
    cursor_.set(last_position);
    wait_strategy_.signal();
  }

  // Producer: no more events will come. Consumers drain what was published, then stop.
  void halt() {
    halted_.store(true, std::memory_order_release);
    wait_strategy_.signal();
  }

  // Any consumer: a fatal failure (the journal cannot be written). The producer's claims
  // return nothing from now on and consumers stop once they have handled what they can.
  void fail() {
    failed_.store(true, std::memory_order_release);
    wait_strategy_.signal();
  }
  bool has_failed() const { return failed_.load(std::memory_order_acquire); }

  int64_t published() const { return cursor_.get(); }
  const Sequence& cursor() const { return cursor_; }
  bool is_halted() const { return halted_.load(std::memory_order_acquire); }
  const Outcome& at(int64_t position) const {
    return slots_[static_cast<uint64_t>(position) & mask_];
  }

  // The position the slowest gating consumer has reached.
  int64_t minimum_gating_position() const;

 private:
  const uint64_t mask_;
  WaitStrategy& wait_strategy_;
  std::unique_ptr<Outcome[]> slots_;
  std::vector<const Sequence*> gating_sequences_;
  // Producer-local, written on every claim: on their own cache lines, away from the fields
  // above that every consumer reads in at().
  alignas(kFalseSharingBytes) int64_t next_position_ = 0;
  int64_t cached_gating_position_ = kInitialPosition;
  Sequence cursor_;
  std::atomic<bool> halted_{false};
  std::atomic<bool> failed_{false};
};

}  // namespace tally
