#include "engine/ledger/account_directory.h"

#include <bit>
#include <cstring>
#include <new>

#include "engine/base/limits.h"

namespace tally {
namespace {

// Grow when size would pass 3/4 of the slots: linear probing stays short below that.
bool over_load_factor(size_t size, size_t slots) {
  return 4 * size > 3 * slots;
}

}  // namespace

AccountDirectory::AccountDirectory(uint32_t initial_capacity) {
  size_t slots = 16;
  while (over_load_factor(initial_capacity, slots)) {
    slots *= 2;
  }
  slots_.assign(slots, 0);
  mask_ = slots - 1;
}

bool AccountDirectory::matches(uint64_t slot, std::string_view account_id, uint64_t hash) const {
  if (static_cast<uint32_t>(slot >> 32) != tag_of(hash)) {
    return false;
  }
  return id_of(ref_of_slot(slot)) == account_id;
}

AccountRef AccountDirectory::find(std::string_view account_id, uint64_t hash) const {
  for (size_t position = home_of(hash);; position = (position + 1) & mask_) {
    const uint64_t slot = slots_[position];
    if (slot == 0) {
      return kNoAccount;
    }
    if (matches(slot, account_id, hash)) {
      return ref_of_slot(slot);
    }
  }
}

void AccountDirectory::prefetch_record(uint64_t hash) const {
  const uint32_t tag = tag_of(hash);
  for (size_t position = home_of(hash);; position = (position + 1) & mask_) {
    const uint64_t slot = slots_[position];
    if (slot == 0) {
      return;
    }
    if (static_cast<uint32_t>(slot >> 32) == tag) {
      // Records are 8-byte aligned, so one may straddle two cache lines: fetch both, or the id
      // compare that confirms the lookup misses on the second.
      const auto* record = reinterpret_cast<const char*>(&record_at(ref_of_slot(slot)));
      __builtin_prefetch(record);
      __builtin_prefetch(record + sizeof(Record) + 8);
      return;
    }
  }
}

std::string_view AccountDirectory::id_of(AccountRef ref) const {
  const Record& record = record_at(ref);
  return {id_bytes_of(record), record.id_length};
}

AccountRef AccountDirectory::append_record(std::string_view account_id, const Account& account) {
  TALLY_ASSERT(account_id.size() <= kAccountIdBytesMax);
  const uint32_t bytes = record_bytes(account_id.size());
  if (chunks_.empty() || chunk_used_.back() + bytes > kChunkBytes) {
    chunks_.push_back(std::make_unique<uint64_t[]>(kChunkBytes / sizeof(uint64_t)));
    chunk_used_.push_back(0);
  }
  TALLY_ASSERT(chunks_.size() < (size_t{1} << (32 - kOffsetBits)));
  const AccountRef ref = make_ref(chunks_.size() - 1, chunk_used_.back());
  // Begin the record's lifetime in the chunk's raw storage, then write the id after it.
  Record* record = new (&record_at(ref)) Record{
      .account = account, .id_length = static_cast<uint8_t>(account_id.size()), .id_bytes = {}};
  std::memcpy(id_bytes_of(*record), account_id.data(), account_id.size());
  chunk_used_.back() += bytes;
  return ref;
}

AccountRef AccountDirectory::insert(std::string_view account_id, const Account& account) {
  const AccountRef ref = try_insert(account_id, account);
  TALLY_ASSERT(ref != kNoAccount);
  return ref;
}

AccountRef AccountDirectory::try_insert(std::string_view account_id, uint64_t hash,
                                        const Account& account) {
  if (over_load_factor(size_ + 1, slots_.size())) {
    grow_table();
  }
  if (find(account_id, hash) != kNoAccount) {
    return kNoAccount;
  }
  const AccountRef ref = append_record(account_id, account);
  place(make_slot(hash, ref));
  ++size_;
  return ref;
}

void AccountDirectory::place(uint64_t slot) {
  size_t position = (slot >> 32) & mask_;
  while (slots_[position] != 0) {
    position = (position + 1) & mask_;
  }
  slots_[position] = slot;
}

void AccountDirectory::grow_table() {
  std::vector<uint64_t> old_slots(slots_.size() * 2, 0);
  old_slots.swap(slots_);
  mask_ = slots_.size() - 1;
  for (const uint64_t slot : old_slots) {
    if (slot != 0) {
      place(slot);
    }
  }
}

void AccountDirectory::erase_slot(size_t position) {
  // Backward-shift deletion: pull later entries of the probe run into the hole when their home
  // does not lie cyclically in (hole, current]; no tombstones, so probes stay short.
  size_t hole = position;
  for (size_t current = (hole + 1) & mask_; slots_[current] != 0; current = (current + 1) & mask_) {
    const size_t home = (slots_[current] >> 32) & mask_;
    const bool home_after_hole = ((current - home) & mask_) >= ((current - hole) & mask_);
    if (home_after_hole) {
      slots_[hole] = slots_[current];
      hole = current;
    }
  }
  slots_[hole] = 0;
}

void AccountDirectory::remove_last(AccountRef ref) {
  const std::string_view account_id = id_of(ref);
  const uint64_t hash = hash_of(account_id);
  size_t position = home_of(hash);
  while (slots_[position] != make_slot(hash, ref)) {
    TALLY_ASSERT(slots_[position] != 0);
    position = (position + 1) & mask_;
  }
  erase_slot(position);
  --size_;
  // The arena is a stack: the record must be the last one, possibly after emptied chunks.
  const size_t chunk = ref >> kOffsetBits;
  const uint32_t offset = (ref & ((1u << kOffsetBits) - 1)) * kRecordAlignment;
  while (chunks_.size() > chunk + 1) {
    TALLY_ASSERT(chunk_used_.back() == 0);
    chunks_.pop_back();
    chunk_used_.pop_back();
  }
  TALLY_ASSERT(offset + record_bytes(account_id.size()) == chunk_used_.back());
  chunk_used_.back() = offset;
}

size_t AccountDirectory::memory_bytes() const {
  return slots_.capacity() * sizeof(uint64_t) + chunks_.size() * size_t{kChunkBytes};
}

}  // namespace tally
