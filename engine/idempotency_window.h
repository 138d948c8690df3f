// IdempotencyWindow: the outcomes of the most recent commands, by idempotency key, so that a
// retried command gets its original outcome and writes nothing.
//
// A key is (request id, index of the command in its request). The window keeps the last
// `capacity` commands in a ring (oldest evicted first) and an index from key to ring slot.
// A retry older than the window is not recognised: the window is the promise, in commands,
// and its cost is about 64 bytes per remembered command. Business-logic thread only.
#pragma once

#include <cstdint>
#include <vector>

#include <boost/unordered/unordered_flat_set.hpp>

#include "engine/identifiers.h"
#include "engine/protocol.h"

namespace tally {

struct IdempotencyKey {
  Id128 request_id;
  uint32_t command_index = 0;
  friend bool operator==(const IdempotencyKey&, const IdempotencyKey&) = default;
};

// What a retry is answered with: the original outcome, and the fingerprint of the command
// that produced it (a retry must carry the same command).
struct RememberedOutcome {
  IdempotencyKey key;
  uint64_t fingerprint = 0;
  uint64_t sequence = 0;
  int64_t balance = 0;
  uint64_t version = 0;
  ResultCode code = ResultCode::Ok;
  CommandType command_type = CommandType::Unknown;
};

class IdempotencyWindow {
 public:
  explicit IdempotencyWindow(uint32_t capacity);
  // The index's hash functor points at outcomes_, so the window stays where it was built.
  IdempotencyWindow(const IdempotencyWindow&) = delete;
  IdempotencyWindow& operator=(const IdempotencyWindow&) = delete;

  bool enabled() const { return !outcomes_.empty(); }

  // The remembered outcome for `key`, or nullptr. The pointer is valid until the next remember.
  const RememberedOutcome* find(const IdempotencyKey& key) const {
    const auto found = slot_by_key_.find(key);
    return found == slot_by_key_.end() ? nullptr : &outcomes_[*found];
  }

  // Remembers an outcome whose key is not in the window, evicting the oldest when full.
  void remember(const RememberedOutcome& outcome);

  size_t size() const { return slot_by_key_.size(); }
  size_t memory_bytes() const;

 private:
  static size_t hash_key(const IdempotencyKey& key) {
    return mix64(key.request_id.low ^ mix64(key.request_id.high ^ mix64(key.command_index)));
  }

  // The index stores ring slots; hashing and comparing a slot looks at the key stored there,
  // so each key is kept once.
  struct SlotHash {
    using is_transparent = void;
    using is_avalanching = void;
    const std::vector<RememberedOutcome>* outcomes;
    size_t operator()(uint32_t slot) const { return hash_key((*outcomes)[slot].key); }
    size_t operator()(const IdempotencyKey& key) const { return hash_key(key); }
  };
  struct SlotEqual {
    using is_transparent = void;
    const std::vector<RememberedOutcome>* outcomes;
    const IdempotencyKey& key_of(uint32_t slot) const { return (*outcomes)[slot].key; }
    bool operator()(uint32_t left, uint32_t right) const { return left == right; }
    bool operator()(const IdempotencyKey& left, uint32_t right) const {
      return left == key_of(right);
    }
    bool operator()(uint32_t left, const IdempotencyKey& right) const {
      return key_of(left) == right;
    }
  };

  std::vector<RememberedOutcome> outcomes_;
  uint32_t next_slot_ = 0;
  uint32_t used_slots_ = 0;
  boost::unordered_flat_set<uint32_t, SlotHash, SlotEqual> slot_by_key_;
};

}  // namespace tally
