// ResponseRouter: tokens, wake-ups, hand-over of framed responses, overflow and detaching, and
// the memory it charges to the server's budget.
#include "net/server/response_router.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace tally::net {
namespace {

class CountingSink : public ResponseSink {
 public:
  void on_responses_ready() override { wakes.fetch_add(1); }
  void on_overflow(Overflow) override { overflows.fetch_add(1); }
  std::atomic<int> wakes{0};
  std::atomic<int> overflows{0};
};

std::vector<uint8_t> bytes(size_t count, uint8_t value) {
  return std::vector<uint8_t>(count, value);
}

// A budget no test here reaches.
MemoryBudget& ample_budget() {
  static MemoryBudget budget(1ULL << 40);
  return budget;
}

TEST(ResponseRouterTest, TokensAreDistinctNonZeroAndLimitedToTheSlots) {
  ResponseRouter router(2, 1024, ample_budget());
  const auto first = router.attach(std::make_shared<CountingSink>());
  const auto second = router.attach(std::make_shared<CountingSink>());
  ASSERT_TRUE(first && second);
  EXPECT_NE(*first, 0u);
  EXPECT_NE(*first, *second);
  EXPECT_FALSE(router.attach(std::make_shared<CountingSink>()).has_value());
  EXPECT_EQ(router.open_connections(), 2u);
  router.detach(*first);
  EXPECT_EQ(router.open_connections(), 1u);
  const auto third = router.attach(std::make_shared<CountingSink>());
  ASSERT_TRUE(third.has_value());
  EXPECT_NE(*third, *first);  // the slot is reused under a new generation
}

TEST(ResponseRouterTest, TheSinkIsWokenOnceUntilTakeFindsTheOutboxEmpty) {
  ResponseRouter router(1, 1024, ample_budget());
  auto sink = std::make_shared<CountingSink>();
  const uint64_t token = *router.attach(sink);
  EXPECT_TRUE(router.deliver(token, bytes(10, 1), 1));
  EXPECT_TRUE(router.deliver(token, bytes(5, 2), 1));
  EXPECT_EQ(sink->wakes.load(), 1);
  std::vector<uint8_t> out;
  TakenResponses taken = router.take(token, out);
  EXPECT_EQ(out.size(), 15u);
  EXPECT_EQ(taken.answered, 2u);
  EXPECT_FALSE(router.all_written());  // taken, being written
  EXPECT_TRUE(router.deliver(token, bytes(3, 3), 0));
  EXPECT_EQ(sink->wakes.load(), 1);  // the writer will take again: no second wake
  taken = router.take(token, out);
  EXPECT_EQ(out, bytes(3, 3));
  EXPECT_EQ(taken.answered, 0u);
  taken = router.take(token, out);
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(router.all_written());
  EXPECT_TRUE(router.deliver(token, bytes(1, 4), 1));
  EXPECT_EQ(sink->wakes.load(), 2);  // the outbox was drained: wake again
}

TEST(ResponseRouterTest, DeliveriesToADetachedConnectionAreDropped) {
  ResponseRouter router(1, 1024, ample_budget());
  const uint64_t token = *router.attach(std::make_shared<CountingSink>());
  router.detach(token);
  EXPECT_FALSE(router.deliver(token, bytes(4, 1), 1));
  const uint64_t next = *router.attach(std::make_shared<CountingSink>());
  EXPECT_FALSE(router.deliver(token, bytes(4, 1), 1));  // the old token stays dead
  std::vector<uint8_t> out;
  router.take(next, out);
  EXPECT_TRUE(out.empty());
}

TEST(ResponseRouterTest, AnOutboxOverItsBoundOverflowsAndStaysOverflowed) {
  ResponseRouter router(1, 100, ample_budget());
  auto sink = std::make_shared<CountingSink>();
  const uint64_t token = *router.attach(sink);
  EXPECT_TRUE(router.deliver(token, bytes(60, 1), 1));
  std::vector<uint8_t> out;
  router.take(token, out);  // 60 bytes now being written count against the bound
  EXPECT_TRUE(router.deliver(token, bytes(50, 2), 1));
  EXPECT_FALSE(router.deliver(token, bytes(1, 3), 1));
  EXPECT_EQ(router.take(token, out).overflow, Overflow::kOutboxLimit);
}

TEST(ResponseRouterTest, ConcurrentDeliveriesArriveWholeAndInOrderPerThread) {
  ResponseRouter router(1, 1 << 30, ample_budget());
  auto sink = std::make_shared<CountingSink>();
  const uint64_t token = *router.attach(sink);
  constexpr int kMessages = 20000;
  std::thread producer([&] {
    for (int index = 0; index < kMessages; ++index) {
      router.deliver(token, bytes(4, static_cast<uint8_t>(index)), 1);
    }
  });
  std::vector<uint8_t> received;
  size_t answered = 0;
  std::vector<uint8_t> out;
  while (answered < kMessages) {
    answered += router.take(token, out).answered;
    received.insert(received.end(), out.begin(), out.end());
  }
  producer.join();
  ASSERT_EQ(received.size(), 4u * kMessages);
  for (int index = 0; index < kMessages; ++index) {
    ASSERT_EQ(received[4 * static_cast<size_t>(index)], static_cast<uint8_t>(index));
  }
}

TEST(ResponseRouterTest, EveryOutboxByteIsChargedUntilWrittenAndReleasedWhenTheConnectionGoes) {
  MemoryBudget budget(1 << 20);
  ResponseRouter router(1, 1 << 20, budget);
  const uint64_t token = *router.attach(std::make_shared<CountingSink>());
  EXPECT_TRUE(router.deliver(token, bytes(100, 1), 1));
  EXPECT_EQ(budget.in_use_bytes(), ResponseRouter::kFirstOutboxBytes);  // its capacity
  std::vector<uint8_t> out;
  router.take(token, out);  // being written: still held
  EXPECT_EQ(budget.in_use_bytes(), ResponseRouter::kFirstOutboxBytes);
  router.take(token, out);  // written: a small buffer is kept for the next answers
  EXPECT_EQ(budget.in_use_bytes(), ResponseRouter::kFirstOutboxBytes);
  EXPECT_TRUE(router.deliver(token, bytes(10, 2), 1));
  EXPECT_EQ(budget.in_use_bytes(), ResponseRouter::kFirstOutboxBytes);  // it was reused
  router.detach(token);
  EXPECT_EQ(budget.in_use_bytes(), 0u);
  // The slot's next connection starts from nothing: its first answer is charged again (the
  // detached outbox's memory went back, it was not kept with the slot).
  const uint64_t next = *router.attach(std::make_shared<CountingSink>());
  EXPECT_TRUE(router.deliver(next, bytes(100, 3), 1));
  EXPECT_EQ(budget.in_use_bytes(), ResponseRouter::kFirstOutboxBytes);
  std::vector<uint8_t> next_out;
  router.take(next, next_out);
  router.detach(next);
  EXPECT_EQ(budget.in_use_bytes(), 0u);
}

TEST(ResponseRouterTest, ALargeBufferIsGivenBackOnceWritten) {
  MemoryBudget budget(1 << 20);
  ResponseRouter router(1, 1 << 20, budget);
  const uint64_t token = *router.attach(std::make_shared<CountingSink>());
  EXPECT_TRUE(router.deliver(token, bytes(100'000, 1), 1));
  EXPECT_EQ(budget.in_use_bytes(), 100'000u);
  std::vector<uint8_t> out;
  router.take(token, out);
  EXPECT_EQ(budget.in_use_bytes(), 100'000u);
  router.take(token, out);
  EXPECT_EQ(budget.in_use_bytes(), 0u);
  EXPECT_EQ(out.capacity(), 0u);
  EXPECT_EQ(budget.peak_bytes(), 100'000u);
}

TEST(ResponseRouterTest, ALargeOutboxOverflowsAtTheLargeOutboxesLineAndSmallOnesGoOn) {
  MemoryBudget budget(1 << 20);  // large outboxes' line: 1.5 MiB; ceiling: 2 MiB
  ResponseRouter router(2, 1 << 30, budget);
  auto large_sink = std::make_shared<CountingSink>();
  const uint64_t large = *router.attach(large_sink);
  const uint64_t small = *router.attach(std::make_shared<CountingSink>());
  EXPECT_TRUE(router.deliver(large, bytes(1'000'000, 1), 1));
  ASSERT_TRUE(budget.try_charge_within_ceiling(600'000));  // say, held queries: 1.6 MB in use
  EXPECT_TRUE(router.deliver(small, bytes(100, 2), 1));    // a small outbox may pass the line
  EXPECT_EQ(budget.in_use_bytes(), 1'604'096u);
  EXPECT_TRUE(router.deliver(large, bytes(10, 3), 1));  // doubling to 2 MB: refused
  EXPECT_EQ(large_sink->wakes.load(), 1);
  EXPECT_EQ(large_sink->overflows.load(), 1);  // told at once, even with a wake pending
  EXPECT_EQ(budget.in_use_bytes(), 604'096u);  // the large outbox's memory went at once
  EXPECT_FALSE(router.deliver(large, bytes(1, 4), 1));
  std::vector<uint8_t> out;
  EXPECT_EQ(router.take(large, out).overflow, Overflow::kServerMemory);
  EXPECT_EQ(router.overflow_of(large), Overflow::kServerMemory);
  EXPECT_EQ(router.overflow_of(small), Overflow::kNone);
  EXPECT_TRUE(router.deliver(small, bytes(10, 5), 1));  // the others carry on
}

TEST(ResponseRouterTest, AQueryAnswerReleasesTheQueryChargeEvenForAConnectionThatHasGone) {
  constexpr uint64_t kQueryCharge = 5000;
  MemoryBudget budget(1 << 20);
  ResponseRouter router(1, 1 << 20, budget, kQueryCharge);
  const uint64_t token = *router.attach(std::make_shared<CountingSink>());
  ASSERT_TRUE(budget.try_admit(2 * kQueryCharge));  // two queries handed to projectors
  EXPECT_TRUE(router.deliver(ResponseRouter::query_origin(token), bytes(10, 1), 1));
  EXPECT_EQ(budget.in_use_bytes(), kQueryCharge + ResponseRouter::kFirstOutboxBytes);
  std::vector<uint8_t> out;
  EXPECT_EQ(router.take(token, out).answered, 1u);
  router.detach(token);
  EXPECT_EQ(budget.in_use_bytes(), kQueryCharge);
  EXPECT_FALSE(router.deliver(ResponseRouter::query_origin(token), bytes(10, 1), 1));
  EXPECT_EQ(budget.in_use_bytes(), 0u);
}

// One framed Response answers at most one request, and a query's answer exactly its query
// (whose charge it releases): anything else is the program's error.
TEST(ResponseRouterDeathTest, AnAnswerAnswersOneRequestAtMost) {
  ResponseRouter router(1, 1024, ample_budget());
  const uint64_t token = *router.attach(std::make_shared<CountingSink>());
  EXPECT_DEATH(router.deliver(token, bytes(4, 1), 2), "invariant failed");
  EXPECT_DEATH(router.deliver(ResponseRouter::query_origin(token), bytes(4, 1), 0),
               "invariant failed");
}

}  // namespace
}  // namespace tally::net
