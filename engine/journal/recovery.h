// Recovery at start-up: rebuild the ledger from the journal (and, with snapshots, from the
// newest valid snapshot first), then say where the journal continues. Prints nothing: the
// caller reports what the RecoveryReport says (events replayed, time taken, torn tail).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "engine/journal/journal_reader.h"
#include "engine/ledger.h"

namespace tally::journal {

struct RecoveryReport {
  Status status;  // ok, or why the journal cannot be trusted
  uint64_t events_replayed = 0;
  uint64_t last_sequence = 0;
  AppendPosition append_position;  // hand to JournalWriter::open
  bool torn_tail = false;          // a crash's trace, truncated
  std::string torn_tail_file;
  uint64_t torn_tail_offset = 0;
  std::chrono::nanoseconds duration{0};
};

// Replays every journaled event into `ledger` (fresh, or loaded from a snapshot at
// options.after_sequence).
RecoveryReport recover(Storage& storage, const std::string& directory, Ledger& ledger,
                       const ScanOptions& options = {});

}  // namespace tally::journal
