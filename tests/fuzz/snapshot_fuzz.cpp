// Fuzz target: decode_snapshot (engine/journal/snapshot.h) on arbitrary bytes, into a fresh
// ledger, as load_newest_snapshot restores one at start-up.
// Input: a flags byte (bit 0: set the body length and recompute both checksums first, see
// checksum_fixup.h), then the file. Checked: a snapshot that restores encodes again into one
// that restores too, into the same encoding (nothing accepted is lost or changed on the way).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "engine/journal/snapshot.h"
#include "engine/ledger/ledger.h"
#include "fuzz/checksum_fixup.h"
#include "fuzz/fuzz_check.h"
#include "fuzz/small_ledger.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  tally::fuzz::require_fixups_match_the_codecs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) {
    return 0;
  }
  std::vector<uint8_t> bytes(data + 1, data + size);
  if ((data[0] & 1) != 0) {
    tally::fuzz::fix_snapshot_checksums(bytes);
  }
  tally::Ledger ledger(tally::fuzz::small_ledger_limits());
  if (!tally::journal::decode_snapshot(bytes, ledger).is_ok()) {
    return 0;
  }
  const std::vector<uint8_t> encoded = tally::journal::encode_snapshot(ledger);
  tally::Ledger again(tally::fuzz::small_ledger_limits());
  FUZZ_CHECK(tally::journal::decode_snapshot(encoded, again).is_ok());
  FUZZ_CHECK(tally::journal::encode_snapshot(again) == encoded);
  return 0;
}
