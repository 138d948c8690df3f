// SegmentPreparer: a spare is whole, zero and at its full size once finish() returns, however
// early (prewritten in the background, reserved inline); a failure to make it is reported,
// never lost.
#include "engine/journal/segment_preparer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "engine/journal/posix_storage.h"
#include "support/faulty_storage.h"
#include "support/temporary_directory.h"

namespace tally::journal {
namespace {

class SegmentPreparerTest : public ::testing::Test {
 protected:
  bool whole_and_zero(const std::string& path, uint64_t bytes) {
    std::vector<uint8_t> content;
    return storage.read_file(path, content).is_ok() && content.size() == bytes &&
           std::all_of(content.begin(), content.end(), [](uint8_t byte) { return byte == 0; });
  }

  PosixStorage storage;
  tally::testing::TemporaryDirectory scratch{"tally-preparer-test"};
  const std::string directory = scratch.path();
};

TEST_F(SegmentPreparerTest, FinishingAtOnceWaitsForAWholeFile) {
  constexpr uint64_t kBytes = 8ULL << 20;
  SegmentPreparer preparer(storage, Preparation::kBackground);
  for (uint64_t index = 1; index <= 3; ++index) {  // begin and finish alternate, again and again
    const std::string path = directory + "/" + std::to_string(index) + ".spare";
    ASSERT_TRUE(preparer.begin(path, kBytes).is_ok());
    ASSERT_TRUE(preparer.finish().is_ok());
    EXPECT_TRUE(preparer.done());
    EXPECT_TRUE(whole_and_zero(path, kBytes)) << path;
  }
}

TEST_F(SegmentPreparerTest, ABackgroundFailureIsReportedByFinish) {
  SegmentPreparer preparer(storage, Preparation::kBackground);
  ASSERT_TRUE(preparer.begin(directory + "/missing/3.spare", 4096).is_ok());
  const Status status = preparer.finish();
  ASSERT_FALSE(status.is_ok());
  EXPECT_NE(status.message().find("missing/3.spare"), std::string::npos) << status.message();
  // The next preparation starts afresh.
  ASSERT_TRUE(preparer.begin(directory + "/4.spare", 4096).is_ok());
  EXPECT_TRUE(preparer.finish().is_ok());
}

TEST_F(SegmentPreparerTest, ThePreparerCanBeDestroyedMidWay) {
  {
    SegmentPreparer preparer(storage, Preparation::kBackground);
    ASSERT_TRUE(preparer.begin(directory + "/5.spare", 64ULL << 20).is_ok());
  }
  EXPECT_TRUE(whole_and_zero(directory + "/5.spare", 64ULL << 20));
}

TEST(SegmentPreparerInlineTest, InlineMakesTheFileAtOnceAndReportsAFullDisk) {
  testing::FaultyStorage storage;
  SegmentPreparer preparer(storage, Preparation::kInline);
  ASSERT_TRUE(preparer.begin("journal/1.spare", 8192).is_ok());
  ASSERT_NE(storage.bytes_of("journal/1.spare"), nullptr);  // before finish
  EXPECT_TRUE(preparer.finish().is_ok());

  storage.fail_at(1, StatusCode::kNoSpace);
  EXPECT_EQ(preparer.begin("journal/2.spare", 8192).code(), StatusCode::kNoSpace);
  EXPECT_EQ(preparer.finish().code(), StatusCode::kNoSpace);
}

}  // namespace
}  // namespace tally::journal
