// Record codec: writes journal records and segment headers into memory, and reads them back
// with one of four outcomes, LevelDB-style: a record, the clean end (zeroed preallocated
// space), a truncated record (bytes end inside it), or corruption (with what is wrong).
// Whether a bad record at the very end is a torn write or corruption is the journal reader's
// call (is anything written after it?); this layer only says what it sees. Pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "engine/base/invariant.h"
#include "engine/base/status.h"
#include "engine/journal/journal_format.h"
#include "engine/wire/outcome.h"

namespace tally::journal {

// Writes `event` (not a replayed answer) as one record at the start of `out` (at least
// kRecordBytesMax), padding included; returns the bytes written. `synced_distance`: see
// RecordHeader (0: unknown).
size_t write_record(const Outcome& event, std::span<uint8_t> out, uint32_t synced_distance = 0);

enum class ReadOutcome : uint8_t { kRecord, kEnd, kTruncated, kCorrupt };

struct ReadResult {
  ReadOutcome outcome = ReadOutcome::kEnd;
  size_t record_bytes = 0;           // kRecord: where the next record starts
  RecordHeader header{};             // kRecord
  std::span<const uint8_t> payload;  // kRecord: event_codec's payload
  std::string_view problem;          // kTruncated, kCorrupt: what is wrong, for reports
};

// Reads the record starting at `bytes` (which runs to the end of the written region).
ReadResult read_record(std::span<const uint8_t> bytes);

// Decodes a record read with outcome kRecord into `event` (the caller's, so that replaying a
// journal decodes every record into the same place, never copying one). kCorruption saying what
// is wrong if the payload is malformed (the caller adds the file and offset); nothing is
// allocated unless it fails.
// Inline: the journal's readers call it once per record.
inline Status decode_record(const ReadResult& record, Outcome& event) {
  TALLY_ASSERT(record.outcome == ReadOutcome::kRecord);
  event.sequence = record.header.sequence;
  event.timestamp_ns = record.header.timestamp_ns;
  event.type = static_cast<EventType>(record.header.event_type);
  return decode_event_payload(record.payload, event);
}

// True if every byte is zero (preallocated space never written).
bool all_zero(std::span<const uint8_t> bytes);

SegmentHeader make_segment_header(uint64_t segment_index, uint64_t first_sequence,
                                  int64_t created_ns, uint64_t segment_bytes);

// The highest sequence a record proves was synced before it was written: 0 if it does not say.
uint64_t synced_floor_of(const RecordHeader& header);

// Ok if `header` is a valid segment header (version 1 or 2), else kCorruption saying what is
// wrong (the caller adds the file).
Status check_segment_header(const SegmentHeader& header);

}  // namespace tally::journal
