// IdempotencyWindow: the outcomes of the most recent requests, by request id, so that a
// retried request gets its original outcomes and writes nothing.
//
// Remembered per request, not per command: one index entry (request id → where its outcomes
// start, how many, and the fingerprint of all its commands) and one 32-byte outcome per
// command, written in a ring. The window holds the last `capacity` commands; when new
// outcomes need room, the oldest requests are forgotten whole, so a request is either fully
// remembered or not at all. A retry older than the window is not recognised: the window is
// the promise, in commands. Cost: 32 bytes per remembered command plus about 64 bytes per
// remembered request (index entry and eviction queue). Business-logic thread only.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>

#include "engine/base/identifiers.h"
#include "engine/base/zeroed_array.h"
#include "engine/wire/protocol.h"

namespace tally {

// What one command's retry is answered with.
struct alignas(16) RememberedOutcome {
  uint64_t sequence = 0;
  int64_t balance = 0;
  uint64_t version = 0;
  ResultCode code = ResultCode::Ok;
  CommandType command_type = CommandType::Unknown;
};

// A remembered request: its outcomes are outcome(first_slot + i) for i < count.
struct RememberedRequest {
  uint64_t fingerprint = 0;  // of all its commands, in order
  uint32_t first_slot = 0;
  uint32_t count = 0;
};

class IdempotencyWindow {
 public:
  explicit IdempotencyWindow(uint32_t capacity);
  IdempotencyWindow(const IdempotencyWindow&) = delete;
  IdempotencyWindow& operator=(const IdempotencyWindow&) = delete;

  bool enabled() const { return !outcomes_.empty(); }

  // The remembered request, or nullptr. Valid until the next remember().
  const RememberedRequest* find(const Id128& request_id) const {
    const auto found = requests_.find(request_id);
    return found == requests_.end() ? nullptr : &found->second;
  }

  const RememberedOutcome& outcome(const RememberedRequest& request, uint32_t index) const {
    return outcomes_[(request.first_slot + index) % outcomes_.size()];
  }

  // Remembers a request not in the window, forgetting the oldest ones to make room. A request
  // with more commands than the whole window is not remembered.
  void remember(const Id128& request_id, uint64_t fingerprint,
                std::span<const RememberedOutcome> outcomes);

  // Visits every remembered request, oldest first, as (request id, request); its outcomes are
  // outcome(request, 0..count).
  template <typename Visitor>
  void for_each_request(Visitor&& visit) const {
    for (size_t position = 0; position < queue_size_; ++position) {
      const QueuedRequest& queued = queue_[(queue_head_ + position) % queue_.size()];
      visit(queued.request_id, requests_.at(queued.request_id));
    }
  }

  size_t request_count() const { return requests_.size(); }
  size_t command_count() const { return remembered_commands_; }
  size_t memory_bytes() const;

 private:
  struct QueuedRequest {
    Id128 request_id;
    uint32_t count;
  };

  void forget_oldest();

  ZeroedArray<RememberedOutcome> outcomes_;  // ring of `capacity` outcomes
  uint32_t next_slot_ = 0;
  size_t remembered_commands_ = 0;
  ZeroedArray<QueuedRequest> queue_;  // ring of requests, oldest at queue_head_
  size_t queue_head_ = 0;
  size_t queue_size_ = 0;
  boost::unordered_flat_map<Id128, RememberedRequest, Id128Hash> requests_;
};

}  // namespace tally
