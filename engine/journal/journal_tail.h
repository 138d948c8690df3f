// JournalTail: follows the journal's segment files record by record as they become durable,
// from a position on, without touching the ring: how the snapshotter and the projectors keep up
// with the engine while never holding it back, and how they rebuild, with one code path for
// both.
//
// It reads through its own mapping of each segment (a SegmentCursor), only up to the durable
// sequence it is given (the journaler synced those bytes before publishing their sequence), and
// moves to the next segment when the current one holds no more. Each record must be the next
// sequence: anything else means the journal is not what recovery read, and is reported, never
// handed on. One thread; the storage must allow reading from it while the journaler writes
// (PosixStorage does).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "engine/base/result.h"
#include "engine/journal/journal_position.h"
#include "engine/journal/journal_writer.h"
#include "engine/journal/segment_cursor.h"
#include "engine/journal/storage.h"
#include "engine/wire/outcome.h"

namespace tally::journal {

class JournalTail {
 public:
  // `from`: where the next record is (recovery's append position; fresh: the journal's start).
  JournalTail(Storage& storage, std::string journal_directory, const AppendPosition& from);
  JournalTail(const JournalTail&) = delete;
  JournalTail& operator=(const JournalTail&) = delete;

  // The next event if its sequence is at most `durable_sequence`, nullptr when there is none
  // yet, or why it cannot be read (a missing segment, a bad segment header, a malformed record,
  // a record that is not the next sequence), naming the file and offset. The event is the
  // tail's own, valid until the next call: the projector path copies it only if it keeps it.
  Result<const Outcome*> next(uint64_t durable_sequence);

  uint64_t next_sequence() const { return next_sequence_; }
  // Where the event next() returned last was read from (for read models that index the
  // journal rather than copy it).
  JournalPosition last_position() const { return last_position_; }

 private:
  SegmentCursor cursor_;
  // Where to open the cursor when it is closed: at the start, after moving past a segment's
  // end, or after a segment could not be opened (it is tried again on the next call).
  uint64_t resume_segment_;
  uint64_t resume_offset_;
  uint64_t next_sequence_;
  JournalPosition last_position_;
  Outcome event_;  // the event next() returned last
};

}  // namespace tally::journal
