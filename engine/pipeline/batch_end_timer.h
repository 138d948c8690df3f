// BatchEndTimer: an OutcomeHandler in front of another that times what the other does with the
// last entry of each batch (end_of_batch), where a consumer flushes or syncs once for the group:
// for the journaler, its last append and the group's sync. Only batch ends are timed, two clock
// reads per group, so the entries between cost nothing more.
//
// It lets a stage be measured without touching the consumer it wraps; everything else (shutdown,
// failure) passes through unchanged.
//
// Threads: as OutcomeHandler, the consumer's thread; the histogram is written only from there.
#pragma once

#include "engine/base/latency_histogram.h"
#include "engine/base/monotonic_clock.h"
#include "engine/pipeline/outcome_consumer.h"

namespace tally {

class BatchEndTimer final : public OutcomeHandler {
 public:
  BatchEndTimer(OutcomeHandler& timed, LatencyHistogram& batch_end_durations)
      : timed_(timed), batch_end_durations_(batch_end_durations) {}

  void on_event(const Outcome& event, int64_t position, bool end_of_batch) override {
    if (!end_of_batch) {
      timed_.on_event(event, position, end_of_batch);
      return;
    }
    const int64_t started_ns = monotonic_now_ns();
    timed_.on_event(event, position, end_of_batch);
    batch_end_durations_.record(monotonic_now_ns() - started_ns);
  }
  void on_shutdown() override { timed_.on_shutdown(); }
  bool has_failed() const override { return timed_.has_failed(); }

 private:
  OutcomeHandler& timed_;
  LatencyHistogram& batch_end_durations_;
};

}  // namespace tally
