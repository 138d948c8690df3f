#include "engine/account_directory.h"

#include <cstring>

#include "engine/invariant.h"
#include "engine/limits.h"

namespace tally {

static_assert(kAccountIdMaxBytes < (1 << 20), "an id always fits in one arena chunk");

AccountDirectory::AccountDirectory(uint32_t initial_capacity) {
  accounts_.reserve(initial_capacity);
  index_by_id_.reserve(initial_capacity);
}

std::string_view AccountDirectory::IdArena::store(std::string_view id) {
  if (used_in_last_chunk_ + id.size() > kChunkBytes) {
    chunks_.push_back(std::make_unique<char[]>(kChunkBytes));
    used_in_last_chunk_ = 0;
  }
  char* destination = chunks_.back().get() + used_in_last_chunk_;
  std::memcpy(destination, id.data(), id.size());
  used_in_last_chunk_ += id.size();
  return {destination, id.size()};
}

void AccountDirectory::IdArena::release_last(std::string_view stored_id) {
  // An id that opened a new chunk leaves the previous chunk's tail unused; once that newer
  // chunk is empty again, the id being released must be in the chunk before it.
  const auto holds = [&](const char* chunk) {
    return stored_id.data() >= chunk && stored_id.data() < chunk + kChunkBytes;
  };
  while (!holds(chunks_.back().get())) {
    TALLY_ASSERT(used_in_last_chunk_ == 0);
    chunks_.pop_back();
    TALLY_ASSERT(!chunks_.empty());
    used_in_last_chunk_ = kChunkBytes;
  }
  const auto offset = static_cast<size_t>(stored_id.data() - chunks_.back().get());
  TALLY_ASSERT(offset + stored_id.size() <= used_in_last_chunk_);
  used_in_last_chunk_ = offset;
}

AccountIndex AccountDirectory::insert(std::string_view account_id, const Account& account) {
  TALLY_ASSERT(accounts_.size() < UINT32_MAX);
  const auto index = static_cast<AccountIndex>(accounts_.size());
  const std::string_view stored_id = id_arena_.store(account_id);
  const bool inserted = index_by_id_.emplace(stored_id, index).second;
  TALLY_ASSERT(inserted);
  accounts_.push_back(account);
  return index;
}

void AccountDirectory::remove_last(std::string_view account_id) {
  const auto found = index_by_id_.find(account_id);
  TALLY_ASSERT(found != index_by_id_.end());
  TALLY_ASSERT(found->second + 1 == accounts_.size());
  const std::string_view stored_id = found->first;
  index_by_id_.erase(found);
  accounts_.pop_back();
  id_arena_.release_last(stored_id);
}

size_t AccountDirectory::memory_bytes() const {
  using Slot = std::pair<const std::string_view, AccountIndex>;
  // Boost's flat map keeps one metadata byte per slot beside the slot array.
  const size_t map_bytes = index_by_id_.bucket_count() * (sizeof(Slot) + 1);
  return accounts_.capacity() * sizeof(Account) + map_bytes + id_arena_.memory_bytes();
}

}  // namespace tally
