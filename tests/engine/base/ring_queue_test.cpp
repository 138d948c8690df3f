// engine/base/ring_queue.h: first in, first out across the wrap and across growth, positions
// from the front, popping several at once, and the binary search the subscription hub uses.
#include "engine/base/ring_queue.h"

#include <gtest/gtest.h>

#include <deque>
#include <random>

namespace tally {
namespace {

TEST(RingQueueTest, KeepsOrderAcrossTheWrapAndGrowth) {
  RingQueue<int> queue;
  std::deque<int> expected;
  std::mt19937 random(7);
  int next = 0;
  for (int step = 0; step < 10'000; ++step) {
    // Pushes outnumber pops, so the queue grows while its front is in the middle.
    if (random() % 3 != 0) {
      queue.push_back(next);
      expected.push_back(next++);
    } else {
      const size_t count = random() % 4;
      queue.pop_front(count);
      expected.erase(expected.begin(), expected.begin() + static_cast<std::ptrdiff_t>(
                                                              std::min(count, expected.size())));
    }
    ASSERT_EQ(queue.size(), expected.size());
    if (!expected.empty()) {
      ASSERT_EQ(queue.front(), expected.front());
      ASSERT_EQ(queue.back(), expected.back());
      const size_t middle = expected.size() / 2;
      ASSERT_EQ(queue[middle], expected[middle]);
    }
  }
  EXPECT_GT(queue.size(), 1'000u);
}

TEST(RingQueueTest, PoppingMoreThanItHoldsEmptiesItAndItCarriesOn) {
  RingQueue<int> queue;
  for (int value = 0; value < 20; ++value) {
    queue.push_back(value);
  }
  queue.pop_front(5);
  EXPECT_EQ(queue.front(), 5);
  queue.pop_front(100);
  EXPECT_TRUE(queue.empty());
  queue.push_back(42);
  EXPECT_EQ(queue.size(), 1u);
  EXPECT_EQ(queue.front(), 42);
  queue.clear();
  EXPECT_TRUE(queue.empty());
}

TEST(RingQueueTest, LowerBoundFindsTheFirstNotBefore) {
  RingQueue<int> queue;
  for (int value = 0; value < 12; ++value) {
    queue.push_back(value * 10);
  }
  queue.pop_front(3);  // 30, 40, ... 110, starting mid-buffer
  for (int value = 120; value < 200; value += 10) {
    queue.push_back(value);  // wraps
  }
  const auto less = [](int held, int key) { return held < key; };
  EXPECT_EQ(queue.lower_bound(0, 30, less), 0u);
  EXPECT_EQ(queue.lower_bound(0, 31, less), 1u);
  EXPECT_EQ(queue.lower_bound(0, 150, less), 12u);
  EXPECT_EQ(queue[queue.lower_bound(0, 150, less)], 150);
  EXPECT_EQ(queue.lower_bound(0, 1'000, less), queue.size());
  EXPECT_EQ(queue.lower_bound(5, 0, less), 5u);  // never before `from`
}

}  // namespace
}  // namespace tally
