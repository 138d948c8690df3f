// MemoryBudget: admissions stop at the budget, answers at the ceiling (large outboxes sooner),
// waiters are woken once memory is released below the budget, and charges and releases from
// many threads add up.
#include "net/server/memory_budget.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace tally::net {
namespace {

TEST(MemoryBudgetTest, AdmissionsStopOnceTheBudgetIsInUseAndTheLastMayCrossItByItsOwnSize) {
  MemoryBudget budget(1000);
  EXPECT_EQ(budget.ceiling_bytes(), 2000u);
  EXPECT_TRUE(budget.try_admit(600));
  EXPECT_TRUE(budget.has_room());
  EXPECT_TRUE(budget.try_admit(600));  // 1,200: crossed by this admission
  EXPECT_FALSE(budget.has_room());
  EXPECT_FALSE(budget.try_admit(1));
  EXPECT_EQ(budget.in_use_bytes(), 1200u);
  budget.release(300);
  EXPECT_TRUE(budget.has_room());
  EXPECT_FALSE(budget.try_admit(1200));  // never past the ceiling
  EXPECT_TRUE(budget.try_admit(100));
  EXPECT_EQ(budget.peak_bytes(), 1200u);
}

TEST(MemoryBudgetTest, AnswersMayUseTheBudgetAgainButNeverPassTheCeiling) {
  MemoryBudget budget(1000);
  EXPECT_TRUE(budget.try_admit(1000));
  EXPECT_TRUE(budget.try_charge_within_ceiling(999));
  EXPECT_TRUE(budget.try_charge_within_ceiling(1));
  EXPECT_FALSE(budget.try_charge_within_ceiling(1));
  EXPECT_EQ(budget.in_use_bytes(), 2000u);
  EXPECT_EQ(budget.peak_bytes(), 2000u);
  budget.release(2000);
  EXPECT_EQ(budget.in_use_bytes(), 0u);
  EXPECT_EQ(budget.peak_bytes(), 2000u);
}

TEST(MemoryBudgetTest, ALargeOutboxStopsAtOneAndAHalfBudgetsASmallOneAtTheCeiling) {
  MemoryBudget budget(1 << 20);
  EXPECT_EQ(budget.large_outboxes_line_bytes(), 1'572'864u);
  const uint64_t large = MemoryBudget::kSmallOutboxBytes + 1;
  EXPECT_TRUE(budget.try_charge_answer(1'500'000, large));
  EXPECT_FALSE(budget.try_charge_answer(100'000, large));
  EXPECT_TRUE(
      budget.try_charge_answer(MemoryBudget::kSmallOutboxBytes, MemoryBudget::kSmallOutboxBytes));
  EXPECT_TRUE(budget.try_charge_answer(500'000, 4096));  // only the ceiling limits it
  EXPECT_FALSE(budget.try_charge_answer(100'000, 4096));
  EXPECT_LE(budget.in_use_bytes(), budget.ceiling_bytes());
}

TEST(MemoryBudgetTest, AWaiterIsWokenOnceWhenMemoryGoesBelowTheBudget) {
  MemoryBudget budget(1000);
  ASSERT_TRUE(budget.try_admit(1500));
  int wakes = 0;
  budget.wait_for_room([&] { ++wakes; });
  EXPECT_EQ(wakes, 0);
  budget.release(400);  // 1,100: still no room
  EXPECT_EQ(wakes, 0);
  budget.release(100);  // 1,000: the budget is exactly in use, still no room
  EXPECT_EQ(wakes, 0);
  budget.release(1);
  EXPECT_EQ(wakes, 1);
  budget.release(999);
  EXPECT_EQ(wakes, 1);  // once
}

TEST(MemoryBudgetTest, AWaiterIsWokenAtOnceWhenThereIsRoomAlready) {
  MemoryBudget budget(1000);
  int wakes = 0;
  budget.wait_for_room([&] { ++wakes; });
  EXPECT_EQ(wakes, 1);
}

TEST(MemoryBudgetTest, ForgottenWaitersAreNeverCalled) {
  MemoryBudget budget(1000);
  ASSERT_TRUE(budget.try_admit(1000));
  int wakes = 0;
  budget.wait_for_room([&] { ++wakes; });
  budget.forget_waiters();
  budget.release(1000);
  EXPECT_EQ(wakes, 0);
}

// Threads admit and release while waiters come and go: every waiter that registered is woken
// (none is lost to a release racing its registration), and the total comes back to zero.
TEST(MemoryBudgetTest, ConcurrentChargesAndReleasesAddUpAndNoWaiterIsLost) {
  MemoryBudget budget(4096);  // two admissions of 3,000 fill it: the third waits
  constexpr int kThreads = 4;
  constexpr int kRounds = 20'000;
  std::atomic<int> registered{0};
  std::atomic<int> woken{0};
  std::vector<std::thread> threads;
  for (int thread = 0; thread < kThreads; ++thread) {
    threads.emplace_back([&] {
      for (int round = 0; round < kRounds; ++round) {
        if (budget.try_admit(3000)) {
          budget.release(3000);
        } else if (round % 2 == 0 && budget.try_charge_within_ceiling(1000)) {
          budget.release(1000);
        } else {
          registered.fetch_add(1);
          budget.wait_for_room([&] { woken.fetch_add(1); });
        }
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(budget.in_use_bytes(), 0u);
  EXPECT_EQ(woken.load(), registered.load());
  EXPECT_LE(budget.peak_bytes(), budget.ceiling_bytes());
}

TEST(MemoryBudgetDeathTest, ReleasingMoreThanIsChargedStopsTheProcess) {
  MemoryBudget budget(1000);
  ASSERT_TRUE(budget.try_admit(100));
  EXPECT_DEATH(budget.release(101), "invariant failed");
}

}  // namespace
}  // namespace tally::net
