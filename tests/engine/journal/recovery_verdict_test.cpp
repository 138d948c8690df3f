// Recovery's verdict on a damaged journal, named after the failure modes it must tell apart: a
// torn tail (never synced: cut, counted, kept aside) against corruption of what was once synced
// (refused, with file, offset and sequence, and nothing on disk changed).
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "engine/journal/durable_mark.h"
#include "engine/journal/journal_manifest.h"
#include "engine/journal/record_codec.h"
#include "engine/journal/recovery.h"
#include "engine/journal/segment_names.h"
#include "support/faulty_storage.h"
#include "support/ledger_harness.h"

namespace tally::journal {
namespace {

constexpr uint64_t kSmallSegment = 4096;  // about fifty deposits per segment

class RecoveryVerdictTest : public ::testing::Test {
 protected:
  // Appends events[from..to) and syncs them as one group.
  void append_group(JournalWriter& writer, size_t from, size_t to) {
    for (size_t index = from; index < to; ++index) {
      ASSERT_TRUE(writer.append(events[index]).is_ok());
    }
    ASSERT_TRUE(writer.sync().is_ok());
  }

  // A server's life: `count` events in groups of ten, then a clean stop or a kill (the page
  // cache keeps everything; nothing more is written).
  void run(size_t count, bool clean_stop) {
    JournalWriter writer(storage, config);
    ASSERT_TRUE(writer.open({}, 0).is_ok());
    for (size_t from = 0; from < count; from += 10) {
      append_group(writer, from, std::min(count, from + 10));
    }
    if (clean_stop) {
      ASSERT_TRUE(writer.close().is_ok());
    }
  }

  RecoveryReport recover_journal(const RecoveryOptions& options = {}) {
    ledger = std::make_unique<Ledger>(LedgerLimits{});
    return recover(storage, "journal", *ledger, options);
  }

  // The offset of the record with `sequence` in segment `index`.
  uint64_t offset_of(uint64_t sequence, uint64_t index = 0) {
    MappedFile file;
    EXPECT_TRUE(storage.map_file("journal/" + segment_name(index), file).is_ok());
    for (uint64_t offset = sizeof(SegmentHeader);;) {
      const ReadResult record = read_record(file.bytes.subspan(offset));
      if (record.outcome != ReadOutcome::kRecord) {
        ADD_FAILURE() << "no record " << sequence;
        return 0;
      }
      if (record.header.sequence == sequence) {
        return offset;
      }
      offset += record.record_bytes;
    }
  }

  // Changes bytes of a segment as a failing disk would (durably, behind the journal's back).
  void overwrite(uint64_t index, uint64_t offset, std::span<const uint8_t> bytes) {
    MappedFile file;
    ASSERT_TRUE(storage.map_file("journal/" + segment_name(index), file).is_ok());
    std::memcpy(file.bytes.data() + offset, bytes.data(), bytes.size());
    ASSERT_TRUE(storage.sync(file, 0, file.bytes.size()).is_ok());
  }
  void flip_bit(uint64_t index, uint64_t offset) {
    std::vector<uint8_t> file;
    ASSERT_TRUE(storage.read_file("journal/" + segment_name(index), file).is_ok());
    const uint8_t flipped = file[offset] ^ 0x04;
    overwrite(index, offset, std::span(&flipped, 1));
  }
  std::vector<uint8_t> contents(const std::string& path) {
    std::vector<uint8_t> bytes;
    EXPECT_TRUE(storage.read_file(path, bytes).is_ok()) << path;
    return bytes;
  }

  tally::testing::FaultyStorage storage;
  JournalWriterConfig config{.directory = "journal", .segment_bytes = kSmallSegment};
  std::vector<Outcome> events = tally::testing::make_deposit_events(400);
  std::unique_ptr<Ledger> ledger;
};

TEST_F(RecoveryVerdictTest, ACleanJournalRecoversWholeAndSaysItStoppedCleanly) {
  run(20, true);
  const RecoveryReport report = recover_journal();
  ASSERT_TRUE(report.status.is_ok()) << report.status.message();
  EXPECT_EQ(report.last_sequence, 20u);
  EXPECT_TRUE(report.clean_shutdown);
  EXPECT_EQ(report.synced_floor, 20u);
  EXPECT_FALSE(report.cut.has_value());
}

// The case: an account, 19 deposits, a clean stop, one bit flipped at byte 200.
TEST_F(RecoveryVerdictTest, AFlippedBitInAnAcknowledgedRecordIsRefusedNotCutAsATornTail) {
  for (const bool clean_stop : {true, false}) {
    storage = tally::testing::FaultyStorage();
    run(20, clean_stop);
    // Byte 200 is in the second record (the account's opening is the first).
    const uint64_t record = offset_of(2);
    ASSERT_LE(record, 200u);
    ASSERT_GT(offset_of(3), 200u);
    flip_bit(0, 200);
    const std::vector<uint8_t> before = contents("journal/" + segment_name(0));
    const RecoveryReport report = recover_journal();
    ASSERT_EQ(report.status.code(), StatusCode::kCorruption) << clean_stop;
    const std::string& message = report.status.message();
    EXPECT_NE(message.find("journal/" + segment_name(0)), std::string::npos) << message;
    EXPECT_NE(message.find("offset " + std::to_string(record)), std::string::npos) << message;
    EXPECT_NE(message.find("expecting sequence 2:"), std::string::npos) << message;
    EXPECT_NE(message.find("not a torn tail"), std::string::npos) << message;
    EXPECT_EQ(contents("journal/" + segment_name(0)), before) << "recovery changed the evidence";
  }
}

TEST_F(RecoveryVerdictTest, TheLastRecordsZeroedExactlyAreRefused) {
  for (const uint64_t zeroed : {1u, 5u}) {
    for (const bool clean_stop : {true, false}) {
      storage = tally::testing::FaultyStorage();
      run(20, clean_stop);
      const uint64_t from = offset_of(21 - zeroed);
      const uint64_t to = offset_of(20) + record_bytes(46);
      overwrite(0, from, std::vector<uint8_t>(to - from, 0));
      const RecoveryReport report = recover_journal();
      ASSERT_EQ(report.status.code(), StatusCode::kCorruption) << zeroed << " " << clean_stop;
      EXPECT_NE(report.status.message().find("acknowledged events are missing"), std::string::npos)
          << report.status.message();
      EXPECT_NE(report.status.message().find("ends at sequence " + std::to_string(20 - zeroed)),
                std::string::npos)
          << report.status.message();
    }
  }
}

TEST_F(RecoveryVerdictTest, ATornTailAboveTheFloorIsCutCountedAndKeptAside) {
  JournalWriter writer(storage, config);
  ASSERT_TRUE(writer.open({}, 0).is_ok());
  append_group(writer, 0, 20);  // acknowledged
  for (size_t index = 20; index < 30; ++index) {
    ASSERT_TRUE(writer.append(events[index]).is_ok());  // written, never synced
  }
  ASSERT_TRUE(writer.flush().is_ok());  // in the page cache, as a killed process leaves it
  const uint64_t torn_at = offset_of(25);
  std::vector<uint8_t> page;
  ASSERT_TRUE(storage.read_file("journal/" + segment_name(0), page).is_ok());
  const std::vector<uint8_t> cut_bytes(page.begin() + static_cast<ptrdiff_t>(torn_at),
                                       page.begin() + static_cast<ptrdiff_t>(offset_of(30) + 80));
  flip_bit(0, torn_at + 40);  // the crash tore record 25; 26..30 made it
  const RecoveryReport report = recover_journal();
  ASSERT_TRUE(report.status.is_ok()) << report.status.message();
  ASSERT_TRUE(report.cut.has_value());
  EXPECT_TRUE(report.cut->torn_tail);
  EXPECT_EQ(report.cut->first_sequence, 25u);
  EXPECT_EQ(report.cut->events_cut, 6u);
  EXPECT_EQ(report.cut->offset, torn_at);
  EXPECT_EQ(report.synced_floor, 20u);
  EXPECT_EQ(report.last_sequence, 24u);
  std::vector<uint8_t> kept = contents(report.cut->saved_to);
  ASSERT_LE(kept.size(), cut_bytes.size());  // up to the last written byte
  ASSERT_GT(kept.size(), cut_bytes.size() - kRecordAlignment);
  kept[40] ^= 0x04;
  EXPECT_TRUE(std::equal(kept.begin(), kept.end(), cut_bytes.begin()));
  const RecoveryReport again = recover_journal();  // the cut was applied: clean now
  ASSERT_TRUE(again.status.is_ok()) << again.status.message();
  EXPECT_FALSE(again.cut.has_value());
  EXPECT_EQ(again.last_sequence, 24u);
}

TEST_F(RecoveryVerdictTest, ALaterRecordProvesAnEarlierOneWasSyncedEvenWithoutAMark) {
  run(30, false);
  ASSERT_TRUE(storage.remove("journal/" + std::string(kDurableMarkName)).is_ok());
  flip_bit(0, offset_of(15) + 40);  // 21..30 were written after 1..20 were synced
  const RecoveryReport report = recover_journal();
  ASSERT_EQ(report.status.code(), StatusCode::kCorruption);
  EXPECT_NE(report.status.message().find("later record"), std::string::npos)
      << report.status.message();
}

TEST_F(RecoveryVerdictTest, TheNewestSegmentDeletedIsRefused) {
  run(120, true);  // three segments
  ASSERT_TRUE(storage.remove("journal/" + segment_name(2)).is_ok());
  const RecoveryReport report = recover_journal();
  ASSERT_EQ(report.status.code(), StatusCode::kCorruption);
  EXPECT_NE(report.status.message().find(segment_name(2) + " is missing"), std::string::npos)
      << report.status.message();
}

TEST_F(RecoveryVerdictTest, TheOnlySegmentDeletedIsRefused) {
  run(20, false);
  ASSERT_TRUE(storage.remove("journal/" + segment_name(0)).is_ok());
  const RecoveryReport report = recover_journal();
  ASSERT_EQ(report.status.code(), StatusCode::kCorruption);
  EXPECT_NE(report.status.message().find("has none"), std::string::npos) << report.status.message();
}

TEST_F(RecoveryVerdictTest, AMissingManifestIsRefused) {
  run(20, true);
  ASSERT_TRUE(storage.remove("journal/" + std::string(kManifestName)).is_ok());
  const RecoveryReport report = recover_journal();
  ASSERT_EQ(report.status.code(), StatusCode::kCorruption);
  EXPECT_NE(report.status.message().find("manifest is missing"), std::string::npos)
      << report.status.message();
}

TEST_F(RecoveryVerdictTest, ADamagedManifestIsRefused) {
  run(20, true);
  std::vector<uint8_t> manifest = contents("journal/" + std::string(kManifestName));
  manifest[30] ^= 1;
  ASSERT_TRUE(storage.remove("journal/" + std::string(kManifestName)).is_ok());
  ASSERT_TRUE(storage.write_file("journal/" + std::string(kManifestName), manifest).is_ok());
  const RecoveryReport report = recover_journal();
  ASSERT_EQ(report.status.code(), StatusCode::kCorruption);
  EXPECT_NE(report.status.message().find("manifest"), std::string::npos);
}

TEST_F(RecoveryVerdictTest, AJournalShorterThanItsSnapshotIsRefusedBeforeAnythingIsWritten) {
  JournalWriter writer(storage, config);
  ASSERT_TRUE(writer.open({}, 0).is_ok());
  append_group(writer, 0, 20);
  for (size_t index = 20; index < 30; ++index) {
    ASSERT_TRUE(writer.append(events[index]).is_ok());
  }
  ASSERT_TRUE(writer.flush().is_ok());  // in the page cache, as a killed process leaves it
  flip_bit(0, offset_of(25) + 40);      // torn, unless a snapshot already holds sequence 27
  const std::vector<uint8_t> before = contents("journal/" + segment_name(0));
  const RecoveryReport report = recover_journal({.snapshot_sequence = 27});
  ASSERT_EQ(report.status.code(), StatusCode::kCorruption);
  EXPECT_NE(report.status.message().find("snapshot at sequence 27"), std::string::npos)
      << report.status.message();
  EXPECT_EQ(contents("journal/" + segment_name(0)), before);
}

TEST_F(RecoveryVerdictTest, SnapshotsWithoutAnyJournalAreRefused) {
  const RecoveryReport report = recover_journal({.snapshot_sequence = 5});
  ASSERT_EQ(report.status.code(), StatusCode::kCorruption);
  EXPECT_NE(report.status.message().find("no segments"), std::string::npos);
}

TEST_F(RecoveryVerdictTest, AnInterruptedRotationIsAccepted) {
  run(45, false);  // segment 0 nearly full
  const std::vector<uint8_t> manifest = contents("journal/" + std::string(kManifestName));
  {
    JournalWriter writer(storage, config);
    RecoveryReport report = recover_journal();
    ASSERT_TRUE(report.status.is_ok()) << report.status.message();
    ASSERT_TRUE(writer.open(report.append_position, 0).is_ok());
    size_t next = 45;
    while (writer.segment_index() == 0) {
      ASSERT_TRUE(writer.append(events[next++]).is_ok());
    }
  }
  // The crash came after the new segment was named, before the manifest said so, and before
  // anything in the new segment was synced.
  storage.crash();
  const Result<JournalManifest> old_manifest = decode_manifest(manifest);
  ASSERT_TRUE(old_manifest.is_ok()) << old_manifest.status().message();
  ASSERT_TRUE(write_manifest(storage, "journal", *old_manifest).is_ok());
  const RecoveryReport report = recover_journal();
  ASSERT_TRUE(report.status.is_ok()) << report.status.message();
  EXPECT_EQ(report.append_position.segment_index, 1u);
}

TEST_F(RecoveryVerdictTest, AFirstStartThatCrashedBeforeItsManifestIsAccepted) {
  JournalWriter writer(storage, config);
  storage.fail_at(7, StatusCode::kIoError);  // past creating segment 0, before the manifest
  EXPECT_FALSE(writer.open({}, 0).is_ok());
  storage.heal();
  storage.crash();
  ASSERT_TRUE(storage.remove("journal/" + std::string(kManifestName)).is_ok() ||
              true);  // whether or not it got that far
  const RecoveryReport report = recover_journal();
  ASSERT_TRUE(report.status.is_ok()) << report.status.message();
}

TEST_F(RecoveryVerdictTest, CorruptionIsCutOnlyWhenTheOperatorAsks) {
  run(130, true);
  flip_bit(0, offset_of(10) + 40);
  ASSERT_EQ(recover_journal().status.code(), StatusCode::kCorruption);
  const RecoveryReport report = recover_journal({.cut_at_corruption = true});
  ASSERT_TRUE(report.status.is_ok()) << report.status.message();
  ASSERT_TRUE(report.cut.has_value());
  EXPECT_FALSE(report.cut->torn_tail);
  EXPECT_EQ(report.last_sequence, 9u);
  EXPECT_FALSE(report.warnings.empty());
  JournalWriter writer(storage, config);
  ASSERT_TRUE(writer.open(report.append_position, 0).is_ok());  // a new manifest: 9 is the end
  const RecoveryReport again = recover_journal();
  ASSERT_TRUE(again.status.is_ok()) << again.status.message();
  EXPECT_EQ(again.last_sequence, 9u);
  EXPECT_EQ(again.append_position.segment_index, 0u);  // later segments were dropped
}

TEST_F(RecoveryVerdictTest, PagesWrittenBackOutOfOrderAfterAPowerLossAreATornTail) {
  config.segment_bytes = 1 << 16;
  JournalWriter writer(storage, config);
  ASSERT_TRUE(writer.open({}, 0).is_ok());
  append_group(writer, 0, 40);  // 1..40 durable, 41..200 not
  for (size_t index = 40; index < 200; ++index) {
    ASSERT_TRUE(writer.append(events[index]).is_ok());
  }
  ASSERT_TRUE(writer.flush().is_ok());  // in the page cache, as a killed process leaves it
  // The kernel wrote back every dirty page of the segment but its first: a hole, then data.
  std::map<std::string, size_t> seen;
  storage.crash_keeping([&](const std::string& path, size_t) {
    return path.ends_with(".segment") && seen[path]++ > 0;
  });
  const RecoveryReport report = recover_journal();
  ASSERT_TRUE(report.status.is_ok()) << report.status.message();
  ASSERT_TRUE(report.cut.has_value());
  EXPECT_TRUE(report.cut->torn_tail);
  EXPECT_GE(report.last_sequence, 40u);
  EXPECT_LT(report.last_sequence, 200u);
  const RecoveryReport again = recover_journal();
  ASSERT_TRUE(again.status.is_ok());
  EXPECT_FALSE(again.cut.has_value());
  EXPECT_EQ(again.last_sequence, report.last_sequence);
}

TEST_F(RecoveryVerdictTest, AReadOnlyAssessmentChangesNothing) {
  JournalWriter writer(storage, config);
  ASSERT_TRUE(writer.open({}, 0).is_ok());
  append_group(writer, 0, 20);
  for (size_t index = 20; index < 30; ++index) {
    ASSERT_TRUE(writer.append(events[index]).is_ok());
  }
  ASSERT_TRUE(writer.flush().is_ok());  // in the page cache, as a killed process leaves it
  flip_bit(0, offset_of(25) + 40);
  const std::vector<uint8_t> before = contents("journal/" + segment_name(0));
  const RecoveryReport report = assess_journal(storage, "journal", {.read_only = true},
                                               [](const Outcome&) { return Status::ok(); });
  ASSERT_TRUE(report.status.is_ok());
  ASSERT_TRUE(report.cut.has_value());
  EXPECT_TRUE(report.cut->saved_to.empty());
  EXPECT_EQ(contents("journal/" + segment_name(0)), before);
}

}  // namespace
}  // namespace tally::journal
