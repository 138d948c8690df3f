// MemoryBudget: the server-wide bound on the memory that clients make tallyd hold
// (docs/protocol.md, "Memory"): query frames waiting in a projector, read buffers grown past
// their initial size for a large frame, and answers not yet written (outboxes and the buffers
// being written).
//
// Two lines:
//   - the budget: while less than it is in use, connections read and admit new frames
//     (try_admit). Once it is in use they stop reading until memory is released, and
//     wait_for_room() wakes them. The admission that crosses the line may pass it by its own
//     size, never more, since the check and the charge are one atomic step.
//   - the ceiling, twice the budget: answers to requests already read are never held back (a
//     blocked replier would stall every client), so they may take the total past the budget,
//     up to the ceiling (try_charge_answer). An answer that would pass it is refused, and the
//     connection it was for is dropped by its owner. A connection that already holds a large
//     outbox (more than kSmallOutboxBytes) is refused earlier, at one and a half budgets, so
//     that the clients that leave answers unread are the ones dropped, and the last half
//     budget stays for the answers of everyone else.
// So what clients make the server hold never exceeds the ceiling.
//
// Threads: any. The counters are atomics; waiters are kept under a mutex, which is touched only
// while some connection waits.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

namespace tally::net {

class MemoryBudget {
 public:
  // An outbox holding more than this is a large one (answers piling up unread).
  static constexpr uint64_t kSmallOutboxBytes = 64 * 1024;

  explicit MemoryBudget(uint64_t budget_bytes);
  MemoryBudget(const MemoryBudget&) = delete;
  MemoryBudget& operator=(const MemoryBudget&) = delete;

  // Charges `bytes` if less than the budget is in use (and the ceiling is not passed). False:
  // nothing is charged; stop reading and wait_for_room().
  bool try_admit(uint64_t bytes);
  // Charges `bytes` of answers if the total stays within the ceiling, or within the large
  // outboxes' line for an outbox that would hold more than kSmallOutboxBytes.
  bool try_charge_answer(uint64_t bytes, uint64_t outbox_bytes_after);
  // Charges `bytes` if the total stays within the ceiling: the one request a connection with
  // nothing in flight may always send.
  bool try_charge_within_ceiling(uint64_t bytes);
  void release(uint64_t bytes);

  // Less than the budget is in use: a connection may read.
  bool has_room() const { return in_use_.load(std::memory_order_seq_cst) < budget_bytes_; }

  // Calls `wake` once, from the thread that releases memory, when less than the budget is in
  // use; at once (on this thread) if that is already so. `wake` must not call back into this
  // budget's waiters (post to the waiter's own thread instead).
  void wait_for_room(std::function<void()> wake);
  // Shutdown: drops every waiter without calling it.
  void forget_waiters();

  // A connection stopped reading because the budget was in use (for stats).
  void count_pause() { pauses_.fetch_add(1, std::memory_order_relaxed); }

  uint64_t budget_bytes() const { return budget_bytes_; }
  uint64_t ceiling_bytes() const { return ceiling_bytes_; }
  uint64_t large_outboxes_line_bytes() const { return large_outboxes_line_bytes_; }
  uint64_t in_use_bytes() const { return in_use_.load(std::memory_order_relaxed); }
  uint64_t peak_bytes() const { return peak_.load(std::memory_order_relaxed); }
  uint64_t pauses() const { return pauses_.load(std::memory_order_relaxed); }

 private:
  // Charges `bytes` if `admissible(in use before)` holds, in one compare-and-swap loop.
  template <typename Admissible>
  bool try_charge(uint64_t bytes, Admissible admissible);
  void raise_peak(uint64_t in_use);
  void wake_waiters();

  const uint64_t budget_bytes_;
  const uint64_t ceiling_bytes_;
  const uint64_t large_outboxes_line_bytes_;
  // seq_cst on in_use_ and waiting_ (both sides): a Dekker pair. A waiter registers, then
  // looks at in_use_; a releaser lowers in_use_, then looks at waiting_. One of them sees the
  // other, so a release never misses a waiter that registered before it.
  std::atomic<uint64_t> in_use_{0};
  std::atomic<uint64_t> peak_{0};
  std::atomic<uint64_t> pauses_{0};
  std::atomic<uint32_t> waiting_{0};
  std::mutex waiters_mutex_;
  std::vector<std::function<void()>> waiters_;
};

}  // namespace tally::net
