#include "engine/pipeline/ingress.h"

#include "engine/base/invariant.h"
#include "engine/base/monotonic_clock.h"
#include "engine/wire/fingerprint.h"
#include "engine/wire/wire_decoder.h"

namespace tally {
namespace {

// Per producer thread, whichever ingress it submits to: the sampling needs no more precision.
thread_local uint32_t submits_until_timestamp = 0;

}  // namespace

Ingress::Ingress(const IngressConfig& config)
    : config_(config),
      batches_(config.batches_in_flight_max),
      free_batches_(config.batches_in_flight_max),
      queue_(config.batches_in_flight_max, 0, kProducerThreadsMax) {
  TALLY_ASSERT(config.batches_in_flight_max >= 1);
  for (IngressBatch& batch : batches_) {
    batch.commands.reserve(config.batch_commands_max);
    const bool added = free_batches_.enqueue(&batch);
    TALLY_ASSERT(added);
  }
}

IngressBatch* Ingress::acquire() {
  IngressBatch* batch = nullptr;
  if (!free_batches_.try_dequeue(batch)) {
    return nullptr;
  }
  batch->origin = 0;
  batch->frame.clear();
  return batch;
}

ResultCode Ingress::submit(IngressBatch* batch) {
  return guarded_submit(batch, true);
}

ResultCode Ingress::submit_verified(IngressBatch* batch) {
  return guarded_submit(batch, false);
}

ResultCode Ingress::guarded_submit(IngressBatch* batch, bool verify) {
  TALLY_ASSERT(batch != nullptr);
  submits_in_progress_.fetch_add(1, std::memory_order_seq_cst);
  const ResultCode result = closed_.load(std::memory_order_seq_cst)
                                ? ResultCode::Unavailable
                                : verify_and_enqueue(batch, verify);
  submits_in_progress_.fetch_sub(1, std::memory_order_seq_cst);
  return result;
}

ResultCode Ingress::verify_and_enqueue(IngressBatch* batch, bool verify) {
  if (batch->frame.size() > config_.frame_bytes_max) {
    return ResultCode::LimitExceeded;
  }
  if (verify) {
    const ResultCode verdict = verify_command_request(batch->frame, config_.batch_commands_max);
    if (verdict != ResultCode::Ok) {
      return verdict;
    }
  }
  batch->batch = decode_command_request(batch->frame, batch->commands);
  batch->batch.origin = batch->origin;
  batch->batch.fingerprint = request_fingerprint(batch->batch);
  // On the producer's thread, which pays for the clock read, and before the enqueue that hands
  // the batch over.
  batch->queued_ns = 0;
  if (submits_until_timestamp == 0) {
    submits_until_timestamp = kSubmitsPerTimestamp;
    batch->queued_ns = monotonic_now_ns();
  }
  --submits_until_timestamp;
  // The pool holds batches_in_flight_max batches, so the queue can never hold more; a failure
  // here means the queue could not get a block, which is back-pressure all the same.
  if (!queue_.try_enqueue(batch)) {
    return ResultCode::Unavailable;
  }
  return ResultCode::Ok;
}

}  // namespace tally
