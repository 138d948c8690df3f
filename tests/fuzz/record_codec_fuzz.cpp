// Fuzz target: the journal's record reader (engine/journal/record_codec.h): read_record and
// decode_record over arbitrary bytes, record after record, as a scan reads a segment's body.
// Input: a flags byte (bit 0: recompute the checksums first, see checksum_fixup.h), then the
// bytes. Checked: a record's size is within the bytes and aligned, its payload inside it; a
// truncated or corrupt outcome says what is wrong; a record that decodes is written back by
// write_record as a record that reads and decodes to the same bytes.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "engine/journal/record_codec.h"
#include "fuzz/checksum_fixup.h"
#include "fuzz/fuzz_check.h"

namespace {

using tally::journal::ReadOutcome;
using tally::journal::ReadResult;

// write_record(decoded) reads back as a record that writes the same bytes again.
void expect_rewrites_the_same(const tally::Outcome& event) {
  std::array<uint8_t, tally::journal::kRecordBytesMax> first{};
  const size_t first_bytes = tally::journal::write_record(event, first);
  const ReadResult read = tally::journal::read_record({first.data(), first_bytes});
  FUZZ_CHECK(read.outcome == ReadOutcome::kRecord);
  FUZZ_CHECK(read.record_bytes == first_bytes);
  tally::Outcome again;
  FUZZ_CHECK(tally::journal::decode_record(read, again).is_ok());
  std::array<uint8_t, tally::journal::kRecordBytesMax> second{};
  const size_t second_bytes = tally::journal::write_record(again, second);
  FUZZ_CHECK(second_bytes == first_bytes);
  FUZZ_CHECK(std::memcmp(first.data(), second.data(), first_bytes) == 0);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  tally::fuzz::require_fixups_match_the_codecs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) {
    return 0;
  }
  std::vector<uint8_t> bytes(data + 1, data + size);
  const bool fix_checksums = (data[0] & 1) != 0;
  size_t offset = 0;
  while (offset < bytes.size()) {
    const std::span<uint8_t> rest = std::span(bytes).subspan(offset);
    if (fix_checksums) {
      tally::fuzz::fix_record_checksum(rest);
    }
    const ReadResult record = tally::journal::read_record(rest);
    if (record.outcome != ReadOutcome::kRecord) {
      FUZZ_CHECK(record.outcome == ReadOutcome::kEnd || !record.problem.empty());
      break;
    }
    FUZZ_CHECK(record.record_bytes >= sizeof(tally::journal::RecordHeader));
    FUZZ_CHECK(record.record_bytes <= rest.size());
    FUZZ_CHECK(record.record_bytes % tally::journal::kRecordAlignment == 0);
    FUZZ_CHECK(record.payload.data() >= rest.data() + sizeof(tally::journal::RecordHeader));
    FUZZ_CHECK(record.payload.data() + record.payload.size() <= rest.data() + record.record_bytes);
    tally::Outcome event;
    if (tally::journal::decode_record(record, event).is_ok()) {
      expect_rewrites_the_same(event);
    }
    offset += record.record_bytes;
  }
  return 0;
}
