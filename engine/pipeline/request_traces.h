// RequestTraces: the timestamps of sampled requests, carried from the business-logic thread to
// the ring's consumers beside the ring rather than in it, so that an Outcome stays the event
// alone and an entry that is not sampled costs nothing.
//
// One slot per ring slot. The logic thread writes the slot of a sampled request's last ring
// position before it publishes that position; a consumer that has reached the position may read
// it until it moves its cursor past. The ring's own rules make that safe without atomics: the
// position is visible only after the publish (release, acquired by the consumer), and the slot is
// written again only for the position one lap later, which the ring lets the logic thread claim
// only once every consumer has passed this one. A slot's position says whether it belongs to the
// entry asked about: most entries are not sampled, and their slot holds an older lap's trace.
//
// Threads: record() from the logic thread only; find() from a consumer, for a position it has
// reached and not yet passed.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/base/invariant.h"

namespace tally {

struct RequestTrace {
  int64_t position = -1;   // the ring position of the request's last entry
  int64_t queued_ns = 0;   // monotonic: the producer queued it at the ingress (0: not stamped)
  int64_t applied_ns = 0;  // monotonic: the logic thread applied its group, before publishing
};

class RequestTraces {
 public:
  explicit RequestTraces(uint32_t ring_capacity) : mask_(ring_capacity - 1), slots_(ring_capacity) {
    TALLY_ASSERT(ring_capacity >= 1 && (ring_capacity & (ring_capacity - 1)) == 0);
  }
  RequestTraces(const RequestTraces&) = delete;
  RequestTraces& operator=(const RequestTraces&) = delete;

  // Logic thread, before publishing `trace.position`.
  void record(const RequestTrace& trace) { slot(trace.position) = trace; }

  // Consumer: the trace of the request whose last entry is at `position`, or null if that
  // request was not sampled.
  const RequestTrace* find(int64_t position) const {
    const RequestTrace& trace = slots_[static_cast<uint64_t>(position) & mask_];
    return trace.position == position ? &trace : nullptr;
  }

 private:
  RequestTrace& slot(int64_t position) { return slots_[static_cast<uint64_t>(position) & mask_]; }

  const uint64_t mask_;
  std::vector<RequestTrace> slots_;
};

}  // namespace tally
