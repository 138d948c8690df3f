// JournalWriter: appends events to the journal's segments and makes them durable in groups.
//
// Owned by the journaler (one thread). Records are encoded into a buffer and written into the
// current segment by offset (one write per group, or per buffer-full, padded with zeros to a
// page's end so that the kernel never reads a page to complete it); sync() writes what is
// buffered, syncs the file's data (group commit) and only then advances durable_sequence().
// Readers see the records through their mappings once written. Writing by offset, not through
// a mapping, spares a page fault per page after each writeback (DiskFloor in
// docs/performance.md). The next segment is prepared ahead (a preallocated ".spare" file,
// segment_preparer.h, by a thread if asked), so rotation only writes a header, renames and
// syncs the directory. Any storage failure is final: the writer refuses everything after it and
// never retries a failed sync (the kernel may have dropped the dirty pages it could not write).
//
// So that recovery can tell a torn tail from corruption after the fact, the writer leaves three
// traces of how far the journal was synced: each record's synced distance (journal_format.h),
// the durable mark after every sync (durable_mark.h), and the manifest (journal_manifest.h),
// rewritten on open, on rotation and by close(), which marks a clean shutdown.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/journal/durable_mark.h"
#include "engine/journal/segment_preparer.h"
#include "engine/journal/storage.h"
#include "engine/wire/outcome.h"

namespace tally::journal {

struct JournalWriterConfig {
  std::string directory;
  uint64_t segment_bytes = 64ULL << 20;  // each segment file's size, header included
  // The next segment is made by a thread, off the appending path: needs a thread-safe Storage.
  // Off, it is made at rotation (tests on FaultyStorage, tools).
  bool prepare_in_background = false;
};

// Where appending starts: a fresh journal, or the end of the data recovery found.
struct AppendPosition {
  bool fresh = true;           // no segment yet: the first is created
  uint64_t segment_index = 0;  // resume: the segment holding the last record
  uint64_t offset = 0;         // resume: where the next record goes in it
  uint64_t next_sequence = 1;
  uint64_t first_segment = 0;  // resume: the journal's first segment (for the manifest)
};

class JournalWriter {
 public:
  JournalWriter(Storage& storage, JournalWriterConfig config);
  JournalWriter(const JournalWriter&) = delete;
  JournalWriter& operator=(const JournalWriter&) = delete;
  ~JournalWriter();

  Status open(const AppendPosition& position, int64_t now_ns);

  // Appends one event (never a replayed answer), whose sequence must be the next one.
  Status append(const Outcome& event);

  // Writes every appended event into the segment (readers see it), without making it durable.
  Status flush();

  // Makes every appended event durable.
  Status sync();

  // Syncs, then records a clean shutdown in the manifest: the journal ends here. Nothing may
  // be appended after it.
  Status close();

  uint64_t appended_sequence() const { return next_sequence_ - 1; }
  uint64_t written_sequence() const { return written_sequence_; }
  uint64_t durable_sequence() const { return durable_sequence_; }
  uint64_t segment_index() const { return segment_index_; }
  bool failed() const { return !failure_.is_ok(); }
  // Since open(): record bytes appended (headers included), and file syncs that returned.
  uint64_t appended_bytes() const { return appended_bytes_; }
  uint64_t syncs() const { return syncs_; }

 private:
  std::string path_of(const std::string& name) const { return config_.directory + "/" + name; }
  Status fail(Status status);
  Status rotate(uint64_t first_sequence);
  Status activate_segment(uint64_t index, uint64_t first_sequence);
  Status prepare_spare(uint64_t index);
  Status write_buffered();
  Status sync_current();
  Status write_manifest_now(bool clean);

  Storage& storage_;
  JournalWriterConfig config_;
  SegmentPreparer preparer_;
  WritableFile current_;
  std::vector<uint8_t> buffer_;  // records appended, not yet written; they start at written_offset_
  size_t buffered_bytes_ = 0;
  uint64_t segment_index_ = 0;
  uint64_t offset_ = 0;          // next record goes here
  uint64_t written_offset_ = 0;  // everything before is written into the segment
  uint64_t synced_offset_ = 0;   // everything before is durable
  uint64_t next_sequence_ = 1;
  uint64_t written_sequence_ = 0;
  uint64_t durable_sequence_ = 0;  // published: every event up to it is durable
  uint64_t synced_sequence_ = 0;   // every record up to it is synced (>= durable_sequence_)
  uint64_t first_segment_ = 0;
  uint64_t manifest_generation_ = 0;
  uint64_t appended_bytes_ = 0;
  uint64_t syncs_ = 0;
  bool closed_ = false;
  DurableMark durable_mark_;
  int64_t now_ns_ = 0;
  Status failure_;
};

}  // namespace tally::journal
