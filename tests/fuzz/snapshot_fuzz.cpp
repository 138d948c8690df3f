// Fuzz target: decode_snapshot (engine/journal/snapshot.h) on arbitrary bytes, into a fresh
// ledger, as load_newest_snapshot restores one at start-up.
// Input: a flags byte (bit 0: set the body length and recompute both checksums first, see
// checksum_fixup.h), then the file. Checked: a snapshot that restores encodes again into one
// that restores too, into the same state (nothing accepted is lost or changed on the way).
// The same state, not the same bytes: transaction ids are written in their hash set's order,
// which depends on the order they were inserted in, so encodings are compared with that
// section sorted (canonical_form).
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "engine/journal/snapshot.h"
#include "engine/ledger/ledger.h"
#include "fuzz/checksum_fixup.h"
#include "fuzz/fuzz_check.h"
#include "fuzz/small_ledger.h"

namespace {

using IdBytes = std::array<uint8_t, sizeof(tally::Id128)>;

// An encoding made by encode_snapshot with its transaction ids sorted and its checksums (which
// cover their order) zeroed: two encodings of one state have the same canonical form.
std::vector<uint8_t> canonical_form(std::vector<uint8_t> bytes) {
  tally::journal::SnapshotHeader header;
  std::memcpy(&header, bytes.data(), sizeof(header));
  header.body_checksum = 0;
  header.header_checksum = 0;
  std::memcpy(bytes.data(), &header, sizeof(header));
  // An account record: id length, id, balance, overdraft limit, version, currency, status, type.
  constexpr size_t kAccountFixedBytes = 1 + 8 + 8 + 8 + 4 + 1 + 1;
  size_t position = sizeof(header);
  for (uint64_t account = 0; account < header.account_count; ++account) {
    position += kAccountFixedBytes + bytes[position];
  }
  FUZZ_CHECK(position + header.transaction_count * sizeof(IdBytes) <= bytes.size());
  auto* ids = reinterpret_cast<IdBytes*>(bytes.data() + position);
  std::sort(ids, ids + header.transaction_count);
  return bytes;
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
  FUZZ_CHECK(canonical_form(tally::journal::encode_snapshot(again)) == canonical_form(encoded));
  return 0;
}
