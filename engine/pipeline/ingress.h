// Ingress: how command batches reach the business-logic thread. Many producers (network
// threads, in-process callers), one consumer (the business-logic thread).
//
// A producer acquires an IngressBatch from the pool, copies one Request frame into it, and
// submits it; submit verifies and decodes the frame on the producer's thread, so malformed
// input never reaches the logic thread and the logic thread spends no time unmarshalling (the
// LMAX input stage). The logic thread dequeues batches in bulk, applies them and releases them
// back to the pool. Both the pool and the queue are bounded and allocated at start-up (a
// batch's frame buffer grows to the largest frame it carried, then is reused): when exhausted,
// acquire/submit fail at once (back-pressure), nothing blocks and nothing is dropped silently.
#pragma once

#include <atomic>
#include <cstdint>
#include <span>
#include <vector>

#include <concurrentqueue/blockingconcurrentqueue.h>
#include <concurrentqueue/concurrentqueue.h>

#include "engine/wire/command.h"
#include "engine/wire/protocol.h"

namespace tally {

struct IngressBatch {
  uint64_t origin = 0;         // the submitter's token, copied to every resulting event
  std::vector<uint8_t> frame;  // one Request; its capacity is reused from batch to batch
  // Set by submit(): the decoded request, whose strings point into `frame`.
  CommandBatch batch;
  std::vector<Command> commands;  // capacity reused; reserved for the largest batch
  // Set by submit() just before it queues one batch in kSubmitsPerTimestamp of each producer
  // thread (monotonic_clock.h), 0 in the others: where the latency stage "ingress_wait" starts
  // for a request the logic thread may sample.
  int64_t queued_ns = 0;
};

struct IngressConfig {
  // Pool size and queue bound (docs/decisions.md, "A shallow ingress").
  uint32_t batches_in_flight_max = 128;
  uint32_t batch_commands_max = 8190;
  uint32_t frame_bytes_max = 1 << 20;
};

class Ingress {
 public:
  // Threads that may submit at once; moodycamel sizes each one's share of the queue from it.
  static constexpr size_t kProducerThreadsMax = 64;
  // Each producer thread stamps the first batch it submits and one in this many after it with
  // the time it was queued: a clock read costs as much as verifying a small batch, so only the
  // batches the logic thread may sample carry one (BusinessLogicProcessor). Chosen by
  // measurement (docs/decisions.md, "Latency stages").
  static constexpr uint32_t kSubmitsPerTimestamp = 16;

  explicit Ingress(const IngressConfig& config);
  Ingress(const Ingress&) = delete;
  Ingress& operator=(const Ingress&) = delete;

  // Producer: an empty batch, or nullptr when all are in flight.
  IngressBatch* acquire();

  // Producer: verifies and enqueues `batch` (acquired from this ingress). On any result but Ok
  // the batch stays with the caller. Returns Ok, InvalidArgument (malformed), LimitExceeded
  // (too many commands or bytes) or Unavailable (the queue is full: try later; or the ingress
  // is closed: the engine is stopping).
  ResultCode submit(IngressBatch* batch);

  // Producer: like submit, for a frame the caller already checked with verify_request and
  // check_command_batch (the network layer verifies once, to dispatch on the body type).
  ResultCode submit_verified(IngressBatch* batch);

  // Any thread: refuse every later submit. Submits already past their check still complete.
  void close() { closed_.store(true, std::memory_order_seq_cst); }

  bool is_closed() const { return closed_.load(std::memory_order_seq_cst); }

  // Consumer: closed, and no submit still in progress, so whatever was accepted is queued.
  bool is_closed_and_quiet() const {
    return closed_.load(std::memory_order_seq_cst) &&
           submits_in_progress_.load(std::memory_order_seq_cst) == 0;
  }

  // Producer: returns a batch that will not be submitted.
  void release(IngressBatch* batch) { free_batches_.enqueue(batch); }

  // Consumer: waits up to `timeout_us` for batches, takes up to `batches.size()` of them.
  size_t dequeue(std::span<IngressBatch*> batches, int64_t timeout_us) {
    return queue_.wait_dequeue_bulk_timed(batches.data(), batches.size(), timeout_us);
  }

  // Consumer: the approximate number of batches waiting.
  size_t depth() const { return queue_.size_approx(); }

  const IngressConfig& config() const { return config_; }

 private:
  ResultCode guarded_submit(IngressBatch* batch, bool verify);
  ResultCode verify_and_enqueue(IngressBatch* batch, bool verify);

  IngressConfig config_;
  std::vector<IngressBatch> batches_;
  moodycamel::ConcurrentQueue<IngressBatch*> free_batches_;
  // The default traits let one producer hold only 32 blocks (1,024 items) without allocating;
  // a larger initial block index lets a single producer fill the whole bound.
  struct QueueTraits : moodycamel::ConcurrentQueueDefaultTraits {
    static constexpr size_t IMPLICIT_INITIAL_INDEX_SIZE = 1024;
  };
  moodycamel::BlockingConcurrentQueue<IngressBatch*, QueueTraits> queue_;
  // A Dekker pair with seq_cst on all four accesses: either a submit sees closed_ and refuses,
  // or the consumer sees it in progress and waits for its enqueue.
  std::atomic<bool> closed_{false};
  std::atomic<uint32_t> submits_in_progress_{0};
};

}  // namespace tally
