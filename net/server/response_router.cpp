#include "net/server/response_router.h"

namespace tally::net {

ResponseRouter::ResponseRouter(uint32_t max_connections, size_t max_outbox_bytes)
    : max_outbox_bytes_(max_outbox_bytes), slots_(max_connections) {
  free_slots_.reserve(max_connections);
  for (uint32_t index = max_connections; index > 0; --index) {
    free_slots_.push_back(index - 1);
  }
}

std::optional<uint64_t> ResponseRouter::attach(std::shared_ptr<ResponseSink> sink) {
  uint32_t index = 0;
  {
    std::lock_guard lock(free_mutex_);
    if (free_slots_.empty()) {
      return std::nullopt;
    }
    index = free_slots_.back();
    free_slots_.pop_back();
  }
  Slot& slot = slots_[index];
  std::lock_guard lock(slot.mutex);
  ++slot.generation;  // never 0 for an attached slot, so no token is 0 (in-process origins)
  slot.sink = std::move(sink);
  slot.outbox.clear();
  slot.answered = 0;
  slot.in_write_bytes = 0;
  slot.wake_pending = false;
  slot.overflowed = false;
  open_.fetch_add(1, std::memory_order_relaxed);
  return static_cast<uint64_t>(slot.generation) << 32 | index;
}

ResponseRouter::Slot* ResponseRouter::slot_of(uint64_t token, uint32_t& generation) {
  const auto index = static_cast<uint32_t>(token);
  generation = static_cast<uint32_t>(token >> 32);
  return index < slots_.size() ? &slots_[index] : nullptr;
}

void ResponseRouter::detach(uint64_t token) {
  uint32_t generation = 0;
  Slot* slot = slot_of(token, generation);
  if (slot == nullptr) {
    return;
  }
  std::shared_ptr<ResponseSink> leaving;  // released outside the lock
  {
    std::lock_guard lock(slot->mutex);
    if (slot->generation != generation || slot->sink == nullptr) {
      return;
    }
    ++slot->generation;
    leaving = std::move(slot->sink);
    slot->outbox = {};  // give a slow reader's memory back
    slot->in_write_bytes = 0;
  }
  open_.fetch_sub(1, std::memory_order_relaxed);
  std::lock_guard lock(free_mutex_);
  free_slots_.push_back(static_cast<uint32_t>(token));
}

bool ResponseRouter::deliver(uint64_t token, std::span<const uint8_t> framed, size_t answered) {
  uint32_t generation = 0;
  Slot* slot = slot_of(token, generation);
  if (slot == nullptr) {
    return false;
  }
  std::shared_ptr<ResponseSink> to_wake;
  {
    std::lock_guard lock(slot->mutex);
    if (slot->generation != generation || slot->sink == nullptr || slot->overflowed) {
      return false;
    }
    if (slot->outbox.size() + slot->in_write_bytes + framed.size() > max_outbox_bytes_) {
      slot->overflowed = true;
      slot->outbox = {};
    } else {
      slot->outbox.insert(slot->outbox.end(), framed.begin(), framed.end());
      slot->answered += answered;
    }
    if (!slot->wake_pending) {
      slot->wake_pending = true;
      to_wake = slot->sink;
    }
  }
  if (to_wake) {
    to_wake->on_responses_ready();
  }
  return true;
}

TakenResponses ResponseRouter::take(uint64_t token, std::vector<uint8_t>& out) {
  out.clear();
  uint32_t generation = 0;
  Slot* slot = slot_of(token, generation);
  if (slot == nullptr) {
    return {};
  }
  std::lock_guard lock(slot->mutex);
  if (slot->generation != generation) {
    return {};
  }
  if (slot->overflowed) {
    return {.answered = 0, .overflowed = true};
  }
  out.swap(slot->outbox);
  slot->in_write_bytes = out.size();
  const TakenResponses taken{.answered = slot->answered, .overflowed = false};
  slot->answered = 0;
  if (out.empty()) {
    slot->wake_pending = false;
  }
  return taken;
}

void ResponseRouter::detach_all() {
  for (Slot& slot : slots_) {
    std::shared_ptr<ResponseSink> leaving;
    std::lock_guard lock(slot.mutex);
    ++slot.generation;
    leaving.swap(slot.sink);
    slot.outbox = {};
    slot.in_write_bytes = 0;
  }
  open_.store(0, std::memory_order_relaxed);
}

bool ResponseRouter::all_written() const {
  for (const Slot& slot : slots_) {
    std::lock_guard lock(slot.mutex);
    if (slot.sink != nullptr && (!slot.outbox.empty() || slot.in_write_bytes != 0)) {
      return false;
    }
  }
  return true;
}

}  // namespace tally::net
