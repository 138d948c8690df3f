// Pipeline benchmarks: the whole in-process engine. The benchmark thread is the one producer,
// submitting pre-encoded frames through Ingress; the business-logic thread applies them; two
// consumers (a journal-like one and a replier-like one that runs after it) see every event.
// A run is timed from the first submit until the replier has handled the last event.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "bench/frame_pool.h"
#include "bench/workload.h"
#include "engine/pipeline/pipeline.h"

namespace tally::bench {
namespace {

constexpr uint32_t kOpeningBatchSize = 1024;
// Distinct frames: a quarter of the traffic, replayed cyclically (with fresh request ids).
constexpr size_t kDistinctFrameCommands = 1 << 19;

// Single-command frames are slow enough that a quarter of the commands gives a stable figure.
uint64_t commands_per_run(uint32_t batch_size) {
  return batch_size == 1 ? 1 << 20 : 1 << 22;
}

// Stands in for the journaler: touches every event and accumulates what it would write.
class JournalLikeHandler : public OutcomeHandler {
 public:
  void on_event(const Outcome& event, int64_t, bool) override {
    if (!event.is_replayed_answer()) {
      amount_total_ += event.amount;
      last_sequence_ = event.sequence;
    }
  }

  int64_t amount_total() const { return amount_total_; }
  uint64_t last_sequence() const { return last_sequence_; }

 private:
  int64_t amount_total_ = 0;
  uint64_t last_sequence_ = 0;
};

// Stands in for the replier: counts requests answered and commands rejected.
class ReplierLikeHandler : public OutcomeHandler {
 public:
  void on_event(const Outcome& event, int64_t, bool) override {
    ++events_;
    rejections_ += event.type == EventType::CommandRejected ? 1 : 0;
    requests_ += event.is_last_in_request() ? 1 : 0;
  }

  uint64_t events() const { return events_; }
  uint64_t rejections() const { return rejections_; }
  uint64_t requests() const { return requests_; }

 private:
  uint64_t events_ = 0;
  uint64_t rejections_ = 0;
  uint64_t requests_ = 0;
};

// The one producer: hands frames to the ingress, backing off (yielding the core, which on two
// cores the logic thread needs) whenever the pool or the queue is full.
class Producer {
 public:
  explicit Producer(Ingress& ingress) : ingress_(ingress) {}

  void submit(const FramePool& frames, size_t index) {
    IngressBatch* batch = ingress_.acquire();
    while (batch == nullptr) {
      ++pool_empty_backoffs_;
      std::this_thread::yield();
      batch = ingress_.acquire();
    }
    frames.copy_frame(index, ++requests_submitted_, batch->frame);
    ResultCode code = ingress_.submit(batch);
    while (code == ResultCode::Unavailable) {
      ++queue_full_backoffs_;
      std::this_thread::yield();
      code = ingress_.submit(batch);
    }
    check(code == ResultCode::Ok, "the ingress refused a benchmark frame");
  }

  uint64_t requests_submitted() const { return requests_submitted_; }
  // How often the producer had to back off: no free batch, or the queue refused one.
  uint64_t pool_empty_backoffs() const { return pool_empty_backoffs_; }
  uint64_t queue_full_backoffs() const { return queue_full_backoffs_; }

 private:
  Ingress& ingress_;
  uint64_t requests_submitted_ = 0;
  uint64_t pool_empty_backoffs_ = 0;
  uint64_t queue_full_backoffs_ = 0;
};

void wait_until_handled(const OutcomeConsumer& consumer, int64_t position) {
  while (consumer.cursor().get() < position) {
    std::this_thread::yield();
  }
}

// Opens every account of the workload through the pipeline, untimed; returns the ring position
// of the last opening event, once the last consumer has handled it.
int64_t open_accounts_through(Producer& producer, const FramePool& opening,
                              const OutcomeConsumer& last_consumer) {
  for (size_t index = 0; index < opening.size(); ++index) {
    producer.submit(opening, index);
  }
  const auto last_position = static_cast<int64_t>(opening.command_count()) - 1;
  wait_until_handled(last_consumer, last_position);
  return last_position;
}

// Cross-checks the counts of every stage (a benchmark that lost commands must not report a
// figure), then reports the counters.
void check_and_report(benchmark::State& state, const Pipeline& pipeline, const Producer& producer,
                      const JournalLikeHandler& journal, const ReplierLikeHandler& replier,
                      uint64_t opened, uint64_t commands) {
  check(pipeline.processor().commands_applied() == opened + commands,
        "the pipeline applied a different number of commands than submitted");
  check(replier.events() == opened + commands,
        "the replier saw a different number of events than submitted");
  check(replier.requests() == producer.requests_submitted(), "a request was not answered");
  check(journal.last_sequence() == replier.events(), "the journal missed an event");
  state.SetItemsProcessed(static_cast<int64_t>(commands));
  state.counters["rejected_percent"] =
      100.0 * static_cast<double>(replier.rejections()) / static_cast<double>(commands);
  state.counters["pool_empty_backoffs"] = static_cast<double>(producer.pool_empty_backoffs());
  state.counters["queue_full_backoffs"] = static_cast<double>(producer.queue_full_backoffs());
}

void pipeline_mixed(benchmark::State& state, uint32_t batch_size, WaitKind wait_kind,
                    uint32_t idempotency_window) {
  const Workload& workload = standard_workload();
  const FramePool opening(workload.open_commands(), kOpeningBatchSize, kOpeningRequestIdHigh);
  const FramePool traffic(workload.traffic().first(kDistinctFrameCommands), batch_size,
                          kTrafficRequestIdHigh);
  // Declared before the pipeline: its consumers hold references to them until it stops.
  JournalLikeHandler journal;
  ReplierLikeHandler replier;
  PipelineConfig config;
  config.ledger = benchmark_ledger_limits(workload, idempotency_window);
  config.wait_kind = wait_kind;
  Pipeline pipeline(config);
  const OutcomeConsumer& journaler = pipeline.add_consumer("journal", journal);
  const OutcomeConsumer& replier_consumer = pipeline.add_consumer("replier", replier, {&journaler});
  pipeline.start();
  Producer producer(pipeline.ingress());
  int64_t last_position = open_accounts_through(producer, opening, replier_consumer);

  const uint64_t frames_per_run = commands_per_run(batch_size) / batch_size;
  uint64_t frames_submitted = 0;
  for (auto _ : state) {
    for (uint64_t index = 0; index < frames_per_run; ++index, ++frames_submitted) {
      producer.submit(traffic, frames_submitted % traffic.size());
    }
    last_position += static_cast<int64_t>(frames_per_run * batch_size);
    wait_until_handled(replier_consumer, last_position);
  }
  pipeline.stop();
  check_and_report(state, pipeline, producer, journal, replier, opening.command_count(),
                   frames_submitted * batch_size);
}

void register_pipeline(uint32_t batch_size, WaitKind wait_kind, uint32_t window) {
  const std::string name = "PipelineMixed/batch:" + std::to_string(batch_size) +
                           "/wait:" + std::string(wait_kind_name(wait_kind)) +
                           "/retry_window:" + std::to_string(window);
  benchmark::RegisterBenchmark(name.c_str(), pipeline_mixed, batch_size, wait_kind, window)
      ->Iterations(1)
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
}

// Spin waiting is left out: with four threads on two cores, spinning consumers take the core the
// business-logic thread needs. Without the retry window the figure compares with MutexBaseline,
// which has no retry detection either.
void register_pipeline_benchmarks() {
  const uint32_t default_window = LedgerLimits{}.idempotency_window;
  for (const WaitKind wait_kind : {WaitKind::kAdaptive, WaitKind::kBlock}) {
    for (const uint32_t batch_size : {1u, 64u, 1024u}) {
      register_pipeline(batch_size, wait_kind, default_window);
    }
  }
  for (const uint32_t batch_size : {1u, 64u, 1024u}) {
    register_pipeline(batch_size, WaitKind::kAdaptive, 0);
  }
}

const bool registered = (register_pipeline_benchmarks(), true);

}  // namespace
}  // namespace tally::bench
