// SegmentCursor, the one way the journal's readers open segments and step through records, and
// how each reader reports what it finds wrong: a Status naming the file and offset for anything
// read from disk, an abort only for an offset the program itself got wrong.
#include "engine/journal/segment_cursor.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "engine/journal/journal_manifest.h"
#include "engine/journal/journal_reader.h"
#include "engine/journal/journal_record_reader.h"
#include "engine/journal/journal_tail.h"
#include "engine/journal/journal_writer.h"
#include "engine/journal/segment_names.h"
#include "engine/wire/event_codec.h"
#include "support/faulty_storage.h"
#include "support/ledger_harness.h"

namespace tally::journal {
namespace {

constexpr uint64_t kSmallSegment = 4096;  // about fifty deposits per segment

bool has(const Status& status, const std::string& text) {
  return status.message().find(text) != std::string::npos;
}

class SegmentCursorTest : public ::testing::Test {
 protected:
  // Journals events[0..count) and syncs them.
  void write(size_t count) {
    JournalWriter writer(storage, {.directory = "journal", .segment_bytes = kSmallSegment});
    ASSERT_TRUE(writer.open({}, 0).is_ok());
    for (size_t index = 0; index < count; ++index) {
      ASSERT_TRUE(writer.append(events[index]).is_ok());
    }
    ASSERT_TRUE(writer.sync().is_ok());
  }
  static std::string path(uint64_t index) { return "journal/" + segment_name(index); }
  // Changes the bytes of segment `index` in place (and makes the change durable).
  template <typename Change>
  void change_segment(uint64_t index, Change&& change) {
    MappedFile file;
    ASSERT_TRUE(storage.map_file(path(index), file).is_ok());
    change(file.bytes);
    ASSERT_TRUE(storage.sync(file, 0, file.bytes.size()).is_ok());
    storage.unmap_file(file);
  }

  tally::testing::FaultyStorage storage;
  std::vector<Outcome> events = tally::testing::make_deposit_events(200);
};

TEST_F(SegmentCursorTest, StepsThroughEverySegmentRecordByRecord) {
  write(130);
  SegmentCursor cursor(storage, "journal");
  EXPECT_FALSE(cursor.is_open());
  uint64_t sequence = 1;
  for (uint64_t index = 0; sequence <= 130; ++index) {
    ASSERT_TRUE(cursor.open(index).is_ok()) << index;
    EXPECT_EQ(cursor.segment_index(), index);
    EXPECT_EQ(cursor.path(), path(index));
    EXPECT_EQ(cursor.header().segment_index, index);
    EXPECT_EQ(cursor.header().first_sequence, sequence);
    EXPECT_EQ(cursor.offset(), sizeof(SegmentHeader));
    for (ReadResult record = cursor.read(); record.outcome == ReadOutcome::kRecord;
         record = cursor.read()) {
      EXPECT_EQ(record.header.sequence, sequence++);
      const JournalPosition before = cursor.position();
      cursor.advance(record);
      EXPECT_EQ(cursor.position().segment_index, before.segment_index);
      EXPECT_EQ(cursor.position().offset, before.offset + record.record_bytes);
    }
  }
  EXPECT_EQ(sequence, 131u);
  EXPECT_EQ(cursor.read().outcome, ReadOutcome::kEnd);
  cursor.close();
  EXPECT_FALSE(cursor.is_open());
}

TEST_F(SegmentCursorTest, SeeksAndReadsAtRecordPositionsWithoutMoving) {
  write(10);
  SegmentCursor cursor(storage, "journal");
  ASSERT_TRUE(cursor.open(0).is_ok());
  const ReadResult first = cursor.read();
  ASSERT_EQ(first.outcome, ReadOutcome::kRecord);
  const uint64_t second_offset = sizeof(SegmentHeader) + first.record_bytes;
  EXPECT_EQ(cursor.read_at(second_offset).header.sequence, 2u);
  EXPECT_EQ(cursor.offset(), sizeof(SegmentHeader));  // read_at does not move
  cursor.seek(second_offset);
  EXPECT_EQ(cursor.read().header.sequence, 2u);
  EXPECT_EQ(cursor.rest().size(), kSmallSegment - second_offset);
  cursor.seek(kSmallSegment);  // the very end is a place too: nothing is there
  EXPECT_EQ(cursor.read().outcome, ReadOutcome::kEnd);
}

TEST_F(SegmentCursorTest, AMovedCursorKeepsTheMappingAndTheOldOneIsClosed) {
  write(10);
  SegmentCursor cursor(storage, "journal");
  ASSERT_TRUE(cursor.open(0).is_ok());
  cursor.advance(cursor.read());
  SegmentCursor moved(std::move(cursor));
  EXPECT_FALSE(cursor.is_open());  // NOLINT(bugprone-use-after-move): what a move leaves
  ASSERT_TRUE(moved.is_open());
  EXPECT_EQ(moved.read().header.sequence, 2u);
}

TEST_F(SegmentCursorTest, AMissingSegmentFailsAsTheStorageSays) {
  write(10);
  SegmentCursor cursor(storage, "journal");
  const Status status = cursor.open(1);
  EXPECT_EQ(status.code(), StatusCode::kNotFound) << status.message();
  EXPECT_TRUE(has(status, path(1))) << status.message();
  EXPECT_FALSE(cursor.is_open());
}

TEST_F(SegmentCursorTest, ABadHeaderIsCorruptionNamingTheFileAndOffset) {
  write(10);
  change_segment(0, [](std::span<uint8_t> bytes) { bytes[0] ^= 1; });  // the magic
  SegmentCursor cursor(storage, "journal");
  const Status status = cursor.open(0);
  EXPECT_EQ(status.code(), StatusCode::kCorruption);
  EXPECT_TRUE(has(status, path(0) + " at offset 0: ")) << status.message();
  EXPECT_TRUE(has(status, "magic")) << status.message();
  EXPECT_FALSE(cursor.is_open());
  // In two steps, the problem alone: the scan words its report itself.
  ASSERT_TRUE(cursor.map(0).is_ok());
  const Status problem = cursor.check_header();
  EXPECT_EQ(problem.code(), StatusCode::kCorruption);
  EXPECT_FALSE(has(problem, path(0))) << problem.message();
  EXPECT_FALSE(cursor.is_open());
}

TEST_F(SegmentCursorTest, AHeaderThatNamesAnotherSegmentIsCorruption) {
  write(10);
  std::vector<uint8_t> bytes;
  ASSERT_TRUE(storage.read_file(path(0), bytes).is_ok());
  ASSERT_TRUE(storage.write_file(path(7), bytes).is_ok());
  SegmentCursor cursor(storage, "journal");
  const Status status = cursor.open(7);
  EXPECT_EQ(status.code(), StatusCode::kCorruption);
  EXPECT_TRUE(has(status, "does not match the file's name or size")) << status.message();
}

TEST_F(SegmentCursorTest, AFileShorterThanAHeaderIsCorruption) {
  ASSERT_TRUE(storage.write_file(path(0), std::vector<uint8_t>(20, 1)).is_ok());
  SegmentCursor cursor(storage, "journal");
  const Status status = cursor.open(0);
  EXPECT_EQ(status.code(), StatusCode::kCorruption);
  EXPECT_TRUE(has(status, "shorter than a segment header (20 bytes)")) << status.message();
}

// Offsets are the program's own: one off the record alignment or outside the segment, or a
// record stepped over that was not read at the cursor, is a bug, and the process stops.
TEST_F(SegmentCursorTest, AnOffsetTheProgramGotWrongStopsIt) {
  write(10);
  SegmentCursor cursor(storage, "journal");
  ASSERT_TRUE(cursor.open(0).is_ok());
  EXPECT_DEATH(cursor.seek(sizeof(SegmentHeader) + 4), "invariant failed");
  EXPECT_DEATH(cursor.seek(kSmallSegment + kRecordAlignment), "invariant failed");
  EXPECT_DEATH(cursor.read_at(0), "invariant failed");
  const ReadResult second = cursor.read_at(sizeof(SegmentHeader) + cursor.read().record_bytes);
  EXPECT_DEATH(cursor.advance(second), "invariant failed");
  SegmentCursor closed(storage, "journal");
  EXPECT_DEATH(closed.read(), "invariant failed");
}

// A record whose checksum holds but whose payload does not decode (written so by a writer that
// should not have): every reader says where it is.
TEST_F(SegmentCursorTest, EveryReaderNamesTheFileAndOffsetOfAMalformedRecord) {
  events[4].command_type = static_cast<CommandType>(200);  // no such command
  write(10);
  SegmentCursor cursor(storage, "journal");
  ASSERT_TRUE(cursor.open(0).is_ok());
  JournalPosition fifth;
  for (int index = 0; index < 4; ++index) {
    cursor.advance(cursor.read());
  }
  fifth = cursor.position();
  const std::string place = path(0) + " at offset " + std::to_string(fifth.offset);

  JournalTail tail(storage, "journal", AppendPosition{});
  for (int index = 0; index < 4; ++index) {
    ASSERT_TRUE(tail.next(10).is_ok());
  }
  const Result<const Outcome*> from_tail = tail.next(10);
  ASSERT_FALSE(from_tail.is_ok());
  EXPECT_EQ(from_tail.status().code(), StatusCode::kCorruption);
  EXPECT_TRUE(has(from_tail.status(), place + ": malformed event payload: unknown command type"))
      << from_tail.status().message();

  JournalRecordReader reader(storage, "journal");
  const Result<const JournalRecord*> from_reader = reader.read(fifth);
  ASSERT_FALSE(from_reader.is_ok());
  EXPECT_TRUE(has(from_reader.status(), place + ": malformed event payload"))
      << from_reader.status().message();

  const ScanResult scan =
      scan_journal(storage, "journal", {}, [](const Outcome&) { return Status::ok(); });
  EXPECT_EQ(scan.status.code(), StatusCode::kCorruption);
  EXPECT_TRUE(has(scan.status,
                  "journal corrupt: " + place + ", expecting sequence 5: malformed event payload"))
      << scan.status.message();
}

// The tail and the record reader check a segment's header as the scan does: a bad one is a
// Status, never read as records.
TEST_F(SegmentCursorTest, TheTailAndTheRecordReaderRefuseABadHeader) {
  write(130);
  change_segment(1, [](std::span<uint8_t> bytes) { bytes[offsetof(SegmentHeader, reserved)] = 1; });
  JournalTail tail(storage, "journal", AppendPosition{});
  Result<const Outcome*> event = tail.next(130);
  while (event.is_ok()) {
    ASSERT_NE(*event, nullptr);
    event = tail.next(130);
  }
  EXPECT_EQ(event.status().code(), StatusCode::kCorruption);
  EXPECT_TRUE(has(event.status(), path(1) + " at offset 0: ")) << event.status().message();

  JournalRecordReader reader(storage, "journal");
  const Result<RecordHeader> header =
      reader.read_header({1, static_cast<uint32_t>(sizeof(SegmentHeader))});
  EXPECT_FALSE(header.is_ok());
  EXPECT_TRUE(has(header.status(), path(1) + " at offset 0: ")) << header.status().message();
}

TEST_F(SegmentCursorTest, TheRecordReaderWalksOnAcrossSegmentEnds) {
  write(130);
  JournalRecordReader reader(storage, "journal");
  JournalPosition position{0, static_cast<uint32_t>(sizeof(SegmentHeader))};
  uint32_t segments_seen = 0;
  for (uint64_t sequence = 1; sequence <= 130; ++sequence) {
    const Result<const JournalRecord*> record = reader.read(position);
    ASSERT_TRUE(record.is_ok()) << sequence << ": " << record.status().message();
    EXPECT_EQ((*record)->event.sequence, sequence);
    EXPECT_EQ((*record)->event.amount, events[sequence - 1].amount);
    segments_seen = std::max(segments_seen, (*record)->next.segment_index);
    position = (*record)->next;
  }
  EXPECT_GE(segments_seen, 2u);
  const Result<RecordHeader> header =
      reader.read_header({0, static_cast<uint32_t>(sizeof(SegmentHeader))});
  ASSERT_TRUE(header.is_ok());
  EXPECT_EQ(header->sequence, 1u);
  // Past the last record: nothing where the caller expected one.
  const Result<const JournalRecord*> past = reader.read(position);
  EXPECT_EQ(past.status().code(), StatusCode::kNotFound) << past.status().message();
}

TEST(ManifestCodecTest, ADamagedManifestSaysWhatIsWrongAndWhere) {
  JournalManifest manifest{.generation = 3, .first_segment = 0, .last_segment = 2};
  std::vector<uint8_t> bytes = encode_manifest(manifest);
  const Result<JournalManifest> decoded = decode_manifest(bytes);
  ASSERT_TRUE(decoded.is_ok());
  EXPECT_EQ(*decoded, manifest);
  EXPECT_TRUE(has(decode_manifest(std::span(bytes).first(10)).status(), "size 10, not 64"));
  bytes[20] ^= 1;
  EXPECT_EQ(decode_manifest(bytes).status().message(), "checksum mismatch");

  tally::testing::FaultyStorage storage;
  const Result<std::optional<JournalManifest>> none = read_manifest(storage, "journal");
  ASSERT_TRUE(none.is_ok()) << none.status().message();
  EXPECT_FALSE(none->has_value());
  ASSERT_TRUE(storage.write_file("journal/manifest", bytes).is_ok());
  const Result<std::optional<JournalManifest>> damaged = read_manifest(storage, "journal");
  EXPECT_EQ(damaged.status().code(), StatusCode::kCorruption);
  EXPECT_EQ(damaged.status().message(),
            "journal manifest journal/manifest damaged: checksum mismatch");
}

TEST(EventPayloadCodecTest, AMalformedPayloadIsCorruptionSayingWhichPart) {
  const std::vector<Outcome> events = tally::testing::make_deposit_events(2);
  uint8_t payload[kEventPayloadBytesMax + 1];
  const size_t size = encode_event_payload(events[1], payload);
  Outcome decoded;
  const Status ok = decode_event_payload({payload, size}, decoded);
  EXPECT_TRUE(ok.is_ok());
  EXPECT_TRUE(ok.message().empty());  // success builds no message
  payload[size] = 0;
  const Status trailing = decode_event_payload({payload, size + 1}, decoded);
  EXPECT_EQ(trailing.code(), StatusCode::kCorruption);
  EXPECT_EQ(trailing.message(), "malformed event payload: bytes after the last part");
  const Status cut = decode_event_payload({payload, 5}, decoded);
  EXPECT_TRUE(has(cut, "malformed event payload: common fields cut short")) << cut.message();
}

}  // namespace
}  // namespace tally::journal
