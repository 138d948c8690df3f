// Journal scan: reads a journal directory in order for recovery and offline tools, checking
// every segment header, record checksum and the sequence's continuity.
//
// Outcomes, LevelDB-style: the data ends cleanly (zeros), or ends in a torn tail (a bad or cut
// record followed by nothing but zeros in the last segment: the trace of a crash, reported and
// zeroed so appending can resume there), or is corrupt before that (refused with a precise
// report: file, offset, expected sequence, what is wrong; zeroed from there on only if the
// operator asks). A missing segment, a sequence gap or one going backwards is corruption.
// Single-threaded; never run on a directory a live writer holds.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "engine/event.h"
#include "engine/journal/journal_writer.h"
#include "engine/journal/storage.h"

namespace tally::journal {

struct ScanOptions {
  uint64_t after_sequence = 0;     // events up to this one (a snapshot's) are checked, not visited
  bool truncate_torn_tail = true;  // zero a torn tail so a writer can append after the data
  bool truncate_corruption = false;  // the operator's explicit choice: drop everything after it
};

struct ScanResult {
  Status status;               // ok, or kCorruption (the message is the report)
  uint64_t last_sequence = 0;  // of the last good record
  uint64_t events_visited = 0;
  AppendPosition append_position;  // where a writer continues
  bool torn_tail = false;
  std::string torn_tail_file;
  uint64_t torn_tail_offset = 0;
};

// Called with each event after options.after_sequence, in order. Returns an empty string to go
// on, or why the event cannot be taken (it contradicts what came before): the scan then stops
// with a corruption report naming the event's place in the journal.
using EventVisitor = std::function<std::string(const Event&)>;

ScanResult scan_journal(Storage& storage, const std::string& directory, const ScanOptions& options,
                        const EventVisitor& visit);

}  // namespace tally::journal
