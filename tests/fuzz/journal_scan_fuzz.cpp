// Fuzz target: scan_journal (engine/journal/journal_reader.h), recovery's reader, over arbitrary
// bytes as a journal directory's segment files, each event replayed into a ledger as recovery
// does (Ledger::replay). The files live in FaultyStorage, in memory.
//
// Input: a flags byte, then the files' bytes, cut into 1 to 4 equal parts, one per segment file.
// Flags: bit 0 recompute the checksums first (checksum_fixup.h); bits 1-2 the number of files
// minus one; bit 3 name the first file segment 1 instead of 0 (the journal's start is missing);
// bit 4 leave a gap in the names after the first. Checked: the events visited have consecutive
// sequences from the journal's first, their count is the one reported, and a scan that reports
// no problem ends at the last event it visited.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/journal/journal_reader.h"
#include "engine/journal/segment_names.h"
#include "engine/ledger/ledger.h"
#include "fuzz/checksum_fixup.h"
#include "fuzz/fuzz_check.h"
#include "fuzz/small_ledger.h"
#include "support/faulty_storage.h"

namespace {

constexpr std::string_view kDirectory = "journal";

// Writes the input's files as segments; returns false if there is nothing to write.
bool write_segments(tally::testing::FaultyStorage& storage, uint8_t flags,
                    std::span<const uint8_t> bytes) {
  const size_t files = ((flags >> 1) & 3) + 1;
  const size_t file_bytes = bytes.size() / files;
  if (file_bytes == 0) {
    return false;
  }
  uint64_t index = (flags & 8) != 0 ? 1 : 0;
  for (size_t file = 0; file < files; ++file) {
    std::vector<uint8_t> content(bytes.begin() + static_cast<ptrdiff_t>(file * file_bytes),
                                 bytes.begin() + static_cast<ptrdiff_t>((file + 1) * file_bytes));
    if ((flags & 1) != 0) {
      tally::fuzz::fix_segment_checksums(content);
    }
    const std::string path = std::string(kDirectory) + "/" + tally::journal::segment_name(index);
    FUZZ_CHECK(storage.write_file(path, content).is_ok());
    index += file == 0 && (flags & 16) != 0 ? 2 : 1;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  tally::fuzz::require_fixups_match_the_codecs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) {
    return 0;
  }
  tally::testing::FaultyStorage storage;
  if (!write_segments(storage, data[0], {data + 1, size - 1})) {
    return 0;
  }
  tally::Ledger ledger(tally::fuzz::small_ledger_limits());
  uint64_t visited = 0;
  uint64_t last_sequence = 0;
  const tally::journal::ScanResult result = tally::journal::scan_journal(
      storage, std::string(kDirectory), tally::journal::ScanOptions{},
      [&](const tally::Outcome& event) {
        FUZZ_CHECK(visited == 0 || event.sequence == last_sequence + 1);
        ++visited;
        last_sequence = event.sequence;
        return ledger.replay(event);  // recovery's visitor
      });
  FUZZ_CHECK(result.events_visited <= visited);
  if (result.status.is_ok() && visited > 0) {
    FUZZ_CHECK(result.events_visited == visited);
    FUZZ_CHECK(result.last_sequence == last_sequence);
  }
  return 0;
}
