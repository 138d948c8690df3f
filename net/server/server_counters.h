// ServerCounters: what `tally stats` reports, counted where it happens. Fields the replier
// owns are written by its thread alone, the journaler's (relaxed stores of its running totals,
// made before the answers that they count go out); the others are incremented by network
// threads. Readers (the stats request) take relaxed loads: each counter is exact, a set of them
// is not one instant.
//
// The latency histograms time one stage each of sampled requests (the logic thread picks them;
// its own two stages are in BusinessLogicProcessor): each has the writers its comment names.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "engine/base/latency_histogram.h"
#include "engine/base/monotonic_clock.h"

namespace tally::net {

inline constexpr size_t kResultCodeSlots = 512;  // every ResultCode value is below this

struct ServerCounters {
  // The replier only.
  std::atomic<uint64_t> requests_answered{0};
  std::atomic<uint64_t> commands{0};
  std::atomic<uint64_t> rejections{0};
  std::array<std::atomic<uint64_t>, kResultCodeSlots> rejections_by_reason{};
  std::atomic<uint64_t> replayed_answers{0};
  std::atomic<uint64_t> money_in{0};
  std::atomic<uint64_t> money_out{0};

  // Network threads.
  std::atomic<uint64_t> requests_refused{0};
  std::atomic<uint64_t> connections_accepted{0};
  std::atomic<uint64_t> connections_refused{0};
  std::atomic<uint64_t> connections_dropped{0};
  std::atomic<uint64_t> requests_denied{0};  // Unauthenticated or PermissionDenied
  std::atomic<uint64_t> read_pauses{0};

  // The replier only (the journaler's thread, after the group's sync): published to the ring
  // by the logic thread, until the replier sees it durable.
  LatencyHistogram durable_wait;
  // Network threads and the replier (record_shared): seen durable by the replier, until its
  // answer is written to the socket; and the whole path, queued at the ingress until written.
  LatencyHistogram answer_write;
  LatencyHistogram request_total;
  // Journaler thread only: its last append and the sync of each group (every group, not
  // sampled; through BatchEndTimer).
  LatencyHistogram journal_sync;

  // A sampled answer is written: its last two stages end now (`queued_ns` 0: not stamped).
  void record_answer_written(int64_t queued_ns, int64_t durable_ns) {
    const int64_t written_ns = monotonic_now_ns();
    answer_write.record_shared(written_ns - durable_ns);
    if (queued_ns != 0) {
      request_total.record_shared(written_ns - queued_ns);
    }
  }
};

}  // namespace tally::net
