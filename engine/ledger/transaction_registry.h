// TransactionRegistry: every business transaction id the ledger has accepted, so that one is
// never used twice. Kept for the life of the ledger (uniqueness is ledger-wide, not windowed),
// bounded by LedgerLimits::transaction_ids_max. Business-logic thread only.
#pragma once

#include <algorithm>
#include <cstdint>

#include <boost/unordered/unordered_flat_set.hpp>

#include "engine/base/identifiers.h"

namespace tally {

class TransactionRegistry {
 public:
  // Holds at most `capacity` ids; memory for `reserved` of them is taken up front, and growth
  // past it rehashes (once per doubling) on the logic thread.
  TransactionRegistry(uint64_t capacity, uint64_t reserved) : capacity_(capacity) {
    ids_.reserve(static_cast<size_t>(std::min(capacity, reserved)));
  }

  bool contains(const Id128& transaction_id) const { return ids_.contains(transaction_id); }
  bool is_full() const { return ids_.size() >= capacity_; }

  void add(const Id128& transaction_id) { ids_.insert(transaction_id); }
  void remove(const Id128& transaction_id) { ids_.erase(transaction_id); }

  size_t size() const { return ids_.size(); }

  template <typename Visitor>
  void for_each(Visitor&& visit) const {
    for (const Id128& id : ids_) {
      visit(id);
    }
  }
  size_t memory_bytes() const { return ids_.bucket_count() * (sizeof(Id128) + 1); }

 private:
  uint64_t capacity_;
  boost::unordered_flat_set<Id128, Id128Hash> ids_;
};

}  // namespace tally
