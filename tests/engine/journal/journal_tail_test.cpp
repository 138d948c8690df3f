// JournalTail: the journal's events in order, across segments, never past the durable sequence.
#include "engine/journal/journal_tail.h"

#include <gtest/gtest.h>

#include "support/faulty_storage.h"
#include "support/ledger_harness.h"

namespace tally::journal {
namespace {

constexpr uint64_t kSmallSegment = 4096;  // a few dozen records: the tail must cross segments

class JournalTailTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(writer.open({}, 0).is_ok()); }
  void append(size_t first, size_t count) {
    for (size_t index = first; index < first + count; ++index) {
      ASSERT_TRUE(writer.append(events[index]).is_ok());
    }
    ASSERT_TRUE(writer.sync().is_ok());
  }

  tally::testing::FaultyStorage storage;
  JournalWriter writer{storage, {.directory = "journal", .segment_bytes = kSmallSegment}};
  std::vector<Outcome> events = tally::testing::make_deposit_events(300);
};

TEST_F(JournalTailTest, ReadsEveryDurableEventInOrderAcrossSegments) {
  JournalTail tail(storage, "journal", AppendPosition{});
  Result<const Outcome*> none = tail.next(0);
  ASSERT_TRUE(none.is_ok()) << none.status().message();
  EXPECT_EQ(*none, nullptr);  // nothing durable yet
  append(0, 120);
  ASSERT_GT(writer.segment_index(), 1u);
  for (uint64_t sequence = 1; sequence <= 100; ++sequence) {
    const Result<const Outcome*> event = tail.next(100);
    ASSERT_TRUE(event.is_ok() && *event != nullptr) << sequence << ": " << event.status().message();
    EXPECT_EQ((*event)->sequence, sequence);
    EXPECT_EQ((*event)->amount, events[sequence - 1].amount);
  }
  none = tail.next(100);  // 101 is written, but not said durable
  ASSERT_TRUE(none.is_ok()) << none.status().message();
  EXPECT_EQ(*none, nullptr);
  append(120, 180);
  for (uint64_t sequence = 101; sequence <= 300; ++sequence) {
    const Result<const Outcome*> event = tail.next(writer.durable_sequence());
    ASSERT_TRUE(event.is_ok() && *event != nullptr) << sequence << ": " << event.status().message();
    EXPECT_EQ((*event)->sequence, sequence);
  }
  EXPECT_EQ(tail.next_sequence(), 301u);
}

// A reader started where the journal holds another sequence (a segment swapped, a position that
// does not match) reports it at the first record, instead of handing on events out of order.
TEST_F(JournalTailTest, ARecordThatDoesNotFollowIsReported) {
  append(0, 10);
  JournalTail tail(storage, "journal", AppendPosition{.next_sequence = 5});
  const Result<const Outcome*> event = tail.next(10);
  ASSERT_FALSE(event.is_ok());
  EXPECT_EQ(event.status().code(), StatusCode::kCorruption);
  EXPECT_NE(event.status().message().find("sequence 1 where 5 follows"), std::string::npos)
      << event.status().message();
}

TEST_F(JournalTailTest, ADurableSequenceTheSegmentsDoNotHoldIsReported) {
  append(0, 10);
  JournalTail tail(storage, "journal", AppendPosition{});
  for (int index = 0; index < 10; ++index) {
    const Result<const Outcome*> event = tail.next(10);
    ASSERT_TRUE(event.is_ok() && *event != nullptr);
  }
  EXPECT_FALSE(tail.next(11).is_ok());  // claimed durable, never written
}

}  // namespace
}  // namespace tally::journal
