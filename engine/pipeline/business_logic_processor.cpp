#include "engine/pipeline/business_logic_processor.h"

#include <chrono>

#include "engine/base/monotonic_clock.h"

namespace tally {
namespace {

int64_t wall_clock_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

BusinessLogicProcessor::BusinessLogicProcessor(Ledger& ledger, Ingress& ingress, OutcomeRing& ring)
    : ledger_(ledger), ingress_(ingress), ring_(ring), traces_(ring.capacity()) {
  // A batch's entries are claimed at once, and a group publishes before it could fill the ring.
  TALLY_ASSERT(ledger.limits().batch_commands_max <= ring.capacity() / 2);
  TALLY_ASSERT(ingress.config().batch_commands_max <= ledger.limits().batch_commands_max);
}

bool BusinessLogicProcessor::apply(const IngressBatch& batch, int64_t now_ns,
                                   int64_t& last_position) {
  const auto count = static_cast<uint32_t>(batch.batch.commands.size());
  const OutcomeSlots slots = ring_.claim(count);
  if (slots.count == 0) {
    return false;  // the ring failed: nothing more may be recorded, so nothing is applied
  }
  ledger_.apply(batch.batch, now_ns, slots);
  last_position = static_cast<int64_t>(slots.first) + count - 1;
  return true;
}

void BusinessLogicProcessor::prefetch_ahead(IngressBatch* const* batches, size_t index,
                                            size_t taken) {
  // Small requests give the ledger little to overlap within one batch, so overlap across the
  // group: table slots a few requests ahead, records of the next ones. Larger batches pipeline
  // their own lookups, and hinting them too measured slower.
  const auto is_small = [](const IngressBatch* batch) {
    return batch->batch.commands.size() <= kSmallRequestCommands;
  };
  if (index + kSlotPrefetchRequests < taken && is_small(batches[index + kSlotPrefetchRequests])) {
    ledger_.prefetch_slots(batches[index + kSlotPrefetchRequests]->batch);
  }
  if (index + kRecordPrefetchRequests < taken &&
      is_small(batches[index + kRecordPrefetchRequests])) {
    ledger_.prefetch_records(batches[index + kRecordPrefetchRequests]->batch);
  }
}

void BusinessLogicProcessor::run() {
  IngressBatch* batches[kBatchesPerDequeue];
  while (true) {
    const size_t taken = ingress_.dequeue(batches, kIdleWaitMicroseconds);
    if (taken == 0) {
      // Quiet first, then empty: a submit that got in before close() has enqueued by now.
      if (ingress_.is_closed_and_quiet() && ingress_.depth() == 0) {
        break;
      }
      continue;
    }
    if (!apply_group({batches, taken})) {
      // A consumer failed fatally: take no more commands (later submits get Unavailable).
      ingress_.close();
      break;
    }
  }
  ring_.halt();
}

bool BusinessLogicProcessor::apply_group(std::span<IngressBatch*> batches) {
  const int64_t publish_threshold = ring_.capacity() / 2;
  const int64_t now_ns = wall_clock_ns();
  // Read before the loop hands the batch back to the pool, where a producer may reuse it.
  const int64_t queued_ns = batches.back()->queued_ns;
  const bool sampled = queued_ns != 0;
  const int64_t dequeued_ns = sampled ? monotonic_now_ns() : 0;
  int64_t last_position = ring_.published();
  int64_t unpublished = 0;
  uint64_t commands = 0;
  for (size_t index = 0; index < batches.size(); ++index) {
    prefetch_ahead(batches.data(), index, batches.size());
    const int64_t previous_last = last_position;
    const bool applied = apply(*batches[index], now_ns, last_position);
    ingress_.release(batches[index]);
    if (!applied) {
      for (size_t rest = index + 1; rest < batches.size(); ++rest) {
        ingress_.release(batches[rest]);
      }
      return false;
    }
    unpublished += last_position - previous_last;
    commands += static_cast<uint64_t>(last_position - previous_last);
    // Consumers cannot free slots they have not seen: publish before the claims could wrap.
    // The last batch is published after the loop, once its sample is recorded.
    if (unpublished >= publish_threshold && index + 1 < batches.size()) {
      ring_.publish(last_position);
      unpublished = 0;
    }
  }
  if (sampled) {
    sample(queued_ns, dequeued_ns, last_position);
  }
  ring_.publish(last_position);
  commands_applied_.fetch_add(commands, std::memory_order_relaxed);
  batches_applied_.fetch_add(batches.size(), std::memory_order_relaxed);
  return true;
}

void BusinessLogicProcessor::sample(int64_t queued_ns, int64_t dequeued_ns, int64_t last_position) {
  const int64_t applied_ns = monotonic_now_ns();
  ingress_wait_.record(dequeued_ns - queued_ns);
  logic_apply_.record(applied_ns - dequeued_ns);
  traces_.record({.position = last_position, .queued_ns = queued_ns, .applied_ns = applied_ns});
}

}  // namespace tally
