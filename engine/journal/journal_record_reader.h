// JournalRecordReader: reads journal records at positions a read model kept (JournalPosition),
// and walks on from one record to the next, across segment ends: random access into the durable
// journal for history pages, event trails, searches and temporal queries.
//
// Each segment is opened (a SegmentCursor: mapped, its header checked) on first use and stays
// open (64 MiB of address space each, no memory until touched); the caller only asks for
// positions of records it has already seen, which are durable and never change, so a position
// outside its segment is the program's error and stops it. One thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/base/result.h"
#include "engine/journal/journal_format.h"
#include "engine/journal/journal_position.h"
#include "engine/journal/segment_cursor.h"
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

  // The record at `position` (or, if that segment holds no more, the first of the next one), or
  // why it cannot be read (a missing segment, a bad header, a malformed record), naming the file
  // and offset. The record is the reader's own, valid until the next read(): a history page
  // encodes it from there without copying it.
  Result<const JournalRecord*> read(JournalPosition position);
  // Just the header (sequence, time, type) of the record at `position`: for binary searches.
  Result<RecordHeader> read_header(JournalPosition position);

  // Unmaps every segment (a rebuild starts over).
  void close();

 private:
  // The open segment `index`, opened now if it was not yet.
  Result<SegmentCursor*> segment(uint32_t index);

  Storage& storage_;
  std::string journal_directory_;
  std::vector<SegmentCursor> segments_;  // by index; a closed cursor: not opened yet
  JournalRecord record_;                 // what read() returned last
};

}  // namespace tally::journal
