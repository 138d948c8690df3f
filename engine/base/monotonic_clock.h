// monotonic_now_ns: the time on the clock that only moves forward (CLOCK_MONOTONIC, through
// steady_clock), in nanoseconds from an arbitrary start: for durations measured across threads
// of one process (latency stages), never for anything stored or compared across processes.
// About 20-40 ns a call on this project's VMs (vDSO, TSC clock source): hot loops sample.
//
// Threads: any.
#pragma once

#include <chrono>
#include <cstdint>

namespace tally {

inline int64_t monotonic_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace tally
