// Journaler: the event ring's first consumer. Appends every event (not replayed answers) to the
// journal and syncs once per batch of entries (group commit), before its cursor moves: a
// consumer that runs after it (the replier, projectors) only ever sees durable events.
//
// A storage failure is fatal: has_failed() turns true, the consumer stops without publishing
// the failed batch, the ring fails, the business-logic thread stops taking commands, and
// failure() says why. Nothing after the failure is acknowledged; a restart recovers from what
// the journal holds. Runs on its consumer's thread only; failure() after the pipeline stopped.
#pragma once

#include <atomic>
#include <chrono>

#include "engine/journal/journal_writer.h"
#include "engine/pipeline/outcome_consumer.h"

namespace tally::journal {

enum class SyncPolicy : uint8_t {
  kEveryBatch,  // default: one sync per batch of entries, as soon as the batch is written
  kInterval,    // one sync per batch, but at most one per interval: the journaler waits out the
                // rest of the interval first, so batches grow, syncs are fewer, latency is higher;
                // nothing is acknowledged before it is durable either way
  kNone,        // benchmarks only: acknowledged when written, never synced; durable_sequence()
                // then says what is written, which the read side follows
};

class Journaler final : public OutcomeHandler {
 public:
  Journaler(JournalWriter& writer, SyncPolicy policy,
            std::chrono::microseconds interval = std::chrono::microseconds(0))
      : writer_(writer), policy_(policy), interval_(interval) {
    // What the writer opened on (recovered events) is durable already.
    durable_sequence_.store(writer_.durable_sequence(), std::memory_order_relaxed);
  }

  void on_event(const Outcome& event, int64_t position, bool end_of_batch) override;
  void on_shutdown() override;
  bool has_failed() const override { return !failure_.is_ok(); }

  const Status& failure() const { return failure_; }
  uint64_t durable_sequence() const { return durable_sequence_.load(std::memory_order_acquire); }
  // Any thread, for monitoring: the journal's bytes up to the durable sequence (record bytes,
  // headers included, since start-up) and the syncs that made them durable.
  uint64_t durable_bytes() const { return durable_bytes_.load(std::memory_order_relaxed); }
  uint64_t syncs() const { return syncs_.load(std::memory_order_relaxed); }

 private:
  void record(Status status);

  void sync();

  JournalWriter& writer_;
  SyncPolicy policy_;
  std::chrono::microseconds interval_;
  std::chrono::steady_clock::time_point last_sync_{};
  Status failure_;
  void publish_progress(uint64_t durable_sequence);

  // Published for monitoring (stats, tests) from other threads.
  std::atomic<uint64_t> durable_sequence_{0};
  std::atomic<uint64_t> durable_bytes_{0};
  std::atomic<uint64_t> syncs_{0};
};

}  // namespace tally::journal
