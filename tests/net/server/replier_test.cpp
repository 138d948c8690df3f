// Replier: the ring consumer that answers clients turns each request's entries into one
// Response, delivered once, after the request's last entry, to the connection it came from. The
// ring holds a request's entries together and in order; an entry out of that order is the
// program's error and stops it.
#include "net/server/replier.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "engine/base/monotonic_clock.h"
#include "net/protocol/frame.h"
#include "net/protocol/frame_reader.h"
#include "net/protocol/messages.h"

namespace tally::net {
namespace {

class QuietSink : public ResponseSink {
 public:
  void on_responses_ready() override {}
  void on_overflow(Overflow) override {}
};

class CountingSink : public ResponseSink {
 public:
  void on_responses_ready() override { ++wakes; }
  void on_overflow(Overflow) override {}
  int wakes = 0;
};

// The entries of one request of `count` deposits from `origin`, as the ledger writes them.
std::vector<Outcome> request_of(uint64_t origin, uint64_t request, uint16_t count,
                                uint64_t first_sequence) {
  std::vector<Outcome> entries(count);
  for (uint16_t index = 0; index < count; ++index) {
    Outcome& entry = entries[index];
    entry.sequence = first_sequence + index;
    entry.origin = origin;
    entry.request_id = {.low = request, .high = 9};
    entry.command_index = index;
    entry.type = EventType::Deposited;
    entry.command_type = CommandType::Deposit;
    entry.amount = 10;
    entry.balance = 10 * (index + 1);
    entry.version = index + 2;
    entry.flags = index + 1 == count ? kLastInRequest : 0;
  }
  return entries;
}

// The number of results in each CommandBatchResult framed in `bytes`, in order (empty, and a
// test failure, if a frame is not one).
std::vector<size_t> frame_sizes_of(const std::vector<uint8_t>& bytes) {
  FrameReader reader;
  const std::span<uint8_t> room = reader.prepare();
  EXPECT_GE(room.size(), bytes.size());
  std::copy(bytes.begin(), bytes.begin() + std::min(room.size(), bytes.size()), room.begin());
  reader.commit(std::min(room.size(), bytes.size()));
  std::vector<size_t> results;
  while (const std::optional<uint32_t> length = reader.peek_length()) {
    const std::optional<std::span<const uint8_t>> frame = reader.frame(*length);
    if (!frame) {
      ADD_FAILURE() << "a partial frame";
      return {};
    }
    const std::vector<uint8_t> aligned(frame->begin(), frame->end());
    const protocol::Response* response = verify_response(aligned);
    if (response == nullptr ||
        response->body_type() != protocol::ResponseBody::CommandBatchResult) {
      ADD_FAILURE() << "not a CommandBatchResult";
      return {};
    }
    results.push_back(response->body_as_CommandBatchResult()->results()->size());
    reader.consume(*length);
  }
  return results;
}

class ReplierTest : public ::testing::Test {
 protected:
  MemoryBudget budget{1ULL << 30};
  ResponseRouter router{4, 1 << 20, budget};
  ServerCounters counters;
  RequestTraces traces{16};  // as the logic thread would write them, for a ring of 16
  Replier replier{router, counters, traces};
  uint64_t token = *router.attach(std::make_shared<QuietSink>());
};

TEST_F(ReplierTest, EachRequestIsAnsweredOnceAfterItsLastEntry) {
  for (const Outcome& entry : request_of(token, 1, 3, 1)) {
    std::vector<uint8_t> taken;
    EXPECT_EQ(router.take(token, taken).answered, 0u) << "answered before its last entry";
    replier.on_event(entry, 0, false);
  }
  for (const Outcome& entry : request_of(token, 2, 1, 4)) {
    replier.on_event(entry, 0, true);
  }
  std::vector<uint8_t> taken;
  EXPECT_EQ(router.take(token, taken).answered, 2u);
  EXPECT_EQ(frame_sizes_of(taken), (std::vector<size_t>{3, 1}));
  EXPECT_EQ(counters.requests_answered.load(), 2u);
  EXPECT_EQ(counters.commands.load(), 4u);
}

TEST_F(ReplierTest, AGroupsAnswersGoToEachConnectionTogetherAtTheGroupsEnd) {
  auto other_sink = std::make_shared<CountingSink>();
  const uint64_t other = *router.attach(other_sink);
  const std::vector<Outcome> entries[] = {request_of(token, 1, 2, 1), request_of(other, 2, 1, 3),
                                          request_of(token, 3, 1, 4)};
  std::vector<uint8_t> taken;
  for (const std::vector<Outcome>& request : entries) {
    for (const Outcome& entry : request) {
      replier.on_event(entry, 0, false);
      EXPECT_EQ(router.take(token, taken).answered, 0u) << "delivered before the group's end";
      EXPECT_EQ(other_sink->wakes, 0);
    }
  }
  replier.on_event(request_of(other, 4, 1, 5)[0], 0, true);
  EXPECT_EQ(router.take(token, taken).answered, 2u);
  EXPECT_EQ(frame_sizes_of(taken), (std::vector<size_t>{2, 1}));  // in the order answered
  EXPECT_EQ(other_sink->wakes, 1);                                // once for both of its answers
  EXPECT_EQ(router.take(other, taken).answered, 2u);
  EXPECT_EQ(frame_sizes_of(taken), (std::vector<size_t>{1, 1}));
  EXPECT_EQ(counters.requests_answered.load(), 4u);
}

TEST_F(ReplierTest, ASampledRequestsTimestampsGoWithItsAnswerAndOnlyItsOwn) {
  // Request 1 ends at position 2 and was sampled; request 2 ends at position 18, whose slot
  // still holds position 2's trace (one lap earlier): not sampled.
  const int64_t applied_ns = monotonic_now_ns();
  traces.record({.position = 2, .queued_ns = applied_ns - 1'000, .applied_ns = applied_ns});
  const std::vector<Outcome> sampled = request_of(token, 1, 3, 1);
  for (size_t index = 0; index < sampled.size(); ++index) {
    replier.on_event(sampled[index], static_cast<int64_t>(index), index + 1 == sampled.size());
  }
  std::vector<uint8_t> taken;
  const TakenResponses first = router.take(token, taken);
  EXPECT_EQ(first.answered, 1u);
  ASSERT_TRUE(first.trace.sampled());
  EXPECT_EQ(first.trace.queued_ns, applied_ns - 1'000);
  EXPECT_GE(first.trace.durable_ns, applied_ns);
  EXPECT_EQ(counters.durable_wait.summarize().count, 1u);

  replier.on_event(request_of(token, 2, 1, 4)[0], 18, true);
  const TakenResponses second = router.take(token, taken);
  EXPECT_EQ(second.answered, 1u);
  EXPECT_FALSE(second.trace.sampled());
  EXPECT_EQ(counters.durable_wait.summarize().count, 1u);
}

TEST_F(ReplierTest, AnEntryOutOfItsRequestsOrderStopsTheProcess) {
  const std::vector<Outcome> first = request_of(token, 1, 3, 1);
  const std::vector<Outcome> second = request_of(token, 2, 2, 4);
  // An entry other than a request's first before the one that comes before it.
  EXPECT_DEATH(replier.on_event(first[1], 0, false), "invariant failed");
  // A new request before the last one was answered.
  EXPECT_DEATH(
      {
        replier.on_event(first[0], 0, false);
        replier.on_event(second[0], 0, false);
      },
      "invariant failed");
  // Another request's entry in the middle of one.
  EXPECT_DEATH(
      {
        replier.on_event(first[0], 0, false);
        replier.on_event(second[1], 0, false);
      },
      "invariant failed");
}

}  // namespace
}  // namespace tally::net
