#include "engine/business_logic_processor.h"

#include <chrono>

namespace tally {
namespace {

int64_t wall_clock_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

BusinessLogicProcessor::BusinessLogicProcessor(Ledger& ledger, Ingress& ingress, EventRing& ring)
    : ledger_(ledger), ingress_(ingress), ring_(ring) {
  // A batch's entries are claimed at once, and a group publishes before it could fill the ring.
  TALLY_ASSERT(ledger.limits().max_batch_commands <= ring.capacity() / 2);
  TALLY_ASSERT(ingress.config().max_batch_commands <= ledger.limits().max_batch_commands);
}

int64_t BusinessLogicProcessor::apply(const IngressBatch& batch, int64_t now_ns) {
  const auto count = static_cast<uint32_t>(batch.batch.commands.size());
  const EventSlots slots = ring_.claim(count);
  ledger_.apply(batch.batch, now_ns, slots);
  return static_cast<int64_t>(slots.first) + count - 1;
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
  const int64_t publish_threshold = ring_.capacity() / 2;
  while (true) {
    const size_t taken = ingress_.dequeue(batches, kIdleWaitMicroseconds);
    if (taken == 0) {
      // Quiet first, then empty: a submit that got in before close() has enqueued by now.
      if (ingress_.is_closed_and_quiet() && ingress_.depth() == 0) {
        break;
      }
      continue;
    }
    const int64_t now_ns = wall_clock_ns();
    int64_t last_position = kInitialPosition;
    int64_t unpublished = 0;
    uint64_t commands = 0;
    for (size_t index = 0; index < taken; ++index) {
      prefetch_ahead(batches, index, taken);
      const int64_t previous_last =
          last_position == kInitialPosition ? ring_.published() : last_position;
      last_position = apply(*batches[index], now_ns);
      unpublished += last_position - previous_last;
      commands += static_cast<uint64_t>(last_position - previous_last);
      ingress_.release(batches[index]);
      // Consumers cannot free slots they have not seen: publish before the claims could wrap.
      if (unpublished >= publish_threshold) {
        ring_.publish(last_position);
        unpublished = 0;
      }
    }
    ring_.publish(last_position);
    commands_applied_.fetch_add(commands, std::memory_order_relaxed);
    batches_applied_.fetch_add(taken, std::memory_order_relaxed);
  }
  ring_.halt();
}

}  // namespace tally
