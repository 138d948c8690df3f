// AccountDirectory: every account of the ledger, found by its id.
//
// Owned and used by the business-logic thread only. Built for the logic thread's hot path,
// where a lookup in a million accounts is a cache miss or two, not a string compare:
//  - each account is one record in an append-only arena: the 32-byte Account followed by its
//    id, so the id compare that confirms a lookup reads the line the account lives on;
//  - an open-addressing table (linear probing) of 8-byte slots maps the id's hash to the
//    record: 32 bits of hash ("tag") and 32 bits of record reference;
//  - lookups split into stages (hash, prefetch the slot, prefetch the record, find), so the
//    ledger can overlap the misses of a whole batch instead of paying them one by one.
// Memory per account: the record (32 + 1 + id bytes, rounded to 8) and 8 bytes of slot at a
// load factor of at most 3/4 (see memory_bytes()).
//
// Opening is undoable in LIFO order (remove_last), which is how an atomic batch rolls back.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "engine/ledger/account.h"
#include "engine/base/hashing.h"
#include "engine/base/invariant.h"

namespace tally {

// A stable reference to an account's record (never reused while the account exists).
using AccountRef = uint32_t;
inline constexpr AccountRef kNoAccount = UINT32_MAX;

class AccountDirectory {
 public:
  explicit AccountDirectory(uint32_t initial_capacity);
  AccountDirectory(const AccountDirectory&) = delete;
  AccountDirectory& operator=(const AccountDirectory&) = delete;

  static uint64_t hash_of(std::string_view account_id) {
    return hash_bytes(account_id.data(), account_id.size());
  }

  // The account with this id, or kNoAccount.
  AccountRef find(std::string_view account_id) const {
    return find(account_id, hash_of(account_id));
  }
  AccountRef find(std::string_view account_id, uint64_t hash) const;

  // Hints for a batch: first prefetch every command's slot, then every record (by then the
  // slots are in cache, so finding which record to prefetch costs no miss).
  void prefetch_slot(uint64_t hash) const { __builtin_prefetch(&slots_[home_of(hash)]); }
  void prefetch_record(uint64_t hash) const;

  Account& at(AccountRef ref) { return record_at(ref).account; }
  const Account& at(AccountRef ref) const { return record_at(ref).account; }
  std::string_view id_of(AccountRef ref) const;
  size_t size() const { return size_; }

  // Adds an account whose id is not present yet.
  AccountRef insert(std::string_view account_id, const Account& account);
  // Adds an account unless its id is present; kNoAccount if it was (one lookup either way).
  AccountRef try_insert(std::string_view account_id, const Account& account) {
    return try_insert(account_id, hash_of(account_id), account);
  }
  AccountRef try_insert(std::string_view account_id, uint64_t hash, const Account& account);

  // Undoes the most recent insert that has not been undone.
  void remove_last(AccountRef ref);

  // Bytes held (capacities, not sizes), for the memory-per-account figure.
  size_t memory_bytes() const;

  // Visits every (id, account) in the order they were opened.
  template <typename Visitor>
  void for_each(Visitor&& visit) const {
    for (size_t chunk = 0; chunk < chunks_.size(); ++chunk) {
      for (uint32_t offset = 0; offset < chunk_used_[chunk];) {
        const AccountRef ref = make_ref(chunk, offset);
        visit(id_of(ref), at(ref));
        offset += record_bytes(record_at(ref).id_length);
      }
    }
  }

 private:
  struct Record {
    Account account;
    uint8_t id_length;
    char id_bytes[7];  // the id starts here and runs past the struct (see id_bytes_of)
  };
  static_assert(sizeof(Record) == 40);

  // The id's bytes, addressed from the record's start: they run past `id_bytes` into the
  // record's share of the chunk (record_bytes reserves room for them).
  static char* id_bytes_of(Record& record) {
    return reinterpret_cast<char*>(&record) + offsetof(Record, id_bytes);
  }
  static const char* id_bytes_of(const Record& record) {
    return reinterpret_cast<const char*>(&record) + offsetof(Record, id_bytes);
  }

  static constexpr uint32_t kChunkBytes = 1 << 20;
  static constexpr uint32_t kRecordAlignment = 8;
  static constexpr uint32_t kOffsetBits = 17;  // kChunkBytes / kRecordAlignment references

  static uint32_t record_bytes(size_t id_length) {
    const size_t bytes = offsetof(Record, id_bytes) + id_length;
    return static_cast<uint32_t>((bytes + kRecordAlignment - 1) / kRecordAlignment *
                                 kRecordAlignment);
  }
  static AccountRef make_ref(size_t chunk, uint32_t offset) {
    return static_cast<AccountRef>((chunk << kOffsetBits) | (offset / kRecordAlignment));
  }
  Record& record_at(AccountRef ref) const {
    const size_t chunk = ref >> kOffsetBits;
    const size_t offset = (ref & ((1u << kOffsetBits) - 1)) * kRecordAlignment;
    return *reinterpret_cast<Record*>(chunks_[chunk].get() + offset / kRecordAlignment);
  }

  // Slots: 0 is empty; else (tag << 32) | (ref + 1). The tag is the hash's high half, and the
  // home position derives from it, so growing or erasing never rereads a record.
  static uint32_t tag_of(uint64_t hash) { return static_cast<uint32_t>(hash >> 32); }
  size_t home_of(uint64_t hash) const { return tag_of(hash) & mask_; }
  static uint64_t make_slot(uint64_t hash, AccountRef ref) {
    return (uint64_t{tag_of(hash)} << 32) | (uint64_t{ref} + 1);
  }
  static AccountRef ref_of_slot(uint64_t slot) {
    return static_cast<AccountRef>((slot & UINT32_MAX) - 1);
  }
  bool matches(uint64_t slot, std::string_view account_id, uint64_t hash) const;

  void grow_table();
  void place(uint64_t slot);
  void erase_slot(size_t position);
  AccountRef append_record(std::string_view account_id, const Account& account);

  std::vector<uint64_t> slots_;
  size_t mask_ = 0;
  size_t size_ = 0;
  std::vector<std::unique_ptr<uint64_t[]>> chunks_;  // uint64_t: 8-byte aligned records
  std::vector<uint32_t> chunk_used_;                 // bytes used in each chunk
};

}  // namespace tally
