// ResponseRouter: tokens, wake-ups, hand-over of framed responses, overflow and detaching, and
// the memory it charges to the server's budget.
#include "net/server/response_router.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

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
  EXPECT_EQ(router.deliver(token, bytes(10, 1), 1), Delivery::kQueued);
  EXPECT_EQ(router.deliver(token, bytes(5, 2), 1), Delivery::kQueued);
  EXPECT_EQ(sink->wakes.load(), 1);
  std::vector<uint8_t> out;
  TakenResponses taken = router.take(token, out);
  EXPECT_EQ(out.size(), 15u);
  EXPECT_EQ(taken.answered, 2u);
  EXPECT_FALSE(router.all_written());  // taken, being written
  EXPECT_EQ(router.deliver(token, bytes(3, 3), 0), Delivery::kQueued);
  EXPECT_EQ(sink->wakes.load(), 1);  // the writer will take again: no second wake
  taken = router.take(token, out);
  EXPECT_EQ(out, bytes(3, 3));
  EXPECT_EQ(taken.answered, 0u);
  taken = router.take(token, out);
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(router.all_written());
  EXPECT_EQ(router.deliver(token, bytes(1, 4), 1), Delivery::kQueued);
  EXPECT_EQ(sink->wakes.load(), 2);  // the outbox was drained: wake again
}

TEST(ResponseRouterTest, DeliveriesToADetachedConnectionAreDropped) {
  ResponseRouter router(1, 1024, ample_budget());
  const uint64_t token = *router.attach(std::make_shared<CountingSink>());
  router.detach(token);
  EXPECT_EQ(router.deliver(token, bytes(4, 1), 1), Delivery::kDropped);
  const uint64_t next = *router.attach(std::make_shared<CountingSink>());
  EXPECT_EQ(router.deliver(token, bytes(4, 1), 1), Delivery::kDropped);  // the old token stays dead
  std::vector<uint8_t> out;
  router.take(next, out);
  EXPECT_TRUE(out.empty());
}

TEST(ResponseRouterTest, AnOutboxOverItsBoundOverflowsAndStaysOverflowed) {
  ResponseRouter router(1, 100, ample_budget());
  auto sink = std::make_shared<CountingSink>();
  const uint64_t token = *router.attach(sink);
  EXPECT_EQ(router.deliver(token, bytes(60, 1), 1), Delivery::kQueued);
  std::vector<uint8_t> out;
  router.take(token, out);  // 60 bytes now being written count against the bound
  EXPECT_EQ(router.deliver(token, bytes(50, 2), 1), Delivery::kDropped);  // 110 bytes: overflows
  EXPECT_EQ(router.deliver(token, bytes(1, 3), 1), Delivery::kDropped);
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
  EXPECT_EQ(router.deliver(token, bytes(100, 1), 1), Delivery::kQueued);
  EXPECT_EQ(budget.in_use_bytes(), ResponseRouter::kFirstOutboxBytes);  // its capacity
  std::vector<uint8_t> out;
  router.take(token, out);  // being written: still held
  EXPECT_EQ(budget.in_use_bytes(), ResponseRouter::kFirstOutboxBytes);
  router.take(token, out);  // written: a small buffer is kept for the next answers
  EXPECT_EQ(budget.in_use_bytes(), ResponseRouter::kFirstOutboxBytes);
  EXPECT_EQ(router.deliver(token, bytes(10, 2), 1), Delivery::kQueued);
  EXPECT_EQ(budget.in_use_bytes(), ResponseRouter::kFirstOutboxBytes);  // it was reused
  router.detach(token);
  EXPECT_EQ(budget.in_use_bytes(), 0u);
  // The slot's next connection starts from nothing: its first answer is charged again (the
  // detached outbox's memory went back, it was not kept with the slot).
  const uint64_t next = *router.attach(std::make_shared<CountingSink>());
  EXPECT_EQ(router.deliver(next, bytes(100, 3), 1), Delivery::kQueued);
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
  EXPECT_EQ(router.deliver(token, bytes(100'000, 1), 1), Delivery::kQueued);
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
  EXPECT_EQ(router.deliver(large, bytes(1'000'000, 1), 1), Delivery::kQueued);
  ASSERT_TRUE(budget.try_charge_within_ceiling(600'000));  // say, held queries: 1.6 MB in use
  EXPECT_EQ(router.deliver(small, bytes(100, 2), 1),
            Delivery::kQueued);  // a small outbox may pass the line
  EXPECT_EQ(budget.in_use_bytes(), 1'604'096u);
  EXPECT_EQ(router.deliver(large, bytes(10, 3), 1),
            Delivery::kDropped);  // doubling to 2 MB: refused
  EXPECT_EQ(large_sink->wakes.load(), 1);
  EXPECT_EQ(large_sink->overflows.load(), 1);  // told at once, even with a wake pending
  EXPECT_EQ(budget.in_use_bytes(), 604'096u);  // the large outbox's memory went at once
  EXPECT_EQ(router.deliver(large, bytes(1, 4), 1), Delivery::kDropped);
  std::vector<uint8_t> out;
  EXPECT_EQ(router.take(large, out).overflow, Overflow::kServerMemory);
  EXPECT_EQ(router.overflow_of(large), Overflow::kServerMemory);
  EXPECT_EQ(router.overflow_of(small), Overflow::kNone);
  EXPECT_EQ(router.deliver(small, bytes(10, 5), 1), Delivery::kQueued);  // the others carry on
}

TEST(ResponseRouterTest, AQueryAnswerReleasesTheQueryChargeEvenForAConnectionThatHasGone) {
  constexpr uint64_t kQueryCharge = 5000;
  MemoryBudget budget(1 << 20);
  ResponseRouter router(1, 1 << 20, budget, kQueryCharge);
  const uint64_t token = *router.attach(std::make_shared<CountingSink>());
  ASSERT_TRUE(budget.try_admit(2 * kQueryCharge));  // two queries handed to projectors
  EXPECT_EQ(router.deliver(ResponseRouter::query_origin(token), bytes(10, 1), 1),
            Delivery::kQueued);
  EXPECT_EQ(budget.in_use_bytes(), kQueryCharge + ResponseRouter::kFirstOutboxBytes);
  std::vector<uint8_t> out;
  EXPECT_EQ(router.take(token, out).answered, 1u);
  router.detach(token);
  EXPECT_EQ(budget.in_use_bytes(), kQueryCharge);
  EXPECT_EQ(router.deliver(ResponseRouter::query_origin(token), bytes(10, 1), 1),
            Delivery::kDropped);
  EXPECT_EQ(budget.in_use_bytes(), 0u);
}

// Both ends of a connected stream socket pair: the router sends on `server`, the test reads
// `client`.
class SocketPair {
 public:
  SocketPair() {
    int descriptors[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, descriptors), 0);
    server = descriptors[0];
    client = descriptors[1];
  }
  ~SocketPair() {
    ::close(server);
    ::close(client);
  }
  // Everything readable now (the client's end is read without waiting).
  std::vector<uint8_t> read_available() const {
    std::vector<uint8_t> received;
    uint8_t chunk[64 * 1024];
    ssize_t count = 0;
    while ((count = ::recv(client, chunk, sizeof(chunk), MSG_DONTWAIT)) > 0) {
      received.insert(received.end(), chunk, chunk + count);
    }
    return received;
  }
  int server = -1;
  int client = -1;
};

TEST(ResponseRouterTest, WithNothingWaitingAResponseIsSentAtOnceAndItsAnswerCountedAtTake) {
  SocketPair sockets;
  ResponseRouter router(1, 1 << 20, ample_budget());
  auto sink = std::make_shared<CountingSink>();
  const uint64_t token = *router.attach(sink, sockets.server);
  EXPECT_EQ(router.deliver(token, bytes(10, 7), 1), Delivery::kSent);
  EXPECT_EQ(sockets.read_available(), bytes(10, 7));
  EXPECT_EQ(sink->wakes.load(), 1);  // to count the answer: the connection has it in flight
  std::vector<uint8_t> out;
  const TakenResponses taken = router.take(token, out);
  EXPECT_TRUE(out.empty());  // nothing left to write
  EXPECT_EQ(taken.answered, 1u);
  EXPECT_EQ(router.deliver(token, bytes(3, 8), 0), Delivery::kSent);  // no answer: no wake
  EXPECT_EQ(sink->wakes.load(), 1);
  EXPECT_EQ(sockets.read_available(), bytes(3, 8));
  EXPECT_TRUE(router.all_written());
}

TEST(ResponseRouterTest, WhatTheSocketDoesNotTakeIsQueuedAndLaterResponsesQueueBehindIt) {
  SocketPair sockets;
  ResponseRouter router(1, 1 << 30, ample_budget());
  auto sink = std::make_shared<CountingSink>();
  const uint64_t token = *router.attach(sink, sockets.server);
  std::vector<uint8_t> large(8 << 20);  // more than a socket buffer holds
  for (size_t index = 0; index < large.size(); ++index) {
    large[index] = static_cast<uint8_t>(index * 31);
  }
  EXPECT_EQ(router.deliver(token, large, 1), Delivery::kQueued);
  EXPECT_EQ(router.deliver(token, bytes(5, 9), 1), Delivery::kQueued);  // behind the rest
  std::vector<uint8_t> received = sockets.read_available();
  ASSERT_LT(received.size(), large.size());
  EXPECT_EQ(router.deliver(token, bytes(4, 6), 1), Delivery::kQueued);  // room now, but in order
  std::vector<uint8_t> out;
  const TakenResponses taken = router.take(token, out);
  EXPECT_EQ(taken.answered, 3u);
  received.insert(received.end(), out.begin(), out.end());  // as the connection would write it
  std::vector<uint8_t> expected = large;
  expected.insert(expected.end(), 5, 9);
  expected.insert(expected.end(), 4, 6);
  EXPECT_EQ(received, expected);
  EXPECT_EQ(router.deliver(token, bytes(2, 1), 1), Delivery::kQueued);  // a write in progress
}

TEST(ResponseRouterTest, ADetachedConnectionsSocketIsNeverSentTo) {
  SocketPair sockets;
  ResponseRouter router(1, 1 << 20, ample_budget());
  const uint64_t token = *router.attach(std::make_shared<CountingSink>(), sockets.server);
  router.detach(token);
  const uint64_t next = *router.attach(std::make_shared<CountingSink>());  // no socket
  EXPECT_EQ(router.deliver(token, bytes(4, 1), 1), Delivery::kDropped);
  EXPECT_EQ(router.deliver(next, bytes(4, 2), 1), Delivery::kQueued);
  EXPECT_TRUE(sockets.read_available().empty());
}

// A query's answer answers its query (whose charge it releases): anything else is the program's
// error.
TEST(ResponseRouterDeathTest, AQueryAnswerAnswersExactlyItsQuery) {
  ResponseRouter router(1, 1024, ample_budget());
  const uint64_t token = *router.attach(std::make_shared<CountingSink>());
  EXPECT_EQ(router.deliver(token, bytes(4, 1), 2), Delivery::kQueued);  // a connection's two
  EXPECT_DEATH(router.deliver(ResponseRouter::query_origin(token), bytes(4, 1), 0),
               "invariant failed");
  EXPECT_DEATH(router.deliver(ResponseRouter::query_origin(token), bytes(4, 1), 2),
               "invariant failed");
}

}  // namespace
}  // namespace tally::net
