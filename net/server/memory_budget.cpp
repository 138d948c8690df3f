#include "net/server/memory_budget.h"

#include "engine/base/invariant.h"

namespace tally::net {

MemoryBudget::MemoryBudget(uint64_t budget_bytes)
    : budget_bytes_(budget_bytes),
      ceiling_bytes_(2 * budget_bytes),
      large_outboxes_line_bytes_(budget_bytes + budget_bytes / 2) {
  TALLY_ASSERT(budget_bytes > 0);
}

template <typename Admissible>
bool MemoryBudget::try_charge(uint64_t bytes, Admissible admissible) {
  uint64_t in_use = in_use_.load(std::memory_order_seq_cst);
  do {
    if (!admissible(in_use) || in_use + bytes > ceiling_bytes_) {
      return false;
    }
  } while (!in_use_.compare_exchange_weak(in_use, in_use + bytes, std::memory_order_seq_cst));
  raise_peak(in_use + bytes);
  return true;
}

bool MemoryBudget::try_admit(uint64_t bytes) {
  return try_charge(bytes, [this](uint64_t in_use) { return in_use < budget_bytes_; });
}

bool MemoryBudget::try_charge_answer(uint64_t bytes, uint64_t outbox_bytes_after) {
  if (outbox_bytes_after <= kSmallOutboxBytes) {
    return try_charge_within_ceiling(bytes);
  }
  return try_charge(bytes, [this, bytes](uint64_t in_use) {
    return in_use + bytes <= large_outboxes_line_bytes_;
  });
}

bool MemoryBudget::try_charge_within_ceiling(uint64_t bytes) {
  return try_charge(bytes, [](uint64_t) { return true; });
}

void MemoryBudget::release(uint64_t bytes) {
  const uint64_t before = in_use_.fetch_sub(bytes, std::memory_order_seq_cst);
  TALLY_ASSERT(before >= bytes);  // every release matches a charge
  if (waiting_.load(std::memory_order_seq_cst) != 0 && before - bytes < budget_bytes_) {
    wake_waiters();
  }
}

void MemoryBudget::raise_peak(uint64_t in_use) {
  // Relaxed: the peak is a statistic, read on its own.
  uint64_t peak = peak_.load(std::memory_order_relaxed);
  while (in_use > peak && !peak_.compare_exchange_weak(peak, in_use, std::memory_order_relaxed)) {
  }
}

void MemoryBudget::wait_for_room(std::function<void()> wake) {
  {
    const std::lock_guard lock(waiters_mutex_);
    waiters_.push_back(std::move(wake));
    waiting_.store(static_cast<uint32_t>(waiters_.size()), std::memory_order_seq_cst);
  }
  if (has_room()) {
    wake_waiters();  // released between the caller's look and this registration
  }
}

void MemoryBudget::wake_waiters() {
  std::vector<std::function<void()>> woken;
  {
    const std::lock_guard lock(waiters_mutex_);
    woken.swap(waiters_);
    waiting_.store(0, std::memory_order_seq_cst);
  }
  // Every waiter is woken: each takes what it needs and waits again if the budget fills up.
  for (const std::function<void()>& wake : woken) {
    wake();
  }
}

void MemoryBudget::forget_waiters() {
  std::vector<std::function<void()>> forgotten;
  const std::lock_guard lock(waiters_mutex_);
  forgotten.swap(waiters_);
  waiting_.store(0, std::memory_order_seq_cst);
}

}  // namespace tally::net
