// Checksum fix-ups for the fuzz targets of checksummed formats (journal records and segments,
// snapshots). A random mutation almost never keeps a 32- or 64-bit checksum right, so without
// help a fuzzer stops at the checksum check and never reaches what is decoded after it. An
// input whose first byte asks for it has its checksums recomputed before it is read, so the
// fuzzer explores the parsers behind the checksums; other inputs exercise the checks themselves.
//
// The fix-ups restate how the codecs compute their checksums (engine/journal/record_codec.cpp,
// snapshot.cpp). If a codec changes its checksum, the restatement no longer matches and the
// fuzzers would quietly stop at the checksums again: fixups_match_the_codecs() tells, and every
// target that uses them calls require_fixups_match_the_codecs() at start-up. Pure functions.
#pragma once

#include <cstdint>
#include <span>

namespace tally::fuzz {

// Recomputes the checksum of the record at the start of `bytes` if its length field is in range
// and the record fits; returns the record's size (padding included), or 0 if it is no record.
size_t fix_record_checksum(std::span<uint8_t> bytes);

// Recomputes a segment file's header checksum, then each record's, from the first record on
// until one is no record (zeros, a bad length, the file's end).
void fix_segment_checksums(std::span<uint8_t> segment);

// Sets a snapshot's body length to what follows its header, then recomputes both checksums.
void fix_snapshot_checksums(std::span<uint8_t> snapshot);

// True if fixed-up records, segments and snapshots with wrong checksums read as valid.
bool fixups_match_the_codecs();

// Aborts, saying what to update, unless fixups_match_the_codecs().
void require_fixups_match_the_codecs();

}  // namespace tally::fuzz
