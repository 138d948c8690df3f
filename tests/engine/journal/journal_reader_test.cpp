// Journal scans, named after the failure modes recovery must tell apart.
#include "engine/journal/journal_reader.h"

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "engine/journal/record_codec.h"
#include "engine/journal/segment_names.h"
#include "support/faulty_storage.h"
#include "support/ledger_harness.h"

namespace tally::journal {
namespace {

constexpr uint64_t kSmallSegment = 4096;  // about fifty deposits per segment

class JournalReaderTest : public ::testing::Test {
 protected:
  // Writes events[0..count) and syncs them.
  void write(size_t count) {
    JournalWriter writer(storage, config);
    ASSERT_TRUE(writer.open({}, 0).is_ok());
    for (size_t index = 0; index < count; ++index) {
      ASSERT_TRUE(writer.append(events[index]).is_ok());
    }
    ASSERT_TRUE(writer.sync().is_ok());
  }

  ScanResult scan(const ScanOptions& options = {}) {
    visited.clear();
    return scan_journal(storage, "journal", options, [&](const Outcome& event) {
      visited.push_back(event.sequence);
      return Status::ok();
    });
  }

  // Flips one bit of the payload of the record with `sequence` (found by scanning).
  void damage_record(uint64_t sequence) {
    rewrite_record(sequence, [](uint8_t* record) { record[sizeof(RecordHeader) + 3] ^= 0x10; });
  }

  template <typename Change>
  void rewrite_record(uint64_t sequence, Change&& change) {
    std::vector<std::string> names;
    ASSERT_TRUE(storage.list_directory("journal", names).is_ok());
    for (const std::string& name : names) {
      if (!segment_index_of(name))
        continue;
      MappedFile file;
      ASSERT_TRUE(storage.map_file("journal/" + name, file).is_ok());
      for (size_t offset = sizeof(SegmentHeader);;) {
        const ReadResult record = read_record(file.bytes.subspan(offset));
        if (record.outcome != ReadOutcome::kRecord)
          break;
        if (record.header.sequence == sequence) {
          change(file.bytes.data() + offset);
          ASSERT_TRUE(storage.sync(file, 0, file.bytes.size()).is_ok());
          storage.unmap_file(file);
          return;
        }
        offset += record.record_bytes;
      }
      storage.unmap_file(file);
    }
    FAIL() << "no record " << sequence;
  }

  tally::testing::FaultyStorage storage;
  JournalWriterConfig config{.directory = "journal", .segment_bytes = kSmallSegment};
  std::vector<Outcome> events = tally::testing::make_deposit_events(200);
  std::vector<uint64_t> visited;
};

TEST_F(JournalReaderTest, ZeroedPreallocatedSpaceIsEnd) {
  write(130);
  const ScanResult result = scan();
  ASSERT_TRUE(result.status.is_ok()) << result.status.message();
  EXPECT_EQ(result.last_sequence, 130u);
  EXPECT_EQ(visited.size(), 130u);
  EXPECT_FALSE(result.damage.has_value());
  EXPECT_FALSE(result.append_position.fresh);
  EXPECT_EQ(result.append_position.next_sequence, 131u);
}

TEST_F(JournalReaderTest, EmptyDirectoryIsAFreshJournal) {
  const ScanResult result = scan();
  ASSERT_TRUE(result.status.is_ok());
  EXPECT_TRUE(result.append_position.fresh);
  EXPECT_EQ(result.append_position.next_sequence, 1u);
}

TEST_F(JournalReaderTest, EventsUpToTheSnapshotAreCheckedNotVisited) {
  write(100);
  const ScanResult result = scan({.after_sequence = 60});
  ASSERT_TRUE(result.status.is_ok());
  EXPECT_EQ(visited.front(), 61u);
  EXPECT_EQ(visited.size(), 40u);
}

// Below the snapshot a record's checksum is still checked: a flipped bit there is corruption
// even though its payload is never decoded.
TEST_F(JournalReaderTest, DamageBelowTheSnapshotIsStillFound) {
  write(100);
  std::vector<uint8_t>* bytes = storage.bytes_of("journal/" + segment_name(0));
  ASSERT_NE(bytes, nullptr);
  (*bytes)[sizeof(SegmentHeader) + 10 * 80 + 40] ^= 0x04;  // inside an early deposit's record
  const ScanResult result = scan({.after_sequence = 60});
  EXPECT_TRUE(!result.status.is_ok() || result.damage.has_value());
  EXPECT_LT(result.last_sequence, 60u);
  EXPECT_TRUE(visited.empty());
}

TEST_F(JournalReaderTest, ABadLastRecordIsDescribedNotJudged) {
  write(31);
  damage_record(31);
  const ScanResult result = scan();
  ASSERT_TRUE(result.status.is_ok()) << result.status.message();
  ASSERT_TRUE(result.damage.has_value());
  EXPECT_EQ(result.damage->sequence, 31u);
  EXPECT_EQ(result.damage->file, "journal/" + segment_name(0));
  EXPECT_EQ(result.damage->problem, "checksum mismatch");
  EXPECT_TRUE(result.damage->in_last_segment);
  EXPECT_EQ(result.damage->later_records, 0u);
  EXPECT_EQ(result.last_sequence, 30u);
  EXPECT_EQ(result.append_position.next_sequence, 31u);
  EXPECT_EQ(result.append_position.offset, result.damage->offset);
}

TEST_F(JournalReaderTest, AScanNeverWrites) {
  write(31);
  damage_record(20);
  const uint64_t operations = storage.operations();
  const ScanResult first = scan();
  ASSERT_TRUE(first.damage.has_value());
  const ScanResult second = scan();
  ASSERT_TRUE(second.damage.has_value());
  EXPECT_EQ(second.damage->offset, first.damage->offset);
  EXPECT_GT(storage.operations(), operations);  // it read
  std::vector<uint8_t> bytes;
  ASSERT_TRUE(storage.read_file("journal/" + segment_name(0), bytes).is_ok());
  EXPECT_FALSE(all_zero(std::span(bytes).subspan(first.damage->offset, 64)));
}

TEST_F(JournalReaderTest, RecordsAfterDamageSayHowFarTheJournalWasSynced) {
  JournalWriter writer(storage, config);
  ASSERT_TRUE(writer.open({}, 0).is_ok());
  for (size_t index = 0; index < 30; ++index) {
    ASSERT_TRUE(writer.append(events[index]).is_ok());
    if (index == 9 || index == 19) {
      ASSERT_TRUE(writer.sync().is_ok());  // groups 1..10, 11..20, then 21..30
    }
  }
  ASSERT_TRUE(writer.sync().is_ok());
  damage_record(5);
  const ScanResult result = scan();
  ASSERT_TRUE(result.damage.has_value());
  EXPECT_EQ(result.damage->sequence, 5u);
  EXPECT_EQ(result.damage->later_records, 25u);
  EXPECT_EQ(result.damage->later_sequence_max, 30u);
  EXPECT_EQ(result.damage->later_synced_floor_max, 20u);  // written after 1..20 were synced
}

TEST_F(JournalReaderTest, MissingSegmentRefused) {
  write(200);
  ASSERT_TRUE(storage.remove("journal/" + segment_name(1)).is_ok());
  const ScanResult result = scan();
  EXPECT_EQ(result.status.code(), StatusCode::kCorruption);
  EXPECT_NE(result.status.message().find("segment missing"), std::string::npos);
  EXPECT_NE(result.status.message().find(segment_name(1)), std::string::npos);
}

TEST_F(JournalReaderTest, SequenceGapRefused) {
  write(40);
  Outcome skipped = events[19];
  skipped.sequence = 25;  // a well-formed record with the wrong sequence
  rewrite_record(20, [&](uint8_t* record) {
    uint8_t buffer[kRecordBytesMax];
    const size_t bytes = write_record(skipped, buffer);
    std::memcpy(record, buffer, bytes);
  });
  const ScanResult result = scan();
  EXPECT_EQ(result.status.code(), StatusCode::kCorruption);
  EXPECT_NE(result.status.message().find("sequence gap"), std::string::npos);
  EXPECT_EQ(result.last_sequence, 19u);
}

TEST_F(JournalReaderTest, AHoleIsDamageWithItsSegment) {
  write(200);
  rewrite_record(20, [](uint8_t* record) { std::memset(record, 0, sizeof(RecordHeader)); });
  const ScanResult result = scan();
  ASSERT_TRUE(result.status.is_ok());
  ASSERT_TRUE(result.damage.has_value());
  EXPECT_NE(result.damage->problem.find("hole"), std::string::npos) << result.damage->problem;
  EXPECT_FALSE(result.damage->in_last_segment);
  EXPECT_EQ(result.last_sequence, 19u);
}

TEST_F(JournalReaderTest, AnEmptyLastSegmentPromisesItsFirstSequence) {
  // Rotation makes the new segment's header durable before its first record is: a crash then
  // leaves a last segment with a header and no records.
  JournalWriter writer(storage, config);
  ASSERT_TRUE(writer.open({}, 0).is_ok());
  size_t appended = 0;
  while (writer.segment_index() == 0) {
    ASSERT_TRUE(writer.append(events[appended++]).is_ok());
  }
  storage.crash();
  const ScanResult result = scan();
  ASSERT_TRUE(result.status.is_ok()) << result.status.message();
  EXPECT_FALSE(result.damage.has_value());
  EXPECT_EQ(result.last_sequence, appended - 1);
  EXPECT_EQ(result.append_position.segment_index, 1u);
  EXPECT_EQ(result.append_position.next_sequence, appended);  // the empty segment's first
  JournalWriter resumed(storage, config);
  ASSERT_TRUE(resumed.open(result.append_position, 0).is_ok());
  ASSERT_TRUE(resumed.append(events[appended - 1]).is_ok());
  ASSERT_TRUE(resumed.sync().is_ok());
  const ScanResult after = scan();
  ASSERT_TRUE(after.status.is_ok()) << after.status.message();
  EXPECT_EQ(after.last_sequence, appended);
}

TEST_F(JournalReaderTest, ASpareLeftByACrashedFirstStartIsReplaced) {
  ASSERT_TRUE(storage.create_file("journal/" + spare_name(0), kSmallSegment).is_ok());
  JournalWriter writer(storage, config);
  EXPECT_TRUE(writer.open({}, 0).is_ok());
}

TEST_F(JournalReaderTest, FreshOpenOverExistingSegmentsIsRefused) {
  write(10);
  JournalWriter writer(storage, config);
  EXPECT_EQ(writer.open({}, 0).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tally::journal
