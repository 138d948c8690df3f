// BusinessLogicProcessor: the business-logic thread. The only writer of account state.
//
// Loop: take every waiting ingress batch at once (bulk dequeue; producers decoded them already),
// claim one ring slot per command, let the Ledger fill them, publish the ring cursor once per
// group of batches, and return the batches to the pool. Stops once the ingress is closed and
// drained (every accepted batch applied), then halts the ring so consumers drain and exit.
//
// Threads: run() on the business-logic thread; the counters from anyone.
#pragma once

#include <atomic>
#include <cstdint>
#include <span>
#include <vector>

#include "engine/ledger/ledger.h"
#include "engine/pipeline/ingress.h"
#include "engine/pipeline/outcome_ring.h"

namespace tally {

class BusinessLogicProcessor {
 public:
  BusinessLogicProcessor(Ledger& ledger, Ingress& ingress, OutcomeRing& ring);

  void run();

  uint64_t commands_applied() const { return commands_applied_.load(std::memory_order_relaxed); }
  uint64_t batches_applied() const { return batches_applied_.load(std::memory_order_relaxed); }

 private:
  static constexpr size_t kBatchesPerDequeue = 64;
  static constexpr int64_t kIdleWaitMicroseconds = 10'000;  // how often an idle loop checks stop
  static constexpr size_t kSlotPrefetchRequests = 4;
  static constexpr size_t kRecordPrefetchRequests = 2;
  static constexpr size_t kSmallRequestCommands = 4;

  void prefetch_ahead(IngressBatch* const* batches, size_t index, size_t taken);
  // Applies one dequeued group of batches; false if the ring failed (stop taking commands).
  bool apply_group(std::span<IngressBatch*> batches);
  // Applies one ingress batch and sets the ring position of its last entry; false if the
  // ring failed, in which case nothing was applied.
  bool apply(const IngressBatch& batch, int64_t now_ns, int64_t& last_position);

  Ledger& ledger_;
  Ingress& ingress_;
  OutcomeRing& ring_;
  std::atomic<uint64_t> commands_applied_{0};
  std::atomic<uint64_t> batches_applied_{0};
};

}  // namespace tally
