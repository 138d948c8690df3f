#include "fuzz/checksum_fixup.h"

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "engine/base/hashing.h"
#include "engine/journal/journal_format.h"
#include "engine/journal/record_codec.h"
#include "engine/journal/snapshot.h"
#include "engine/ledger/ledger.h"
#include "fuzz/small_ledger.h"
#include "support/ledger_harness.h"

namespace tally::fuzz {
namespace {

using journal::RecordHeader;
using journal::SegmentHeader;
using journal::SnapshotHeader;

uint32_t fold(uint64_t hash) {
  return static_cast<uint32_t>(hash ^ (hash >> 32));
}

}  // namespace

size_t fix_record_checksum(std::span<uint8_t> bytes) {
  if (bytes.size() < sizeof(RecordHeader)) {
    return 0;
  }
  uint32_t payload_bytes = 0;
  std::memcpy(&payload_bytes, bytes.data() + offsetof(RecordHeader, payload_bytes),
              sizeof(payload_bytes));
  const size_t total = journal::record_bytes(payload_bytes);
  if (payload_bytes == 0 || payload_bytes > kEventPayloadBytesMax || total > bytes.size()) {
    return 0;
  }
  // The checksum covers the header after its own field, then the payload.
  constexpr size_t kCovered = offsetof(RecordHeader, checksum) + sizeof(uint32_t);
  const uint64_t header_hash = hash_bytes(bytes.data() + kCovered, sizeof(RecordHeader) - kCovered);
  const uint32_t checksum =
      fold(hash_bytes(bytes.data() + sizeof(RecordHeader), payload_bytes, header_hash));
  std::memcpy(bytes.data() + offsetof(RecordHeader, checksum), &checksum, sizeof(checksum));
  return total;
}

void fix_segment_checksums(std::span<uint8_t> segment) {
  if (segment.size() < sizeof(SegmentHeader)) {
    return;
  }
  const uint32_t checksum = fold(hash_bytes(segment.data(), offsetof(SegmentHeader, checksum)));
  std::memcpy(segment.data() + offsetof(SegmentHeader, checksum), &checksum, sizeof(checksum));
  size_t offset = sizeof(SegmentHeader);
  while (const size_t record = fix_record_checksum(segment.subspan(offset))) {
    offset += record;
  }
}

void fix_snapshot_checksums(std::span<uint8_t> snapshot) {
  if (snapshot.size() < sizeof(SnapshotHeader)) {
    return;
  }
  SnapshotHeader header;
  std::memcpy(&header, snapshot.data(), sizeof(header));
  const std::span<const uint8_t> body = snapshot.subspan(sizeof(SnapshotHeader));
  header.body_bytes = body.size();
  header.body_checksum = hash_bytes(body.data(), body.size());
  header.header_checksum = hash_bytes(&header, offsetof(SnapshotHeader, header_checksum));
  std::memcpy(snapshot.data(), &header, sizeof(header));
}

bool fixups_match_the_codecs() {
  // A record and a segment with their checksums broken, then fixed.
  const std::vector<Outcome> events = testing::make_deposit_events(3);
  std::vector<uint8_t> segment(4096, 0);
  const SegmentHeader header = journal::make_segment_header(0, 1, 0, segment.size());
  std::memcpy(segment.data(), &header, sizeof(header));
  size_t offset = sizeof(SegmentHeader);
  for (const Outcome& event : events) {
    offset += journal::write_record(event, std::span(segment).subspan(offset));
  }
  segment[offsetof(SegmentHeader, checksum)] ^= 1;
  segment[sizeof(SegmentHeader) + offsetof(RecordHeader, checksum)] ^= 1;
  fix_segment_checksums(segment);
  SegmentHeader fixed_header;
  std::memcpy(&fixed_header, segment.data(), sizeof(fixed_header));
  if (!journal::check_segment_header(fixed_header).is_ok()) {
    return false;
  }
  offset = sizeof(SegmentHeader);
  for (const Outcome& event : events) {
    const journal::ReadResult record = journal::read_record(std::span(segment).subspan(offset));
    if (record.outcome != journal::ReadOutcome::kRecord ||
        record.header.sequence != event.sequence) {
      return false;
    }
    offset += record.record_bytes;
  }
  // A snapshot with both checksums broken, then fixed.
  testing::LedgerHarness harness(small_ledger_limits());
  harness.apply_one(testing::open_command("account", "EUR", 5));
  std::vector<uint8_t> snapshot = journal::encode_snapshot(harness.ledger());
  snapshot[offsetof(SnapshotHeader, body_checksum)] ^= 1;
  snapshot[offsetof(SnapshotHeader, header_checksum)] ^= 1;
  fix_snapshot_checksums(snapshot);
  Ledger restored(small_ledger_limits());
  return journal::decode_snapshot(snapshot, restored).is_ok();
}

void require_fixups_match_the_codecs() {
  if (!fixups_match_the_codecs()) {
    std::fprintf(stderr,
                 "fuzz: the checksum fix-ups (tests/fuzz/checksum_fixup.cpp) no longer match the "
                 "journal's or the snapshot's codec: update them to compute what the codec does\n");
    std::abort();
  }
}

}  // namespace tally::fuzz
