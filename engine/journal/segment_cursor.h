// SegmentCursor: one segment file of the journal, mapped through the Storage, its header checked,
// and a place in it from which records are read (record_codec.h) and stepped over. The one way
// the journal's readers (the scan, JournalTail, JournalRecordReader) open segments and walk
// records, so that what a valid segment is, and how a reader moves through one, is said once.
//
// The cursor only reads and never decides: what a bad record, the end of the data or a missing
// segment means is the reader's call (the scan describes damage, the tail moves on to the next
// segment). Offsets it is given are the program's own (record positions it produced), so an
// offset outside the segment or off the record alignment stops the process; anything read from
// the file is judged and reported as a Status or a ReadResult instead.
//
// One owner, one thread; it unmaps its segment when closed, reopened or destroyed.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "engine/base/invariant.h"
#include "engine/base/status.h"
#include "engine/journal/journal_format.h"
#include "engine/journal/journal_position.h"
#include "engine/journal/record_codec.h"
#include "engine/journal/storage.h"

namespace tally::journal {

class SegmentCursor {
 public:
  SegmentCursor(Storage& storage, std::string journal_directory);
  SegmentCursor(SegmentCursor&& other) noexcept;  // the mapping moves; `other` is left closed
  SegmentCursor& operator=(SegmentCursor&&) = delete;
  SegmentCursor(const SegmentCursor&) = delete;
  SegmentCursor& operator=(const SegmentCursor&) = delete;
  ~SegmentCursor();

  // Maps segment `index` (closing the one open before) and checks its header; the cursor then
  // stands at the segment's first record. On failure the cursor is closed and the Status is
  // the storage's (it names the file), or kCorruption naming the file, offset 0 and what is
  // wrong with the header.
  Status open(uint64_t index);
  // open() in its two steps, for a reader that reports a bad header in its own words (the
  // scan adds the sequence it expected): map() fails as the storage does, check_header() with
  // kCorruption and the problem alone (and closes the cursor).
  Status map(uint64_t index);
  Status check_header();
  void close();

  bool is_open() const { return !file_.bytes.empty(); }
  // These describe the open segment.
  uint64_t segment_index() const { return segment_index_; }
  const std::string& path() const { return file_.path; }
  const SegmentHeader& header() const { return header_; }
  std::span<const uint8_t> bytes() const { return file_.bytes; }  // the whole file
  uint64_t offset() const { return offset_; }
  // Where the cursor is. The writer keeps segments under 4 GiB (asserted there): both fit.
  JournalPosition position() const {
    TALLY_ASSERT(header_checked_);
    return {static_cast<uint32_t>(segment_index_), static_cast<uint32_t>(offset_)};
  }
  // "<file> at offset <offset>", for a report of something wrong there (built only then).
  std::string place(uint64_t offset) const;

  // Moves to `offset`: a record position (aligned, past the header, at most the file's end).
  void seek(uint64_t offset) {
    check_offset(offset);
    offset_ = offset;
  }
  // The record at the cursor (or the end, a truncated or a corrupt one). Does not move.
  ReadResult read() const {
    TALLY_ASSERT(header_checked_);  // offset_ is then a record position: seek and advance check
    return read_record(file_.bytes.subspan(offset_));
  }
  // The same at another record position, without moving (the scan looks past damage so).
  ReadResult read_at(uint64_t offset) const {
    check_offset(offset);
    return read_record(file_.bytes.subspan(offset));
  }
  // Steps over `record`, just read at the cursor with outcome kRecord.
  void advance(const ReadResult& record) {
    TALLY_ASSERT(record.outcome == ReadOutcome::kRecord);
    // The record is the one read at the cursor, and the next record position is past it, still
    // inside the segment: the cursor only moves forward.
    TALLY_ASSERT(record.payload.data() == file_.bytes.data() + offset_ + sizeof(RecordHeader));
    TALLY_ASSERT(record.record_bytes > sizeof(RecordHeader) &&
                 record.record_bytes % kRecordAlignment == 0 &&
                 record.record_bytes <= file_.bytes.size() - offset_);
    offset_ += record.record_bytes;
  }
  // The bytes from the cursor to the end of the file.
  std::span<const uint8_t> rest() const {
    TALLY_ASSERT(header_checked_);
    return file_.bytes.subspan(offset_);
  }

 private:
  // What is wrong with the mapped segment's header (kCorruption), or ok; keeps it in header_.
  Status header_problem();
  void accept_header();
  // Inline, as read() and advance() are: the scan and the tail call them once per record.
  void check_offset(uint64_t offset) const {
    TALLY_ASSERT(header_checked_);
    TALLY_ASSERT(offset >= sizeof(SegmentHeader) && offset <= file_.bytes.size() &&
                 offset % kRecordAlignment == 0);
  }

  Storage& storage_;
  std::string journal_directory_;
  MappedFile file_;
  SegmentHeader header_{};
  bool header_checked_ = false;  // the header passed: records may be read
  uint64_t segment_index_ = 0;
  uint64_t offset_ = 0;
};

}  // namespace tally::journal
