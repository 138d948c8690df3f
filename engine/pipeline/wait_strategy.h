// WaitStrategy: how a thread waits for a condition on cursors to become true (a consumer for
// new events, the producer for free ring slots), and how threads that move a cursor wake it.
//
// Kinds: spin (lowest latency, burns a core), yield (spin with sched_yield), block (sleep on a
// condition variable at once), adaptive (spin briefly, then yield, then block: the default,
// because on a 2-core machine a spinning waiter steals the core of the thread it waits for).
//
// One instance is shared by the producer and every consumer of a ring. Any thread may wait or
// signal. signal() costs one read-modify-write when nobody is blocked (on a line that every
// signalling thread writes, so it is contended under load), and nothing for spin and yield.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string_view>

#include "engine/pipeline/sequence.h"

namespace tally {

enum class WaitKind : uint8_t { kSpin, kYield, kBlock, kAdaptive };

std::optional<WaitKind> parse_wait_kind(std::string_view name);
std::string_view wait_kind_name(WaitKind kind);

class WaitStrategy {
 public:
  explicit WaitStrategy(WaitKind kind = WaitKind::kAdaptive) : kind_(kind) {}

  WaitKind kind() const { return kind_; }

  // Returns once `ready()` is true. `ready` must only read atomics that a signalling thread
  // changes before calling signal().
  template <typename Ready>
  void wait_until(Ready&& ready) {
    if (ready()) {
      return;
    }
    if (kind_ == WaitKind::kBlock) {
      block_until(ready);
      return;
    }
    for (uint32_t round = 0;; ++round) {
      if (ready()) {
        return;
      }
      if (kind_ == WaitKind::kSpin || round < kSpinRounds) {
        pause();
      } else if (kind_ == WaitKind::kYield || round < kSpinRounds + kYieldRounds) {
        yield();
      } else {
        block_until(ready);
        return;
      }
    }
  }

  // Called after moving a cursor: wakes threads blocked in wait_until.
  void signal() {
    if (kind_ == WaitKind::kSpin || kind_ == WaitKind::kYield) {
      return;  // nobody ever blocks
    }
    // A read-modify-write, not a plain load: it reads the latest count, and it orders our
    // cursor store against a waiter's increment either way round. If the waiter counted itself
    // first, we see it and notify; if we came first, its increment synchronises with ours and
    // its check of ready() sees our cursor. (A fence pair would do on x86, but ThreadSanitizer
    // cannot check fences, and this way the checked code is the shipped code.)
    if (blocked_threads_.fetch_add(0, std::memory_order_acq_rel) > 0) {
      // Taking the mutex orders us after a waiter's final check of ready() and before its
      // wait(), so the notification cannot fall between them.
      { std::lock_guard<std::mutex> lock(mutex_); }
      condition_.notify_all();
    }
  }

 private:
  static constexpr uint32_t kSpinRounds = 64;
  static constexpr uint32_t kYieldRounds = 16;

  static void pause();
  static void yield();

  template <typename Ready>
  void block_until(Ready& ready) {
    blocked_threads_.fetch_add(1, std::memory_order_acq_rel);  // pairs with signal()
    {
      std::unique_lock<std::mutex> lock(mutex_);
      condition_.wait(lock, ready);
    }
    blocked_threads_.fetch_sub(1, std::memory_order_relaxed);
  }

  WaitKind kind_;
  alignas(kFalseSharingBytes) std::atomic<uint32_t> blocked_threads_{0};
  std::mutex mutex_;
  std::condition_variable condition_;
};

}  // namespace tally
