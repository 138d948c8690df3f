// DurableEventReader: the journal's complete requests from any sequence, across segments, only
// what is durable, with the coverage a subscriber is told.
#include "engine/read/durable_event_reader.h"

#include <gtest/gtest.h>

#include "engine/journal/journal_writer.h"
#include "support/faulty_storage.h"
#include "support/ledger_harness.h"

namespace tally::read {
namespace {

constexpr uint64_t kSmallSegment = 4096;  // a few dozen records: readers must cross segments

class DurableEventReaderTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(writer.open({}, 0).is_ok()); }
  void append(const std::vector<Outcome>& events) {
    for (const Outcome& event : events) {
      ASSERT_TRUE(writer.append(event).is_ok());
    }
    ASSERT_TRUE(writer.sync().is_ok());
  }
  std::unique_ptr<DurableEventReader> open(uint64_t from, uint64_t durable) {
    Result<std::unique_ptr<DurableEventReader>> reader =
        DurableEventReader::open(storage, "journal", from, durable);
    EXPECT_TRUE(reader.is_ok()) << reader.status().message();
    return reader.is_ok() ? std::move(reader).value() : nullptr;
  }
  // Everything the reader hands out up to `durable`.
  std::vector<Outcome> read_all(DurableEventReader& reader, uint64_t durable) {
    std::vector<Outcome> out;
    for (;;) {
      Result<size_t> read = reader.read(durable, 50, out);
      EXPECT_TRUE(read.is_ok()) << read.status().message();
      if (!read.is_ok() || (*read == 0 && reader.next_sequence() > durable)) {
        return out;
      }
    }
  }

  tally::testing::FaultyStorage storage;
  journal::JournalWriter writer{storage, {.directory = "journal", .segment_bytes = kSmallSegment}};
};

TEST_F(DurableEventReaderTest, StartsAtAnySequenceAcrossSegments) {
  append(tally::testing::make_deposit_events(300));
  ASSERT_GT(writer.segment_index(), 3u);
  for (const uint64_t from : {1u, 2u, 37u, 150u, 299u, 300u, 301u}) {
    std::unique_ptr<DurableEventReader> reader = open(from, 300);
    ASSERT_NE(reader, nullptr);
    const std::vector<Outcome> events = read_all(*reader, 300);
    ASSERT_EQ(events.size(), 301 - from) << from;
    for (size_t index = 0; index < events.size(); ++index) {
      EXPECT_EQ(events[index].sequence, from + index);
    }
    EXPECT_EQ(reader->covered_through(), 300u);
  }
}

TEST_F(DurableEventReaderTest, ReadsOnlyWhatIsDurableAndThenWhatFollows) {
  const std::vector<Outcome> events = tally::testing::make_deposit_events(100);
  std::unique_ptr<DurableEventReader> reader = open(1, 0);  // a fresh journal
  ASSERT_NE(reader, nullptr);
  EXPECT_TRUE(read_all(*reader, 0).empty());
  EXPECT_EQ(reader->covered_through(), 0u);
  append({events.begin(), events.begin() + 60});
  EXPECT_EQ(read_all(*reader, 40).size(), 40u);
  EXPECT_EQ(reader->covered_through(), 40u);
  append({events.begin() + 60, events.end()});
  const std::vector<Outcome> rest = read_all(*reader, 100);
  ASSERT_EQ(rest.size(), 60u);
  EXPECT_EQ(rest.front().sequence, 41u);
  EXPECT_EQ(reader->covered_through(), 100u);
}

TEST_F(DurableEventReaderTest, ASequenceOutsideTheJournalIsNotFound) {
  append(tally::testing::make_deposit_events(20));
  const Result<std::unique_ptr<DurableEventReader>> past =
      DurableEventReader::open(storage, "journal", 22, 20);
  ASSERT_FALSE(past.is_ok());
  EXPECT_EQ(past.status().code(), StatusCode::kNotFound);
  EXPECT_NE(past.status().message().find("past the journal's durable end"), std::string::npos);
  EXPECT_TRUE(DurableEventReader::open(storage, "journal", 21, 20).is_ok());  // the next one
}

// A request a crash cut (its last event never journaled, another request after it) is covered
// but never handed out; a request that started before the first sequence wanted is handed out
// from that sequence on, once it is complete.
TEST_F(DurableEventReaderTest, CutRequestsAreCoveredButNeverHandedOut) {
  std::vector<Outcome> events = tally::testing::make_deposit_events(10);
  // Events 4, 5, 6 are one request; 7 and 8 one that was cut (no last event).
  for (const uint64_t sequence : {4u, 5u, 7u, 8u}) {
    Outcome& event = events[sequence - 1];
    event.flags = static_cast<uint8_t>(event.flags & ~kLastInRequest);
  }
  for (const uint64_t sequence : {5u, 6u, 8u}) {
    events[sequence - 1].request_id = events[sequence - 2].request_id;
    events[sequence - 1].command_index =
        static_cast<uint16_t>(events[sequence - 2].command_index + 1);
  }
  append(events);

  std::unique_ptr<DurableEventReader> whole = open(1, 10);
  std::vector<uint64_t> sequences;
  for (const Outcome& event : read_all(*whole, 8)) {
    sequences.push_back(event.sequence);
  }
  EXPECT_EQ(sequences, (std::vector<uint64_t>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(whole->covered_through(), 6u);  // 7 and 8 may still be completed
  sequences.clear();
  for (const Outcome& event : read_all(*whole, 10)) {
    sequences.push_back(event.sequence);
  }
  EXPECT_EQ(sequences, (std::vector<uint64_t>{9, 10}));  // 9 starts another request: 7, 8 cut
  EXPECT_EQ(whole->covered_through(), 10u);

  std::unique_ptr<DurableEventReader> middle = open(5, 10);
  sequences.clear();
  for (const Outcome& event : read_all(*middle, 10)) {
    sequences.push_back(event.sequence);
  }
  EXPECT_EQ(sequences, (std::vector<uint64_t>{5, 6, 9, 10}));
}

}  // namespace
}  // namespace tally::read
