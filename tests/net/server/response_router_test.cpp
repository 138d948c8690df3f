// ResponseRouter: tokens, wake-ups, hand-over of framed responses, overflow and detaching.
#include "net/server/response_router.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace tally::net {
namespace {

class CountingSink : public ResponseSink {
 public:
  void on_responses_ready() override { wakes.fetch_add(1); }
  std::atomic<int> wakes{0};
};

std::vector<uint8_t> bytes(size_t count, uint8_t value) {
  return std::vector<uint8_t>(count, value);
}

TEST(ResponseRouterTest, TokensAreDistinctNonZeroAndLimitedToTheSlots) {
  ResponseRouter router(2, 1024);
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
  ResponseRouter router(1, 1024);
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
  ResponseRouter router(1, 1024);
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
  ResponseRouter router(1, 100);
  auto sink = std::make_shared<CountingSink>();
  const uint64_t token = *router.attach(sink);
  EXPECT_TRUE(router.deliver(token, bytes(60, 1), 1));
  std::vector<uint8_t> out;
  router.take(token, out);  // 60 bytes now being written count against the bound
  EXPECT_TRUE(router.deliver(token, bytes(50, 2), 1));
  EXPECT_FALSE(router.deliver(token, bytes(1, 3), 1));
  EXPECT_TRUE(router.take(token, out).overflowed);
}

TEST(ResponseRouterTest, ConcurrentDeliveriesArriveWholeAndInOrderPerThread) {
  ResponseRouter router(1, 1 << 30);
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

}  // namespace
}  // namespace tally::net
