// Storage: the real POSIX one on a temporary directory, and the fault-injecting one tests use.
#include "engine/journal/posix_storage.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "support/faulty_storage.h"
#include "support/temporary_directory.h"

namespace tally::journal {
namespace {

class PosixStorageTest : public ::testing::Test {
 protected:
  std::string path(const std::string& name) const { return directory + "/" + name; }
  static size_t open_descriptors() {
    size_t count = 0;
    for ([[maybe_unused]] const auto& entry :
         std::filesystem::directory_iterator("/proc/self/fd")) {
      ++count;
    }
    return count;
  }

  PosixStorage storage;
  tally::testing::TemporaryDirectory scratch{"tally-storage-test"};
  const std::string directory = scratch.path();
};

TEST_F(PosixStorageTest, PreallocatedFileIsZeroAndKeepsWhatIsWrittenThroughTheMapping) {
  ASSERT_TRUE(storage.create_file(path("segment"), 8192).is_ok());
  MappedFile file;
  ASSERT_TRUE(storage.map_file(path("segment"), file).is_ok());
  ASSERT_EQ(file.bytes.size(), 8192u);
  EXPECT_EQ(file.bytes[5000], 0);
  std::memcpy(file.bytes.data() + 5000, "tally", 5);
  ASSERT_TRUE(storage.sync(file, 5000, 5).is_ok());
  ASSERT_TRUE(storage.unmap_file(file).is_ok());
  std::vector<uint8_t> bytes;
  ASSERT_TRUE(storage.read_file(path("segment"), bytes).is_ok());
  ASSERT_EQ(bytes.size(), 8192u);
  EXPECT_EQ(std::memcmp(bytes.data() + 5000, "tally", 5), 0);
}

TEST_F(PosixStorageTest, ExistingAndMissingFilesAreNamedErrors) {
  ASSERT_TRUE(storage.create_file(path("a"), 4096).is_ok());
  const Status exists = storage.create_file(path("a"), 4096);
  EXPECT_EQ(exists.code(), StatusCode::kAlreadyExists);
  EXPECT_NE(exists.message().find(path("a")), std::string::npos);
  MappedFile file;
  EXPECT_EQ(storage.map_file(path("missing"), file).code(), StatusCode::kNotFound);
}

// Whether any of the file's extents is reserved but unwritten (FIEMAP), or nullopt where the
// file system does not say.
std::optional<bool> has_unwritten_extent(const std::string& path) {
  const int descriptor = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (descriptor < 0) {
    return std::nullopt;
  }
  constexpr uint32_t kExtents = 256;
  std::vector<uint8_t> request(sizeof(fiemap) + kExtents * sizeof(fiemap_extent), 0);
  auto* map = reinterpret_cast<fiemap*>(request.data());
  map->fm_length = FIEMAP_MAX_OFFSET;
  map->fm_flags = FIEMAP_FLAG_SYNC;
  map->fm_extent_count = kExtents;
  const int result = ::ioctl(descriptor, FS_IOC_FIEMAP, map);
  ::close(descriptor);
  if (result != 0 || map->fm_mapped_extents == 0) {
    return std::nullopt;
  }
  return std::any_of(
      map->fm_extents, map->fm_extents + map->fm_mapped_extents,
      [](const fiemap_extent& extent) { return (extent.fe_flags & FIEMAP_EXTENT_UNWRITTEN) != 0; });
}

// A prewritten file reads as zeros like a reserved one, at any size (a tail shorter than
// O_DIRECT's unit is written through the cache); where the file system says how its extents
// are, none is left unwritten for a later sync to convert.
TEST_F(PosixStorageTest, APrewrittenFileIsWholeZeroAndHasNoUnwrittenExtent) {
  for (const uint64_t bytes : {uint64_t{3} << 20, (uint64_t{1} << 20) + 4096 + 100}) {
    const std::string name = path("prewritten-" + std::to_string(bytes));
    ASSERT_TRUE(storage.create_prewritten_file(name, bytes).is_ok());
    std::vector<uint8_t> content;
    ASSERT_TRUE(storage.read_file(name, content).is_ok());
    ASSERT_EQ(content.size(), bytes);
    EXPECT_TRUE(
        std::all_of(content.begin(), content.end(), [](uint8_t byte) { return byte == 0; }));
    if (const std::optional<bool> unwritten = has_unwritten_extent(name)) {
      EXPECT_FALSE(*unwritten) << name;
    }
  }
  const Status exists = storage.create_prewritten_file(path("prewritten-3145728"), 4096);
  EXPECT_EQ(exists.code(), StatusCode::kAlreadyExists);
  EXPECT_NE(storage.create_prewritten_file(path("missing/a"), 4096).message().find("missing/a"),
            std::string::npos);
}

// A file larger than a chunk (a snapshot, a checkpoint) is written a chunk at a time, written
// back as it goes: it reads back whole, tail included.
TEST_F(PosixStorageTest, ALargeFileIsWrittenWhole) {
  std::vector<uint8_t> bytes((uint64_t{3} << 20) + 12345);
  for (size_t index = 0; index < bytes.size(); ++index) {
    bytes[index] = static_cast<uint8_t>(index * 131 + index / 4096);
  }
  ASSERT_TRUE(storage.write_file(path("snapshot"), bytes).is_ok());
  std::vector<uint8_t> read;
  ASSERT_TRUE(storage.read_file(path("snapshot"), read).is_ok());
  EXPECT_EQ(read, bytes);
  EXPECT_EQ(storage.write_file(path("snapshot"), bytes).code(), StatusCode::kAlreadyExists);
}

// A reader keeps every segment of a long journal mapped (JournalRecordReader): the mappings
// must not hold a descriptor each, or a few thousand segments would exhaust the process's.
TEST_F(PosixStorageTest, AMappingHoldsNoDescriptor) {
  constexpr int kFiles = 64;
  std::vector<MappedFile> files(kFiles);
  const size_t descriptors_before = open_descriptors();
  for (int index = 0; index < kFiles; ++index) {
    const std::string name = path("segment-" + std::to_string(index));
    ASSERT_TRUE(storage.create_file(name, 4096).is_ok());
    ASSERT_TRUE(storage.map_file(name, files[static_cast<size_t>(index)]).is_ok());
  }
  EXPECT_EQ(open_descriptors(), descriptors_before);
  std::memcpy(files[kFiles - 1].bytes.data(), "tally", 5);  // still writable through the mapping
  ASSERT_TRUE(storage.sync(files[kFiles - 1], 0, 5).is_ok());
  for (MappedFile& file : files) {
    ASSERT_TRUE(storage.unmap_file(file).is_ok());
  }
  std::vector<uint8_t> bytes;
  ASSERT_TRUE(storage.read_file(path("segment-" + std::to_string(kFiles - 1)), bytes).is_ok());
  EXPECT_EQ(std::memcmp(bytes.data(), "tally", 5), 0);
}

TEST_F(PosixStorageTest, WriteRenameListAndRemove) {
  const std::vector<uint8_t> snapshot = {1, 2, 3};
  ASSERT_TRUE(storage.write_file(path("snapshot.tmp"), snapshot).is_ok());
  ASSERT_TRUE(storage.rename(path("snapshot.tmp"), path("snapshot")).is_ok());
  ASSERT_TRUE(storage.sync_directory(directory).is_ok());
  std::vector<std::string> names;
  ASSERT_TRUE(storage.list_directory(directory, names).is_ok());
  EXPECT_EQ(names, std::vector<std::string>{"snapshot"});
  std::vector<uint8_t> read;
  ASSERT_TRUE(storage.read_file(path("snapshot"), read).is_ok());
  EXPECT_EQ(read, snapshot);
  ASSERT_TRUE(storage.remove(path("snapshot")).is_ok());
  EXPECT_EQ(storage.remove(path("snapshot")).code(), StatusCode::kNotFound);
}

TEST_F(PosixStorageTest, WritesByOffsetAreSeenThroughAMappingAndSurviveReopening) {
  ASSERT_TRUE(storage.create_file(path("segment"), 8192).is_ok());
  MappedFile mapped;
  ASSERT_TRUE(storage.map_file(path("segment"), mapped).is_ok());
  WritableFile file;
  ASSERT_TRUE(storage.open_for_writing(path("segment"), file).is_ok());
  EXPECT_EQ(file.bytes, 8192u);
  const std::string word = "ledger";
  ASSERT_TRUE(
      storage
          .write(file, 4093, std::span(reinterpret_cast<const uint8_t*>(word.data()), word.size()))
          .is_ok());
  EXPECT_EQ(std::memcmp(mapped.bytes.data() + 4093, word.data(), word.size()), 0);
  ASSERT_TRUE(storage.sync(file).is_ok());
  ASSERT_TRUE(storage.close_file(file).is_ok());
  EXPECT_EQ(file.descriptor, -1);
  ASSERT_TRUE(storage.unmap_file(mapped).is_ok());
  std::vector<uint8_t> bytes;
  ASSERT_TRUE(storage.read_file(path("segment"), bytes).is_ok());
  EXPECT_EQ(bytes.size(), 8192u);  // a write never grows the file
  EXPECT_EQ(std::memcmp(bytes.data() + 4093, word.data(), word.size()), 0);
}

TEST_F(PosixStorageTest, AWriteOutsideTheFileIsRefusedAndChangesNothing) {
  ASSERT_TRUE(storage.create_file(path("segment"), 4096).is_ok());
  WritableFile file;
  ASSERT_TRUE(storage.open_for_writing(path("segment"), file).is_ok());
  const std::vector<uint8_t> bytes(16, 0xAB);
  EXPECT_EQ(storage.write(file, 4090, bytes).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(storage.write(file, 1ULL << 40, bytes).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(storage.close_file(file).is_ok());
  std::vector<uint8_t> read;
  ASSERT_TRUE(storage.read_file(path("segment"), read).is_ok());
  EXPECT_EQ(read.size(), 4096u);
  EXPECT_TRUE(std::all_of(read.begin(), read.end(), [](uint8_t byte) { return byte == 0; }));
}

TEST_F(PosixStorageTest, AnOpenFileIsWrittenUnderItsNewNameAfterARename) {
  ASSERT_TRUE(storage.create_file(path("spare"), 4096).is_ok());
  WritableFile file;
  ASSERT_TRUE(storage.open_for_writing(path("spare"), file).is_ok());
  ASSERT_TRUE(storage.rename(path("spare"), path("segment")).is_ok());
  const std::vector<uint8_t> bytes(8, 0x5A);
  ASSERT_TRUE(storage.write(file, 100, bytes).is_ok());
  ASSERT_TRUE(storage.sync(file).is_ok());
  ASSERT_TRUE(storage.close_file(file).is_ok());
  std::vector<uint8_t> read;
  ASSERT_TRUE(storage.read_file(path("segment"), read).is_ok());
  EXPECT_EQ(read[100], 0x5A);
}

TEST(FaultyStorageTest, WritesByOffsetAreLostInACrashUntilSynced) {
  testing::FaultyStorage storage;
  ASSERT_TRUE(storage.create_file("journal/0", 8192).is_ok());
  ASSERT_TRUE(storage.sync_directory("journal").is_ok());
  MappedFile mapped;
  ASSERT_TRUE(storage.map_file("journal/0", mapped).is_ok());
  WritableFile file;
  ASSERT_TRUE(storage.open_for_writing("journal/0", file).is_ok());
  ASSERT_TRUE(storage.rename("journal/0", "journal/1").is_ok());  // the descriptor follows
  ASSERT_TRUE(storage.sync_directory("journal").is_ok());
  const std::vector<uint8_t> first(10, 0x11);
  const std::vector<uint8_t> second(10, 0x22);
  ASSERT_TRUE(storage.write(file, 10, first).is_ok());
  EXPECT_EQ(mapped.bytes[10], 0x11);  // a mapping sees it at once
  ASSERT_TRUE(storage.sync(file).is_ok());
  ASSERT_TRUE(storage.write(file, 5000, second).is_ok());
  EXPECT_EQ(storage.write(file, 8190, second).code(), StatusCode::kInvalidArgument);
  storage.close_file(file);
  storage.unmap_file(mapped);
  storage.crash();
  const std::vector<uint8_t>* bytes = storage.bytes_of("journal/1");
  ASSERT_NE(bytes, nullptr);
  EXPECT_EQ((*bytes)[10], 0x11);
  EXPECT_EQ((*bytes)[5000], 0);
}

TEST(FaultyStorageTest, APrewrittenFileIsAnOperationThatCanFailAndIsDurableZeros) {
  testing::FaultyStorage storage;
  storage.fail_at(1, StatusCode::kNoSpace, /*sticky=*/false);
  EXPECT_EQ(storage.create_prewritten_file("journal/1.spare", 8192).code(), StatusCode::kNoSpace);
  EXPECT_EQ(storage.bytes_of("journal/1.spare"), nullptr);
  ASSERT_TRUE(storage.create_prewritten_file("journal/1.spare", 8192).is_ok());
  ASSERT_TRUE(storage.sync_directory("journal").is_ok());
  storage.crash();
  const std::vector<uint8_t>* bytes = storage.bytes_of("journal/1.spare");
  ASSERT_NE(bytes, nullptr);
  EXPECT_EQ(*bytes, std::vector<uint8_t>(8192, 0));
}

TEST(FaultyStorageTest, UnsyncedWritesAreLostInACrash) {
  testing::FaultyStorage storage;
  ASSERT_TRUE(storage.create_file("journal/0", 8192).is_ok());
  ASSERT_TRUE(storage.sync_directory("journal").is_ok());
  MappedFile file;
  ASSERT_TRUE(storage.map_file("journal/0", file).is_ok());
  file.bytes[10] = 1;
  ASSERT_TRUE(storage.sync(file, 10, 1).is_ok());
  file.bytes[20] = 2;  // never synced
  ASSERT_TRUE(storage.unmap_file(file).is_ok());
  storage.crash();
  std::vector<uint8_t> bytes;
  ASSERT_TRUE(storage.read_file("journal/0", bytes).is_ok());
  EXPECT_EQ(bytes[10], 1);
  EXPECT_EQ(bytes[20], 0);
}

TEST(FaultyStorageTest, NamesNeedADirectorySyncToSurviveACrash) {
  testing::FaultyStorage storage;
  ASSERT_TRUE(storage.write_file("data/snapshot", std::vector<uint8_t>{7}).is_ok());
  storage.crash();
  std::vector<uint8_t> bytes;
  EXPECT_EQ(storage.read_file("data/snapshot", bytes).code(), StatusCode::kNotFound);
  ASSERT_TRUE(storage.write_file("data/snapshot", std::vector<uint8_t>{7}).is_ok());
  ASSERT_TRUE(storage.sync_directory("data").is_ok());
  storage.crash();
  EXPECT_TRUE(storage.read_file("data/snapshot", bytes).is_ok());
}

TEST(FaultyStorageTest, TornWriteKeepsOnlySomeUnsyncedPages) {
  testing::FaultyStorage storage;
  ASSERT_TRUE(storage.create_file("journal/0", 3 * testing::FaultyStorage::kPageBytes).is_ok());
  ASSERT_TRUE(storage.sync_directory("journal").is_ok());
  MappedFile file;
  ASSERT_TRUE(storage.map_file("journal/0", file).is_ok());
  std::memset(file.bytes.data(), 0xAB, file.bytes.size());  // three dirty pages
  ASSERT_TRUE(storage.unmap_file(file).is_ok());
  storage.crash(1);
  std::vector<uint8_t> bytes;
  ASSERT_TRUE(storage.read_file("journal/0", bytes).is_ok());
  EXPECT_EQ(bytes[0], 0xAB);
  EXPECT_EQ(bytes[testing::FaultyStorage::kPageBytes], 0);
}

TEST(FaultyStorageTest, InjectedFailureAtTheNthOperationAndAfter) {
  testing::FaultyStorage storage;
  storage.fail_at(2, StatusCode::kNoSpace);
  EXPECT_TRUE(storage.create_file("journal/0", 4096).is_ok());
  const Status full = storage.create_file("journal/1", 4096);
  EXPECT_EQ(full.code(), StatusCode::kNoSpace);
  EXPECT_NE(full.message().find("journal/1"), std::string::npos);
  EXPECT_EQ(storage.sync_directory("journal").code(), StatusCode::kNoSpace);  // sticky
  storage.fail_at(1, StatusCode::kIoError, false);
  EXPECT_EQ(storage.sync_directory("journal").code(), StatusCode::kIoError);
  EXPECT_TRUE(storage.sync_directory("journal").is_ok());  // not sticky
}

}  // namespace
}  // namespace tally::journal
