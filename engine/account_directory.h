// AccountDirectory: every account of the ledger, found by its id.
//
// Owned and used by the business-logic thread only. Accounts live in a dense vector indexed by
// a 32-bit account index; ids are copied once into an append-only arena (so the map's
// string_view keys never move) and mapped to their index by an open-addressing hash map.
// Memory per account: 32 bytes of Account, about 24 bytes of map slot and metadata, and the
// id's own bytes (see memory_bytes()).
//
// Opening is undoable in LIFO order (remove_last), which is how an atomic batch rolls back.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include <xxhash.h>
#include <boost/unordered/unordered_flat_map.hpp>

#include "engine/account.h"

namespace tally {

using AccountIndex = uint32_t;

class AccountDirectory {
 public:
  explicit AccountDirectory(uint32_t initial_capacity);

  // The index of the account with this id, or nullptr.
  const AccountIndex* find(std::string_view account_id) const {
    const auto found = index_by_id_.find(account_id);
    return found == index_by_id_.end() ? nullptr : &found->second;
  }

  Account& at(AccountIndex index) { return accounts_[index]; }
  const Account& at(AccountIndex index) const { return accounts_[index]; }
  size_t size() const { return accounts_.size(); }

  // Adds an account whose id is not present yet; returns its index.
  AccountIndex insert(std::string_view account_id, const Account& account);

  // Undoes the most recent insert of `account_id`.
  void remove_last(std::string_view account_id);

  // Bytes held by the directory (capacities, not sizes), for the memory-per-account figure.
  size_t memory_bytes() const;

  // Visits every (id, account) pair in unspecified order, e.g. for snapshots and tests.
  template <typename Visitor>
  void for_each(Visitor&& visit) const {
    for (const auto& [account_id, index] : index_by_id_) {
      visit(account_id, accounts_[index]);
    }
  }

 private:
  struct IdHash {
    using is_transparent = void;
    using is_avalanching = void;
    size_t operator()(std::string_view id) const { return XXH3_64bits(id.data(), id.size()); }
  };

  // Append-only storage for id bytes in fixed chunks; a chunk never moves once allocated.
  class IdArena {
   public:
    std::string_view store(std::string_view id);
    // Gives back the most recently stored id (LIFO), including any chunk it opened.
    void release_last(std::string_view stored_id);
    size_t memory_bytes() const { return chunks_.size() * kChunkBytes; }

   private:
    static constexpr size_t kChunkBytes = 1 << 20;
    std::vector<std::unique_ptr<char[]>> chunks_;
    size_t used_in_last_chunk_ = kChunkBytes;
  };

  std::vector<Account> accounts_;
  boost::unordered_flat_map<std::string_view, AccountIndex, IdHash, std::equal_to<>> index_by_id_;
  IdArena id_arena_;
};

}  // namespace tally
