// DurableMark: the highest synced sequence, stored into a small mapped file after every sync
// and never synced itself. It costs one store per group commit, not a second sync, and it
// survives whatever the page cache survives: a killed process (the kernel writes it back
// later), and a power loss if the kernel wrote it back before. What it says is always true
// (it is stored only after the sync it reports returned), so recovery takes it as a floor:
// nothing at or below it may be missing or torn. A damaged mark (a store torn by a power loss)
// reads as 0 and recovery falls back on the manifest and the records' synced distances.
//
// The writer's thread owns a DurableMark; read_durable_mark is for recovery and offline tools.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/journal/storage.h"

namespace tally::journal {

inline constexpr std::string_view kDurableMarkName = "durable.mark";
inline constexpr uint64_t kDurableMarkMagic = 0x314B4D44594C4154ULL;  // bytes "TALYDMK1"
inline constexpr uint64_t kDurableMarkFileBytes = 4096;                // one page

struct DurableMarkRecord {
  uint64_t magic;
  uint64_t sequence;
  uint64_t reserved;  // 0
  uint64_t checksum;  // XXH3-64 of the bytes before it
};
static_assert(sizeof(DurableMarkRecord) == 32);

class DurableMark {
 public:
  explicit DurableMark(Storage& storage) : storage_(storage) {}
  DurableMark(const DurableMark&) = delete;
  DurableMark& operator=(const DurableMark&) = delete;
  ~DurableMark();

  // Maps `directory`'s mark, creating it (durably, zeros) if it is missing or the wrong size.
  Status open(const std::string& directory);
  // Records that every event up to `sequence` is synced. No system call.
  void store(uint64_t sequence);

 private:
  Storage& storage_;
  MappedFile file_;
};

struct DurableMarkRead {
  bool exists = false;    // the file is there
  uint64_t sequence = 0;  // what it holds; 0 if nothing was stored yet or the store was torn
};
DurableMarkRead read_durable_mark(Storage& storage, const std::string& directory);

}  // namespace tally::journal
