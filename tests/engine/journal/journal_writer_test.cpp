// JournalWriter on the fault-injecting storage: group commit, rotation, fatal failures, and
// what a crash leaves behind.
#include "engine/journal/journal_writer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "engine/journal/durable_mark.h"
#include "engine/journal/journal_manifest.h"
#include "engine/journal/posix_storage.h"
#include "engine/journal/record_codec.h"
#include "engine/journal/segment_names.h"
#include "support/faulty_storage.h"
#include "support/ledger_harness.h"
#include "support/temporary_directory.h"

namespace tally::journal {
namespace {

constexpr uint64_t kSmallSegment = 4096;  // room for about fifty deposits

// The sequences of the records in the journal's segments, in order, until the first end.
std::vector<uint64_t> read_sequences(tally::testing::FaultyStorage& storage) {
  std::vector<std::string> names;
  EXPECT_TRUE(storage.list_directory("journal", names).is_ok());
  std::vector<uint64_t> sequences;
  for (const std::string& name : names) {
    if (!segment_index_of(name)) {
      continue;
    }
    std::vector<uint8_t> bytes;
    EXPECT_TRUE(storage.read_file("journal/" + name, bytes).is_ok());
    SegmentHeader header;
    std::memcpy(&header, bytes.data(), sizeof(header));
    EXPECT_TRUE(check_segment_header(header).is_ok()) << name;
    for (size_t offset = sizeof(SegmentHeader);;) {
      const ReadResult record = read_record(std::span(bytes).subspan(offset));
      if (record.outcome != ReadOutcome::kRecord) {
        EXPECT_EQ(record.outcome, ReadOutcome::kEnd) << name << " at " << offset;
        break;
      }
      sequences.push_back(record.header.sequence);
      offset += record.record_bytes;
    }
  }
  return sequences;
}

// Where the data of segment `index` ends: the offset of its first non-record.
uint64_t end_of_data(tally::testing::FaultyStorage& storage, uint64_t index) {
  std::vector<uint8_t> bytes;
  EXPECT_TRUE(storage.read_file("journal/" + segment_name(index), bytes).is_ok());
  size_t offset = sizeof(SegmentHeader);
  while (true) {
    const ReadResult record = read_record(std::span(bytes).subspan(offset));
    if (record.outcome != ReadOutcome::kRecord) {
      return offset;
    }
    offset += record.record_bytes;
  }
}

std::vector<uint64_t> one_to(uint64_t last) {
  std::vector<uint64_t> sequences;
  for (uint64_t sequence = 1; sequence <= last; ++sequence) {
    sequences.push_back(sequence);
  }
  return sequences;
}

class JournalWriterTest : public ::testing::Test {
 protected:
  tally::testing::FaultyStorage storage;
  JournalWriter writer{storage, {.directory = "journal", .segment_bytes = kSmallSegment}};
  std::vector<Outcome> events = tally::testing::make_deposit_events(200);
};

TEST_F(JournalWriterTest, AppendsAcrossSegmentsAndSyncsInGroups) {
  ASSERT_TRUE(writer.open({}, 0).is_ok());
  for (size_t index = 0; index < events.size(); ++index) {
    ASSERT_TRUE(writer.append(events[index]).is_ok());
    if (index % 10 == 9) {
      ASSERT_TRUE(writer.sync().is_ok());
      EXPECT_EQ(writer.durable_sequence(), events[index].sequence);
    }
  }
  EXPECT_GE(writer.segment_index(), 3u);
  EXPECT_EQ(read_sequences(storage), one_to(200));
  std::vector<std::string> names;
  ASSERT_TRUE(storage.list_directory("journal", names).is_ok());
  std::erase_if(names, [](const std::string& name) { return name.find('.') == 20; });
  EXPECT_EQ(names, (std::vector<std::string>{"durable.mark", "manifest"}));
  std::vector<std::string> spares;
  ASSERT_TRUE(storage.list_directory("journal", spares).is_ok());
  std::erase_if(spares, [](const std::string& name) { return !name.ends_with(".spare"); });
  EXPECT_EQ(spares, std::vector<std::string>{spare_name(writer.segment_index() + 1)});  // ahead
}

TEST_F(JournalWriterTest, CountsTheBytesAppendedAndTheSyncsMade) {
  ASSERT_TRUE(writer.open({}, 0).is_ok());
  size_t bytes = 0;
  std::vector<uint8_t> scratch(kRecordBytesMax);
  for (size_t index = 0; index < 3; ++index) {
    ASSERT_TRUE(writer.append(events[index]).is_ok());
    bytes += write_record(events[index], scratch);
  }
  EXPECT_EQ(writer.syncs(), 0u);
  ASSERT_TRUE(writer.sync().is_ok());
  ASSERT_TRUE(writer.sync().is_ok());  // nothing new: no second sync of the file
  EXPECT_EQ(writer.syncs(), 1u);
  EXPECT_EQ(writer.appended_bytes(), bytes);
}

// Forwards to a FaultyStorage and remembers where each write by offset ended.
class WriteEndsStorage final : public Storage {
 public:
  explicit WriteEndsStorage(tally::testing::FaultyStorage& inner) : inner_(inner) {}
  std::vector<uint64_t> write_ends;

  Status create_file(const std::string& path, uint64_t bytes) override {
    return inner_.create_file(path, bytes);
  }
  Status create_prewritten_file(const std::string& path, uint64_t bytes) override {
    return inner_.create_prewritten_file(path, bytes);
  }
  Status map_file(const std::string& path, MappedFile& file) override {
    return inner_.map_file(path, file);
  }
  Status unmap_file(MappedFile& file) override { return inner_.unmap_file(file); }
  Status sync(const MappedFile& file, uint64_t offset, uint64_t bytes) override {
    return inner_.sync(file, offset, bytes);
  }
  Status open_for_writing(const std::string& path, WritableFile& file) override {
    return inner_.open_for_writing(path, file);
  }
  Status close_file(WritableFile& file) override { return inner_.close_file(file); }
  Status write(const WritableFile& file, uint64_t offset, std::span<const uint8_t> bytes) override {
    write_ends.push_back(offset + bytes.size());
    return inner_.write(file, offset, bytes);
  }
  Status sync(const WritableFile& file) override { return inner_.sync(file); }
  Status write_file(const std::string& path, std::span<const uint8_t> bytes) override {
    return inner_.write_file(path, bytes);
  }
  Status read_file(const std::string& path, std::vector<uint8_t>& bytes) override {
    return inner_.read_file(path, bytes);
  }
  Status rename(const std::string& from, const std::string& to) override {
    return inner_.rename(from, to);
  }
  Status remove(const std::string& path) override { return inner_.remove(path); }
  Status sync_directory(const std::string& directory) override {
    return inner_.sync_directory(directory);
  }
  Status list_directory(const std::string& directory, std::vector<std::string>& names) override {
    return inner_.list_directory(directory, names);
  }

 private:
  tally::testing::FaultyStorage& inner_;
};

// A group's write runs to the end of its last page (zeros after the records), so that the
// kernel never reads a page to complete it; the next group continues right after the records.
TEST(JournalWriterPagesTest, EveryGroupIsWrittenToAPageEndAndTheNextFollowsItsRecords) {
  tally::testing::FaultyStorage faulty;
  WriteEndsStorage storage(faulty);
  JournalWriter writer{storage, {.directory = "journal", .segment_bytes = 64 * 1024}};
  const std::vector<Outcome> events = tally::testing::make_deposit_events(300);
  ASSERT_TRUE(writer.open({}, 0).is_ok());
  for (size_t index = 0; index < events.size(); ++index) {
    ASSERT_TRUE(writer.append(events[index]).is_ok());
    if (index % 7 == 6) {
      storage.write_ends.clear();
      ASSERT_TRUE(writer.sync().is_ok());
      ASSERT_EQ(storage.write_ends.size(), 1u);
      EXPECT_EQ(storage.write_ends[0] % 4096, 0u) << "group ending with " << index;
    }
  }
  ASSERT_TRUE(writer.sync().is_ok());
  EXPECT_EQ(writer.segment_index(), 0u);  // one segment: every group lands in the same pages
  EXPECT_EQ(read_sequences(faulty), one_to(300));
}

TEST_F(JournalWriterTest, TheManifestNamesEverySegmentAndTheMarkTheSyncedSequence) {
  ASSERT_TRUE(writer.open({}, 0).is_ok());
  for (size_t index = 0; index < 120; ++index) {
    ASSERT_TRUE(writer.append(events[index]).is_ok());
    if (index % 10 == 9) {
      ASSERT_TRUE(writer.sync().is_ok());
      EXPECT_EQ(read_durable_mark(storage, "journal").sequence, index + 1);
    }
  }
  const Result<std::optional<JournalManifest>> open_manifest = read_manifest(storage, "journal");
  ASSERT_TRUE(open_manifest.is_ok() && open_manifest->has_value());
  EXPECT_EQ((*open_manifest)->last_segment, writer.segment_index());
  EXPECT_FALSE((*open_manifest)->clean);
  ASSERT_TRUE(writer.close().is_ok());
  const Result<std::optional<JournalManifest>> closed = read_manifest(storage, "journal");
  ASSERT_TRUE(closed.is_ok() && closed->has_value());
  EXPECT_TRUE((*closed)->clean);
  EXPECT_EQ((*closed)->durable_sequence, 120u);
  EXPECT_GT((*closed)->generation, (*open_manifest)->generation);
}

TEST_F(JournalWriterTest, EveryStaleSpareIsReplacedOnOpen) {
  // A spare two past the end: left when the newest segment was lost, it would have made the
  // next rotation fail with "File exists".
  ASSERT_TRUE(writer.open({}, 0).is_ok());
  ASSERT_TRUE(writer.sync().is_ok());
  ASSERT_TRUE(storage.create_file("journal/" + spare_name(2), 4096).is_ok());
  JournalWriter resumed(storage, {.directory = "journal", .segment_bytes = 4096});
  ASSERT_TRUE(resumed
                  .open({.fresh = false,
                         .segment_index = 0,
                         .offset = sizeof(SegmentHeader),
                         .next_sequence = 1},
                        0)
                  .is_ok());
  std::vector<std::string> names;
  ASSERT_TRUE(storage.list_directory("journal", names).is_ok());
  EXPECT_EQ(std::count(names.begin(), names.end(), spare_name(2)), 0);
  for (size_t index = 0; index < 200; ++index) {
    ASSERT_TRUE(resumed.append(events[index]).is_ok()) << index;
  }
}

TEST_F(JournalWriterTest, ACrashKeepsExactlyWhatWasSynced) {
  ASSERT_TRUE(writer.open({}, 0).is_ok());
  for (size_t index = 0; index < 120; ++index) {
    ASSERT_TRUE(writer.append(events[index]).is_ok());
    if (index == 99) {
      ASSERT_TRUE(writer.sync().is_ok());
    }
  }
  EXPECT_EQ(writer.durable_sequence(), 100u);
  storage.crash();
  EXPECT_EQ(read_sequences(storage), one_to(100));
}

TEST_F(JournalWriterTest, SyncFailureIsFatal) {
  ASSERT_TRUE(writer.open({}, 0).is_ok());
  ASSERT_TRUE(writer.append(events[0]).is_ok());
  ASSERT_TRUE(writer.sync().is_ok());
  ASSERT_TRUE(writer.append(events[1]).is_ok());
  storage.fail_at(1, StatusCode::kIoError, /*sticky=*/false);  // only this sync fails
  EXPECT_EQ(writer.sync().code(), StatusCode::kIoError);
  EXPECT_EQ(writer.durable_sequence(), 1u);
  EXPECT_TRUE(writer.failed());
  // Never retried, and nothing more accepted, though the storage works again.
  EXPECT_EQ(writer.sync().code(), StatusCode::kIoError);
  EXPECT_EQ(writer.append(events[2]).code(), StatusCode::kIoError);
  EXPECT_EQ(writer.durable_sequence(), 1u);
}

TEST_F(JournalWriterTest, DiskFullIsFatalAndNothingMoreIsDurable) {
  ASSERT_TRUE(writer.open({}, 0).is_ok());
  storage.fail_at(1, StatusCode::kNoSpace);  // the disk is full from now on
  Status status;
  size_t appended = 0;
  for (; appended < events.size() && status.is_ok(); ++appended) {
    status = writer.append(events[appended]);  // fails when rotation needs the disk
  }
  EXPECT_EQ(status.code(), StatusCode::kNoSpace);
  EXPECT_EQ(writer.durable_sequence(), 0u);
  EXPECT_EQ(writer.sync().code(), StatusCode::kNoSpace);
  storage.crash();
  storage.heal();
  EXPECT_TRUE(read_sequences(storage).empty());
}

TEST_F(JournalWriterTest, ResumesWhereRecoveryFoundTheEnd) {
  ASSERT_TRUE(writer.open({}, 0).is_ok());
  for (size_t index = 0; index < 30; ++index) {
    ASSERT_TRUE(writer.append(events[index]).is_ok());
  }
  ASSERT_TRUE(writer.sync().is_ok());
  const AppendPosition end{.fresh = false,
                           .segment_index = writer.segment_index(),
                           .offset = end_of_data(storage, writer.segment_index()),
                           .next_sequence = 31};
  JournalWriter resumed(storage, {.directory = "journal", .segment_bytes = kSmallSegment});
  ASSERT_TRUE(resumed.open(end, 0).is_ok());
  for (size_t index = 30; index < 60; ++index) {
    ASSERT_TRUE(resumed.append(events[index]).is_ok());
  }
  ASSERT_TRUE(resumed.sync().is_ok());
  EXPECT_EQ(read_sequences(storage), one_to(60));
}

// On the real file system, as tallyd runs it: records written by offset, spares made by a
// background thread, readers reading through mappings.
class PosixJournalWriterTest : public ::testing::Test {
 protected:
  static constexpr uint64_t kSegmentBytes = 3ULL << 20;

  JournalWriterConfig config() const {
    return {.directory = directory, .segment_bytes = kSegmentBytes, .prepare_in_background = true};
  }
  // Every record of every segment, read back through mappings as recovery reads them.
  std::vector<uint64_t> sequences_on_disk() {
    std::vector<std::string> names;
    EXPECT_TRUE(storage.list_directory(directory, names).is_ok());
    std::vector<uint64_t> sequences;
    for (const std::string& name : names) {
      if (!segment_index_of(name)) {
        continue;
      }
      MappedFile file;
      EXPECT_TRUE(storage.map_file(directory + "/" + name, file).is_ok());
      for (size_t offset = sizeof(SegmentHeader);;) {
        const ReadResult record = read_record(file.bytes.subspan(offset));
        if (record.outcome != ReadOutcome::kRecord) {
          EXPECT_EQ(record.outcome, ReadOutcome::kEnd) << name << " at " << offset;
          break;
        }
        sequences.push_back(record.header.sequence);
        offset += record.record_bytes;
      }
      storage.unmap_file(file);
    }
    return sequences;
  }

  PosixStorage storage;
  tally::testing::TemporaryDirectory scratch{"tally-writer-test"};
  const std::string directory = scratch.path();
};

TEST_F(PosixJournalWriterTest, RecordsSurviveAcrossSegmentsAndARestart) {
  const std::vector<Outcome> events = tally::testing::make_deposit_events(100'000);  // ~8 MB
  uint64_t resumed_at = 0;
  {
    JournalWriter writer(storage, config());
    ASSERT_TRUE(writer.open({}, 0).is_ok());
    for (size_t index = 0; index < 60'000; ++index) {
      ASSERT_TRUE(writer.append(events[index]).is_ok());
      if (index % 97 == 0) {  // groups of every size, some far apart
        ASSERT_TRUE(writer.sync().is_ok());
      }
    }
    ASSERT_TRUE(writer.close().is_ok());
    resumed_at = writer.segment_index();
    EXPECT_GE(resumed_at, 1u);
  }
  EXPECT_EQ(sequences_on_disk(), one_to(60'000));
  // Resume in the middle of the last segment, as recovery would hand it over.
  const std::string last = directory + "/" + segment_name(resumed_at);
  MappedFile file;
  ASSERT_TRUE(storage.map_file(last, file).is_ok());
  uint64_t end = sizeof(SegmentHeader);
  while (true) {
    const ReadResult record = read_record(file.bytes.subspan(end));
    if (record.outcome != ReadOutcome::kRecord) {
      break;
    }
    end += record.record_bytes;
  }
  storage.unmap_file(file);
  JournalWriter resumed(storage, config());
  ASSERT_TRUE(resumed
                  .open({.fresh = false,
                         .segment_index = resumed_at,
                         .offset = end,
                         .next_sequence = 60'001,
                         .first_segment = 0},
                        0)
                  .is_ok());
  for (size_t index = 60'000; index < events.size(); ++index) {
    ASSERT_TRUE(resumed.append(events[index]).is_ok());
    if (index % 1'000 == 0) {
      ASSERT_TRUE(resumed.sync().is_ok());
    }
  }
  ASSERT_TRUE(resumed.close().is_ok());
  EXPECT_EQ(sequences_on_disk(), one_to(100'000));
}

TEST_F(PosixJournalWriterTest, FlushShowsRecordsToReadersWithoutSyncing) {
  const std::vector<Outcome> events = tally::testing::make_deposit_events(10);
  JournalWriter writer(storage, config());
  ASSERT_TRUE(writer.open({}, 0).is_ok());
  for (const Outcome& event : events) {
    ASSERT_TRUE(writer.append(event).is_ok());
  }
  EXPECT_EQ(writer.written_sequence(), 0u);  // buffered
  EXPECT_TRUE(sequences_on_disk().empty());
  ASSERT_TRUE(writer.flush().is_ok());
  EXPECT_EQ(writer.written_sequence(), 10u);
  EXPECT_EQ(writer.durable_sequence(), 0u);
  EXPECT_EQ(sequences_on_disk(), one_to(10));
}

}  // namespace
}  // namespace tally::journal
