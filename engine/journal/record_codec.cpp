#include "engine/journal/record_codec.h"

#include <algorithm>
#include <cstring>

#include "engine/base/hashing.h"
#include "engine/base/invariant.h"

namespace tally::journal {
namespace {

constexpr size_t kChecksummedHeaderOffset = offsetof(RecordHeader, checksum) + sizeof(uint32_t);

uint32_t fold(uint64_t hash) {
  return static_cast<uint32_t>(hash ^ (hash >> 32));
}

uint32_t record_checksum(const uint8_t* header, std::span<const uint8_t> payload) {
  const uint64_t header_hash = hash_bytes(header + kChecksummedHeaderOffset,
                                          sizeof(RecordHeader) - kChecksummedHeaderOffset);
  return fold(hash_bytes(payload.data(), payload.size(), header_hash));
}

uint32_t segment_checksum(const SegmentHeader& header) {
  return fold(hash_bytes(&header, offsetof(SegmentHeader, checksum)));
}

ReadResult failure(ReadOutcome outcome, std::string_view problem) {
  ReadResult result;
  result.outcome = outcome;
  result.problem = problem;
  return result;
}

}  // namespace

size_t write_record(const Outcome& event, std::span<uint8_t> out, uint32_t synced_distance) {
  TALLY_ASSERT(out.size() >= kRecordBytesMax);
  uint8_t* const payload = out.data() + sizeof(RecordHeader);
  const size_t payload_bytes =
      encode_event_payload(event, {payload, out.size() - sizeof(RecordHeader)});
  RecordHeader header{};
  header.payload_bytes = static_cast<uint32_t>(payload_bytes);
  header.sequence = event.sequence;
  header.timestamp_ns = event.timestamp_ns;
  header.event_type = static_cast<uint8_t>(event.type);
  header.payload_version = kEventPayloadVersion;
  header.synced_distance = synced_distance;
  TALLY_ASSERT(synced_distance <= event.sequence);
  std::memcpy(out.data(), &header, sizeof(header));
  header.checksum = record_checksum(out.data(), {payload, payload_bytes});
  std::memcpy(out.data() + offsetof(RecordHeader, checksum), &header.checksum,
              sizeof(header.checksum));
  const size_t total = record_bytes(payload_bytes);
  std::fill(payload + payload_bytes, out.data() + total, uint8_t{0});
  return total;
}

ReadResult read_record(std::span<const uint8_t> bytes) {
  if (bytes.size() < sizeof(RecordHeader)) {
    return all_zero(bytes) ? ReadResult{} : failure(ReadOutcome::kTruncated, "header cut short");
  }
  RecordHeader header;
  std::memcpy(&header, bytes.data(), sizeof(header));
  if (header.payload_bytes == 0) {
    return all_zero(bytes.first(sizeof(RecordHeader)))
               ? ReadResult{}
               : failure(ReadOutcome::kCorrupt, "zero length with a non-zero header");
  }
  if (header.payload_bytes > kEventPayloadBytesMax) {
    return failure(ReadOutcome::kCorrupt, "payload length out of range");
  }
  const size_t total = record_bytes(header.payload_bytes);
  if (total > bytes.size()) {
    return failure(ReadOutcome::kTruncated, "record cut short");
  }
  const std::span<const uint8_t> payload =
      bytes.subspan(sizeof(RecordHeader), header.payload_bytes);
  if (record_checksum(bytes.data(), payload) != header.checksum) {
    return failure(ReadOutcome::kCorrupt, "checksum mismatch");
  }
  if (header.payload_version != kEventPayloadVersion || header.reserved_16 != 0) {
    return failure(ReadOutcome::kCorrupt, "unknown payload version or reserved bits set");
  }
  if (header.synced_distance > header.sequence) {
    return failure(ReadOutcome::kCorrupt, "synced distance beyond the journal's start");
  }
  ReadResult result;
  result.outcome = ReadOutcome::kRecord;
  result.record_bytes = total;
  result.header = header;
  result.payload = payload;
  return result;
}

uint64_t synced_floor_of(const RecordHeader& header) {
  return header.synced_distance == 0 ? 0 : header.sequence - header.synced_distance;
}

bool all_zero(std::span<const uint8_t> bytes) {
  // Recovery checks a whole segment's unused tail (up to 64 MiB): a block's words are OR-ed
  // without a branch, which the compiler vectorises, and only each block's result is tested.
  constexpr size_t kBlockBytes = 4096;
  const uint8_t* data = bytes.data();
  size_t index = 0;
  for (; index + kBlockBytes <= bytes.size(); index += kBlockBytes) {
    uint64_t any = 0;
    for (size_t word = 0; word < kBlockBytes; word += sizeof(uint64_t)) {
      uint64_t value;
      std::memcpy(&value, data + index + word, sizeof(value));
      any |= value;
    }
    if (any != 0) {
      return false;
    }
  }
  return std::all_of(bytes.begin() + static_cast<ptrdiff_t>(index), bytes.end(),
                     [](uint8_t byte) { return byte == 0; });
}

SegmentHeader make_segment_header(uint64_t segment_index, uint64_t first_sequence,
                                  int64_t created_ns, uint64_t segment_bytes) {
  SegmentHeader header{};
  header.magic = kSegmentMagic;
  header.format_version = kFormatVersion;
  header.header_bytes = sizeof(SegmentHeader);
  header.segment_index = segment_index;
  header.first_sequence = first_sequence;
  header.created_ns = created_ns;
  header.segment_bytes = segment_bytes;
  header.checksum = segment_checksum(header);
  return header;
}

Status check_segment_header(const SegmentHeader& header) {
  if (header.magic != kSegmentMagic) {
    return Status::corruption("not a Tally journal segment (bad magic)");
  }
  if (header.format_version < kFormatVersionOldest || header.format_version > kFormatVersion) {
    return Status::corruption("unsupported journal format version");
  }
  if (header.checksum != segment_checksum(header)) {
    return Status::corruption("segment header checksum mismatch");
  }
  if (header.header_bytes != sizeof(SegmentHeader) || header.reserved != 0) {
    return Status::corruption("segment header size or reserved bits unexpected");
  }
  if (header.segment_bytes < sizeof(SegmentHeader) + kRecordBytesMax) {
    return Status::corruption("segment smaller than one record");
  }
  return Status::ok();
}

}  // namespace tally::journal
