// JournalTail: follows the journal's segment files record by record as they become durable,
// from a position on, without touching the ring: how the snapshotter (and the projectors to
// come) keep up with the engine while never holding it back, and how they rebuild, with one
// code path for both.
//
// It reads through its own mapping of each segment, only up to the durable sequence it is given
// (the journaler synced those bytes before publishing their sequence), and moves to the next
// segment when the current one holds no more. One thread; the storage must allow reading from
// it while the journaler writes (PosixStorage does).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "engine/journal/journal_position.h"
#include "engine/journal/journal_writer.h"
#include "engine/journal/storage.h"
#include "engine/wire/outcome.h"

namespace tally::journal {

class JournalTail {
 public:
  // `from`: where the next record is (recovery's append position; fresh: the journal's start).
  JournalTail(Storage& storage, std::string journal_directory, const AppendPosition& from);
  JournalTail(const JournalTail&) = delete;
  JournalTail& operator=(const JournalTail&) = delete;
  ~JournalTail();

  // The next event if its sequence is at most `durable_sequence`; nullopt when there is none
  // yet, or on a problem (then `status` says what: a missing segment, a malformed record).
  std::optional<Outcome> next(uint64_t durable_sequence, Status& status);

  uint64_t next_sequence() const { return next_sequence_; }
  // Where the event next() returned last was read from (for read models that index the
  // journal rather than copy it).
  JournalPosition last_position() const { return last_position_; }

 private:
  std::string segment_path(uint64_t index) const;

  Storage& storage_;
  std::string journal_directory_;
  uint64_t segment_index_;
  uint64_t offset_;
  uint64_t next_sequence_;
  JournalPosition last_position_;
  MappedFile segment_;
};

}  // namespace tally::journal
