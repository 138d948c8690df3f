// The journal's on-disk format, version 1: constants and layouts, sizes static_asserted.
// The grammar is in docs/journal-format.md; record_codec.h reads and writes records.
//
// A journal is a directory of fixed-size segment files. Each segment starts with a
// SegmentHeader, then records back to back, each 8-byte aligned, then zeros (the file is
// preallocated). A record is a RecordHeader and the event payload (engine/wire/event_codec.h).
// All integers are little-endian.
#pragma once

#include <cstddef>
#include <cstdint>

#include "engine/wire/event_codec.h"

namespace tally::journal {

inline constexpr uint64_t kSegmentMagic = 0x314C4E4A594C4154ULL;  // bytes "TALYJNL1"
// Version 2 records carry their synced distance (below); a version-1 segment reads as version 2
// with every distance unknown (0).
inline constexpr uint32_t kFormatVersion = 2;
inline constexpr uint32_t kFormatVersionOldest = 1;
inline constexpr size_t kRecordAlignment = 8;

struct SegmentHeader {
  uint64_t magic;           // kSegmentMagic
  uint32_t format_version;  // kFormatVersion
  uint32_t header_bytes;    // sizeof(SegmentHeader): lets a later version grow it
  uint64_t segment_index;   // 0, 1, 2... : the file name says the same
  uint64_t first_sequence;  // sequence of the first record in this segment
  int64_t created_ns;       // wall clock when the segment was prepared
  uint64_t segment_bytes;   // the file's size, header included
  uint32_t reserved;        // 0
  uint32_t checksum;        // of the bytes above (see record_codec.h)
};
static_assert(sizeof(SegmentHeader) == 56);
static_assert(sizeof(SegmentHeader) % kRecordAlignment == 0);

struct RecordHeader {
  uint32_t payload_bytes;   // 1..kEventPayloadBytesMax; 0 never starts a record (zeros: end)
  uint32_t checksum;        // of the header bytes after this field, then the payload
  uint64_t sequence;        // gapless, strictly increasing across the journal
  int64_t timestamp_ns;     // never goes backwards
  uint8_t event_type;       // EventType
  uint8_t payload_version;  // kEventPayloadVersion when written
  uint16_t reserved_16;     // 0
  // This record's sequence minus the highest sequence the writer knew to be synced when it
  // wrote the record: 0 if unknown (version 1), else 1 or more. It lets recovery prove, after
  // the fact, that earlier records were synced (acknowledged) and so can never be a torn tail.
  uint32_t synced_distance;
};
static_assert(sizeof(RecordHeader) == 32);
static_assert(offsetof(RecordHeader, checksum) + sizeof(uint32_t) == 8,
              "the checksum covers everything from byte 8 on");

// The writer never has more than this many bytes written but not synced (it syncs early rather
// than exceed it). A crash can therefore damage only this much after the last durable record:
// the kernel writes dirty pages back in any order, so the damage need not be a clean prefix.
inline constexpr uint64_t kUnsyncedBytesMax = 4ULL << 20;

inline constexpr size_t kRecordBytesMax =
    (sizeof(RecordHeader) + kEventPayloadBytesMax + kRecordAlignment - 1) / kRecordAlignment *
    kRecordAlignment;

// Bytes a record with `payload_bytes` of payload takes, padding included.
constexpr size_t record_bytes(size_t payload_bytes) {
  return (sizeof(RecordHeader) + payload_bytes + kRecordAlignment - 1) / kRecordAlignment *
         kRecordAlignment;
}
static_assert(record_bytes(46) == 80, "a typical deposit: within the 96-byte budget");

}  // namespace tally::journal
