// JournalRecordReader: reads journal records at positions a read model kept (JournalPosition),
// and walks on from one record to the next, across segment ends: random access into the durable
// journal for history pages, event trails, searches and temporal queries.
//
// Segments are mapped on first use and stay mapped (64 MiB of address space each, no memory
// until touched); the caller only asks for positions of records it has already seen, which are
// durable and never change. One thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/journal/journal_format.h"
#include "engine/journal/journal_position.h"
#include "engine/journal/storage.h"
#include "engine/wire/outcome.h"

namespace tally::journal {

struct JournalRecord {
  Outcome event;
  JournalPosition next;  // where the record after it is (in this segment or the next)
};

class JournalRecordReader {
 public:
  JournalRecordReader(Storage& storage, std::string journal_directory);
  JournalRecordReader(const JournalRecordReader&) = delete;
  JournalRecordReader& operator=(const JournalRecordReader&) = delete;
  ~JournalRecordReader();

  // The record at `position` (or, if that segment holds no more, the first of the next one),
  // or nullopt with `status` saying why (a missing segment, a malformed record).
  std::optional<JournalRecord> read(JournalPosition position, Status& status);
  // Just the header (sequence, time, type) of the record at `position`: for binary searches.
  std::optional<RecordHeader> read_header(JournalPosition position, Status& status);

  // Unmaps every segment (a rebuild starts over).
  void close();

 private:
  // The mapped segment `index`, or nullptr with `status` set.
  const MappedFile* segment(uint32_t index, Status& status);

  Storage& storage_;
  std::string journal_directory_;
  std::vector<MappedFile> segments_;  // by index; empty bytes: not mapped yet
};

}  // namespace tally::journal
