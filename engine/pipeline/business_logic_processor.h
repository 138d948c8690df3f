// BusinessLogicProcessor: the business-logic thread. The only writer of account state.
//
// Loop: take every waiting ingress batch at once (bulk dequeue; producers decoded them already),
// claim one ring slot per command, let the Ledger fill them, publish the ring cursor once per
// group of batches, and return the batches to the pool. Stops once the ingress is closed and
// drained (every accepted batch applied), then halts the ring so consumers drain and exit.
//
// Latency: a group's last request is sampled when its producer stamped it with the time it was
// queued (one in Ingress::kSubmitsPerTimestamp is): two clock reads per sample, as many as
// applying a small request costs, so not per request. It records the time the request waited in
// the ingress (queued, taken here) and the time until its group was applied (which includes the
// requests before it in the group), and hands its timestamps to the consumers through traces(),
// keyed by its last ring position.
//
// Threads: run() on the business-logic thread; the counters and histograms from anyone;
// traces() as RequestTraces says.
#pragma once

#include <atomic>
#include <cstdint>
#include <span>
#include <vector>

#include "engine/base/latency_histogram.h"
#include "engine/ledger/ledger.h"
#include "engine/pipeline/ingress.h"
#include "engine/pipeline/outcome_ring.h"
#include "engine/pipeline/request_traces.h"

namespace tally {

class BusinessLogicProcessor {
 public:
  BusinessLogicProcessor(Ledger& ledger, Ingress& ingress, OutcomeRing& ring);

  void run();

  uint64_t commands_applied() const { return commands_applied_.load(std::memory_order_relaxed); }
  uint64_t batches_applied() const { return batches_applied_.load(std::memory_order_relaxed); }

  const LatencyHistogram& ingress_wait() const { return ingress_wait_; }
  const LatencyHistogram& logic_apply() const { return logic_apply_; }
  const RequestTraces& traces() const { return traces_; }

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
  // Records the sampled request (the group's last, ending at `last_position`) before the
  // publish that makes it visible.
  void sample(int64_t queued_ns, int64_t dequeued_ns, int64_t last_position);

  Ledger& ledger_;
  Ingress& ingress_;
  OutcomeRing& ring_;
  std::atomic<uint64_t> commands_applied_{0};
  std::atomic<uint64_t> batches_applied_{0};
  LatencyHistogram ingress_wait_;
  LatencyHistogram logic_apply_;
  RequestTraces traces_;
};

}  // namespace tally
