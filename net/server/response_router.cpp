#include "net/server/response_router.h"

#include <sys/socket.h>

#include <algorithm>

#include "engine/base/invariant.h"

namespace tally::net {

ResponseRouter::ResponseRouter(uint32_t connections_max, size_t outbox_bytes_max,
                               MemoryBudget& budget, uint64_t query_charge_bytes)
    : outbox_bytes_max_(outbox_bytes_max),
      budget_(budget),
      query_charge_bytes_(query_charge_bytes),
      slots_(connections_max) {
  TALLY_ASSERT(connections_max <= kConnectionsMax);
  free_slots_.reserve(connections_max);
  for (uint32_t index = connections_max; index > 0; --index) {
    free_slots_.push_back(index - 1);
  }
}

std::optional<uint64_t> ResponseRouter::attach(std::shared_ptr<ResponseSink> sink,
                                               int socket_descriptor) {
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
  slot.socket_descriptor = socket_descriptor;
  TALLY_ASSERT(slot.outbox.capacity() == 0);  // detach gave it back: nothing is charged
  slot.answered = 0;
  slot.trace = {};
  slot.in_write_bytes = 0;
  slot.in_write_capacity = 0;
  slot.charged_bytes = 0;
  slot.wake_pending = false;
  slot.overflow = Overflow::kNone;
  open_.fetch_add(1, std::memory_order_relaxed);
  return static_cast<uint64_t>(slot.generation) << 32 | index;
}

ResponseRouter::Slot* ResponseRouter::slot_of(uint64_t token, uint32_t& generation) {
  const auto index = static_cast<uint32_t>(token & ~kQueryFlag);
  generation = static_cast<uint32_t>(token >> 32);
  return index < slots_.size() ? &slots_[index] : nullptr;
}

const ResponseRouter::Slot* ResponseRouter::slot_of(uint64_t token, uint32_t& generation) const {
  return const_cast<ResponseRouter*>(this)->slot_of(token, generation);
}

void ResponseRouter::release_all(Slot& slot) {
  slot.socket_descriptor = -1;  // the connection may close its socket once it is detached
  budget_.release(slot.charged_bytes);
  slot.charged_bytes = 0;
  // Swapped, not assigned: `outbox = {}` keeps the capacity (it assigns an empty list), and
  // a slow reader's memory would stay with the slot.
  std::vector<uint8_t>().swap(slot.outbox);
  slot.trace = {};
  slot.in_write_bytes = 0;
  slot.in_write_capacity = 0;
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
    release_all(*slot);
  }
  open_.fetch_sub(1, std::memory_order_relaxed);
  std::lock_guard lock(free_mutex_);
  free_slots_.push_back(static_cast<uint32_t>(token & ~kQueryFlag));
}

bool ResponseRouter::append(Slot& slot, std::span<const uint8_t> framed) {
  std::vector<uint8_t>& outbox = slot.outbox;
  const size_t needed = outbox.size() + framed.size();
  if (needed > outbox.capacity()) {
    // Doubling, as the vector would, but charged before it is allocated.
    const size_t capacity = std::max({needed, 2 * outbox.capacity(), kFirstOutboxBytes});
    const size_t growth = capacity - outbox.capacity();
    if (!budget_.try_charge_answer(growth, slot.charged_bytes + growth)) {
      return false;
    }
    outbox.reserve(capacity);
    TALLY_ASSERT(outbox.capacity() == capacity);  // what was charged is what is held
    slot.charged_bytes += growth;
  }
  outbox.insert(outbox.end(), framed.begin(), framed.end());
  return true;
}

void ResponseRouter::overflow(Slot& slot, Overflow why) {
  slot.overflow = why;
  TALLY_ASSERT(slot.charged_bytes >= slot.outbox.capacity());  // the outbox was charged whole
  budget_.release(slot.outbox.capacity());
  slot.charged_bytes -= slot.outbox.capacity();
  std::vector<uint8_t>().swap(slot.outbox);
  slot.trace = {};
}

std::span<const uint8_t> ResponseRouter::send_directly(Slot& slot,
                                                       std::span<const uint8_t> framed) {
  // Only when nothing sent earlier is still on its way (queued, or being written by the
  // connection's thread): responses stay in the order they were delivered.
  if (slot.socket_descriptor < 0 || !slot.outbox.empty() || slot.in_write_bytes != 0) {
    return framed;
  }
  const ssize_t sent =
      ::send(slot.socket_descriptor, framed.data(), framed.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  // Would block, or failed: the connection's own write takes over and sees any error itself.
  return sent > 0 ? framed.subspan(static_cast<size_t>(sent)) : framed;
}

Delivery ResponseRouter::deliver(uint64_t token, std::span<const uint8_t> framed, size_t answered,
                                 AnswerTrace trace) {
  // A query's answer answers exactly its own query, whose charge it releases once.
  TALLY_ASSERT((token & kQueryFlag) == 0 || answered == 1);
  if ((token & kQueryFlag) != 0) {
    budget_.release(query_charge_bytes_);  // the projector is done with the query's frame
  }
  uint32_t generation = 0;
  Slot* slot = slot_of(token, generation);
  if (slot == nullptr) {
    return Delivery::kDropped;
  }
  std::shared_ptr<ResponseSink> to_wake;
  Overflow overflowed_now = Overflow::kNone;
  Delivery delivery = Delivery::kQueued;
  {
    std::lock_guard lock(slot->mutex);
    if (slot->generation != generation || slot->sink == nullptr ||
        slot->overflow != Overflow::kNone) {
      return Delivery::kDropped;
    }
    const std::span<const uint8_t> rest = send_directly(*slot, framed);
    if (rest.empty()) {
      delivery = Delivery::kSent;
      slot->answered += answered;
    } else if (slot->outbox.size() + slot->in_write_bytes + rest.size() > outbox_bytes_max_) {
      overflowed_now = Overflow::kOutboxLimit;
    } else if (!append(*slot, rest)) {
      overflowed_now = Overflow::kServerMemory;
    } else {
      slot->answered += answered;
      if (trace.sampled() && !slot->trace.sampled()) {
        slot->trace = trace;
      }
    }
    if (overflowed_now != Overflow::kNone) {
      overflow(*slot, overflowed_now);
      to_wake = slot->sink;  // always: the connection may be stuck in a write
    } else if (!slot->wake_pending && (delivery == Delivery::kQueued || answered > 0)) {
      // A response sent whole needs no write, but an answer must still be counted by its
      // connection (in flight, and reading resumed at the in-flight limit).
      slot->wake_pending = true;
      to_wake = slot->sink;
    }
  }
  if (to_wake && overflowed_now != Overflow::kNone) {
    to_wake->on_overflow(overflowed_now);
    return Delivery::kDropped;
  }
  if (to_wake) {
    to_wake->on_responses_ready();
  }
  return delivery;
}

Overflow ResponseRouter::overflow_of(uint64_t token) const {
  uint32_t generation = 0;
  const Slot* slot = slot_of(token, generation);
  if (slot == nullptr) {
    return Overflow::kNone;
  }
  std::lock_guard lock(slot->mutex);
  return slot->generation == generation ? slot->overflow : Overflow::kNone;
}

std::optional<size_t> ResponseRouter::unwritten_bytes(uint64_t token) const {
  uint32_t generation = 0;
  const Slot* slot = slot_of(token, generation);
  if (slot == nullptr) {
    return std::nullopt;
  }
  std::lock_guard lock(slot->mutex);
  if (slot->generation != generation || slot->sink == nullptr) {
    return std::nullopt;
  }
  return slot->outbox.size() + slot->in_write_bytes;
}

void ResponseRouter::written(Slot& slot, std::vector<uint8_t>& out) {
  out.clear();
  slot.in_write_bytes = 0;
  // A large buffer goes back, and so does one this router did not hand out (never charged).
  if (out.capacity() > kRetainedBufferBytes || out.capacity() != slot.in_write_capacity) {
    std::vector<uint8_t>().swap(out);
    TALLY_ASSERT(slot.charged_bytes >= slot.in_write_capacity);  // charged when it was taken
    budget_.release(slot.in_write_capacity);
    slot.charged_bytes -= slot.in_write_capacity;
    slot.in_write_capacity = 0;
  }
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
  written(*slot, out);
  if (slot->overflow != Overflow::kNone) {
    return {.answered = 0, .overflow = slot->overflow, .trace = {}};
  }
  out.swap(slot->outbox);
  slot->in_write_bytes = out.size();
  slot->in_write_capacity = out.capacity();
  const TakenResponses taken{
      .answered = slot->answered, .overflow = Overflow::kNone, .trace = slot->trace};
  slot->answered = 0;
  slot->trace = {};
  if (out.empty()) {
    slot->wake_pending = false;
  }
  TALLY_ASSERT(slot->charged_bytes == slot->outbox.capacity() + slot->in_write_capacity);
  return taken;
}

void ResponseRouter::detach_all() {
  for (Slot& slot : slots_) {
    std::shared_ptr<ResponseSink> leaving;
    std::lock_guard lock(slot.mutex);
    ++slot.generation;
    leaving.swap(slot.sink);
    release_all(slot);
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
