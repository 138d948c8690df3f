// Atomic batches: all commands apply, or none do.
#include <gtest/gtest.h>

#include "engine/ledger/ledger.h"
#include "support/ledger_harness.h"

namespace tally {
namespace {

using testing::deposit_command;
using testing::LedgerHarness;
using testing::open_command;
using testing::transfer_command;
using testing::withdraw_command;

class AtomicBatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    harness.apply_one(open_command("a", "EUR", 100));
    harness.apply_one(open_command("b", "EUR", 0));
  }
  LedgerHarness harness;
};

TEST_F(AtomicBatchTest, AllApplyWhenAllSucceed) {
  const Command batch[] = {transfer_command("a", "b", 30), deposit_command("b", 5),
                           open_command("c", "EUR", 7)};
  const std::vector<Outcome> events = harness.apply(batch, true);
  for (const Outcome& event : events) {
    EXPECT_EQ(event.code, ResultCode::Ok);
  }
  EXPECT_EQ(harness.find("a")->balance, 70);
  EXPECT_EQ(harness.find("b")->balance, 35);
  EXPECT_NE(harness.find("c"), nullptr);
}

TEST_F(AtomicBatchTest, RollbackUndoesEverythingOnTheFirstFailure) {
  const Command batch[] = {transfer_command("a", "b", 30), open_command("c", "EUR", 7),
                           withdraw_command("b", 1000), deposit_command("a", 1)};
  const std::vector<Outcome> events = harness.apply(batch, true);
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].code, ResultCode::LinkedCommandFailed);
  EXPECT_EQ(events[1].code, ResultCode::LinkedCommandFailed);
  EXPECT_EQ(events[2].code, ResultCode::InsufficientFunds);
  EXPECT_EQ(events[3].code, ResultCode::LinkedCommandFailed);
  for (size_t index = 0; index < events.size(); ++index) {
    EXPECT_EQ(events[index].type, EventType::CommandRejected);
    EXPECT_EQ(events[index].sequence, 3 + index);  // one sequence per command, as ever
  }
  EXPECT_EQ(harness.find("a")->balance, 100);
  EXPECT_EQ(harness.find("a")->version, 1u);
  EXPECT_EQ(harness.find("b")->balance, 0);
  EXPECT_EQ(harness.find("c"), nullptr);
  EXPECT_EQ(harness.ledger().accounts().size(), 2u);
  EXPECT_EQ(harness.ledger().next_sequence(), 7u);
}

TEST_F(AtomicBatchTest, RollbackUndoesStatusChanges) {
  const Command batch[] = {testing::freeze_command("a"), testing::close_command("b"),
                           testing::unfreeze_command("a"), withdraw_command("a", 1000)};
  const std::vector<Outcome> events = harness.apply(batch, true);
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[3].code, ResultCode::InsufficientFunds);
  for (size_t index = 0; index < 3; ++index) {
    EXPECT_EQ(events[index].code, ResultCode::LinkedCommandFailed);
    EXPECT_EQ(events[index].type, EventType::CommandRejected);
  }
  EXPECT_EQ(harness.find("a")->status, AccountStatus::Active);
  EXPECT_EQ(harness.find("a")->version, 1u);
  EXPECT_EQ(harness.find("b")->status, AccountStatus::Active);
  EXPECT_EQ(harness.find("b")->version, 1u);
  // And the same batch without the failing command applies whole.
  const std::vector<Outcome> applied = harness.apply(std::span(batch, 3), true);
  EXPECT_EQ(applied[0].type, EventType::AccountFrozen);
  EXPECT_EQ(applied[1].type, EventType::AccountClosed);
  EXPECT_EQ(applied[2].type, EventType::AccountUnfrozen);
  EXPECT_EQ(harness.find("a")->version, 3u);
  EXPECT_EQ(harness.find("b")->status, AccountStatus::Closed);
}

TEST_F(AtomicBatchTest, RollbackReleasesTransactionIds) {
  Command deposit = deposit_command("a", 1);
  deposit.transaction_id = {.low = 1, .high = 2};
  const Command batch[] = {deposit, withdraw_command("b", 1)};
  harness.apply(batch, true);
  EXPECT_EQ(harness.ledger().transaction_count(), 0u);
  EXPECT_EQ(harness.apply_one(deposit).code, ResultCode::Ok);
}

TEST_F(AtomicBatchTest, RolledBackOpenCanBeOpenedAgain) {
  const Command batch[] = {open_command("c"), open_command("c")};
  const std::vector<Outcome> events = harness.apply(batch, true);
  EXPECT_EQ(events[0].code, ResultCode::LinkedCommandFailed);
  EXPECT_EQ(events[1].code, ResultCode::AccountExists);
  EXPECT_EQ(harness.apply_one(open_command("c")).code, ResultCode::Ok);
}

TEST_F(AtomicBatchTest, RetryOfAFailedAtomicBatchGetsTheSameRejections) {
  const Id128 request{.low = 5, .high = 5};
  const Command batch[] = {deposit_command("a", 1), withdraw_command("b", 1)};
  harness.apply_with_id(request, batch, true);
  const std::vector<Outcome> retry = harness.apply_with_id(request, batch, true);
  EXPECT_TRUE(retry[0].is_replayed_answer());
  EXPECT_EQ(retry[0].code, ResultCode::LinkedCommandFailed);
  EXPECT_EQ(retry[1].code, ResultCode::InsufficientFunds);
}

TEST_F(AtomicBatchTest, NonAtomicBatchAppliesWhatItCan) {
  const Command batch[] = {deposit_command("a", 1), withdraw_command("b", 1),
                           deposit_command("b", 2)};
  const std::vector<Outcome> events = harness.apply(batch, false);
  EXPECT_EQ(events[0].code, ResultCode::Ok);
  EXPECT_EQ(events[1].code, ResultCode::InsufficientFunds);
  EXPECT_EQ(events[2].code, ResultCode::Ok);
  EXPECT_EQ(harness.find("b")->balance, 2);
}

}  // namespace
}  // namespace tally
