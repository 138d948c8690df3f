// Journal scan: reads a journal directory in order for recovery and offline tools, checking
// every segment header, record checksum and the sequence's continuity. It never writes.
//
// It reports what it sees and leaves the verdict to recovery (recovery.h), which knows how far
// the journal was synced: the data ends cleanly (zeros to the end of the last segment), or
// stops at damage (a bad or cut record, or zeros followed by written bytes), described with the
// file, the offset, the sequence expected there and, from the valid records still found after
// it, how many events it would cut and how far they prove the journal was synced. A missing
// segment in the middle, a bad segment header, a sequence gap or one going backwards, a
// malformed payload and an event the visitor refuses are corruption whatever their place.
// Single-threaded; never run on a directory a live writer holds.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "engine/base/status.h"
#include "engine/journal/journal_writer.h"
#include "engine/journal/storage.h"
#include "engine/wire/outcome.h"

namespace tally::journal {

struct ScanOptions {
  uint64_t after_sequence = 0;  // events up to this one (a snapshot's): checksums and
                                // sequences checked, payloads neither decoded nor visited
};

// Where the good data stops short of the end of the journal.
struct JournalDamage {
  std::string file;
  uint64_t segment_index = 0;
  uint64_t offset = 0;    // of the first bad byte's record position
  uint64_t sequence = 0;  // the sequence expected there
  std::string problem;
  bool in_last_segment = false;
  uint64_t written_end = 0;  // just past the segment's last non-zero byte
  // Valid records found after the damage (a torn write leaves some): how many, the highest
  // sequence among them, and the highest synced floor they claim (RecordHeader).
  uint64_t later_records = 0;
  uint64_t later_sequence_max = 0;
  uint64_t later_synced_floor_max = 0;
};

struct ScanResult {
  Status status;               // ok, an I/O error, or kCorruption (the message is the report)
  uint64_t last_sequence = 0;  // of the last good record
  uint64_t events_visited = 0;
  AppendPosition append_position;  // where a writer continues (before any damage)
  std::vector<uint64_t> segments;  // the indexes found, in order
  bool all_segments_version_1 = true;
  uint64_t last_segment_records = 0;  // records read in the last segment visited
  std::optional<JournalDamage> damage;
};

// Called with each event after options.after_sequence, in order. Returns ok to go on, or why the
// event cannot be taken (it contradicts what came before): the scan then stops with a
// corruption report naming the event's place in the journal, followed by the status's message.
using EventVisitor = std::function<Status(const Outcome&)>;

ScanResult scan_journal(Storage& storage, const std::string& directory, const ScanOptions& options,
                        const EventVisitor& visit);

}  // namespace tally::journal
