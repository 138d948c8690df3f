// Idempotent retries: the same request id with the same commands gets the original outcome and
// writes nothing; with other commands it is rejected; the window forgets the oldest first.
#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

#include "engine/ledger/ledger.h"
#include "support/ledger_harness.h"

namespace tally {
namespace {

using testing::deposit_command;
using testing::LedgerHarness;
using testing::open_command;
using testing::withdraw_command;

constexpr Id128 kRequest{.low = 0xabc, .high = 0xdef};

TEST(IdempotencyTest, RetryGetsTheOriginalResultAndWritesNothing) {
  LedgerHarness harness;
  harness.apply_one(open_command("a", "EUR", 100));
  const Command deposit[] = {deposit_command("a", 40)};
  const Outcome original = harness.apply_with_id(kRequest, deposit).front();
  ASSERT_EQ(original.code, ResultCode::Ok);
  const uint64_t next_sequence = harness.ledger().next_sequence();

  const Outcome retry = harness.apply_with_id(kRequest, deposit).front();
  EXPECT_TRUE(retry.is_replayed_answer());
  EXPECT_TRUE(retry.is_last_in_request());
  EXPECT_EQ(retry.code, ResultCode::Ok);
  EXPECT_EQ(retry.sequence, original.sequence);
  EXPECT_EQ(retry.balance, 140);
  EXPECT_EQ(retry.version, original.version);
  EXPECT_EQ(harness.ledger().next_sequence(), next_sequence);
  EXPECT_EQ(harness.find("a")->balance, 140);
}

TEST(IdempotencyTest, RetryOfARejectionGetsTheSameRejection) {
  LedgerHarness harness;
  harness.apply_one(open_command("a", "EUR", 10));
  const Command withdraw[] = {withdraw_command("a", 50)};
  EXPECT_EQ(harness.apply_with_id(kRequest, withdraw).front().code, ResultCode::InsufficientFunds);
  harness.apply_one(deposit_command("a", 100));  // now the withdrawal would succeed
  const Outcome retry = harness.apply_with_id(kRequest, withdraw).front();
  EXPECT_TRUE(retry.is_replayed_answer());
  EXPECT_EQ(retry.code, ResultCode::InsufficientFunds);
  EXPECT_EQ(harness.find("a")->balance, 110);
}

TEST(IdempotencyTest, RetryOfAGeneratedOpenReturnsTheSameId) {
  LedgerHarness harness;
  const Command open[] = {open_command("")};
  const Outcome original = harness.apply_with_id(kRequest, open).front();
  const Outcome retry = harness.apply_with_id(kRequest, open).front();
  EXPECT_EQ(retry.account_id.view(), original.account_id.view());
  EXPECT_EQ(harness.ledger().accounts().size(), 1u);
}

TEST(IdempotencyTest, RequestIdReusedWithAnotherPayloadIsRejected) {
  LedgerHarness harness;
  harness.apply_one(open_command("a", "EUR", 100));
  const Command first[] = {deposit_command("a", 40)};
  const Command other[] = {deposit_command("a", 41)};
  harness.apply_with_id(kRequest, first);
  const Outcome reused = harness.apply_with_id(kRequest, other).front();
  EXPECT_FALSE(reused.is_replayed_answer());
  EXPECT_EQ(reused.type, EventType::CommandRejected);
  EXPECT_EQ(reused.code, ResultCode::RequestIdReused);
  EXPECT_EQ(harness.find("a")->balance, 140);
}

TEST(IdempotencyTest, RequestIdReusedWithAnotherBatchShapeIsRejectedWhole) {
  LedgerHarness harness;
  harness.apply_one(open_command("a", "EUR", 100));
  const Command one[] = {deposit_command("a", 1)};
  const Command two[] = {deposit_command("a", 1), deposit_command("a", 2)};
  harness.apply_with_id(kRequest, one);
  const std::vector<Outcome> reused = harness.apply_with_id(kRequest, two);
  EXPECT_EQ(reused[0].code, ResultCode::RequestIdReused);
  EXPECT_EQ(reused[1].code, ResultCode::RequestIdReused);
  EXPECT_EQ(harness.find("a")->balance, 101);
}

TEST(IdempotencyTest, TheOldestRequestsAreForgottenFirst) {
  LedgerHarness harness(LedgerLimits{.batch_commands_max = 2, .idempotency_window = 2});
  harness.apply_one(open_command("a", "EUR", 0));  // request 1: remembered, then evicted
  const Command deposit[] = {deposit_command("a", 5)};
  harness.apply_with_id(kRequest, deposit);
  harness.apply_one(deposit_command("a", 1));
  harness.apply_one(deposit_command("a", 1));  // evicts kRequest
  const Outcome after_window = harness.apply_with_id(kRequest, deposit).front();
  EXPECT_FALSE(after_window.is_replayed_answer());
  EXPECT_EQ(after_window.code, ResultCode::Ok);
  EXPECT_EQ(harness.find("a")->balance, 12);
}

TEST(IdempotencyTest, AZeroWindowDisablesRetryDetection) {
  LedgerHarness harness(LedgerLimits{.idempotency_window = 0});
  harness.apply_one(open_command("a"));
  const Command deposit[] = {deposit_command("a", 5)};
  harness.apply_with_id(kRequest, deposit);
  EXPECT_FALSE(harness.apply_with_id(kRequest, deposit).front().is_replayed_answer());
  EXPECT_EQ(harness.find("a")->balance, 10);
}

TEST(IdempotencyTest, FingerprintCoversEveryFieldAndTheBatchShape) {
  const Command base = deposit_command("a", 5);
  const Command commands[] = {base};
  const CommandBatch batch{
      .request_id = kRequest, .origin = 0, .atomic = false, .commands = commands};
  const uint64_t fingerprint = command_fingerprint(base, batch);
  Command changed = base;
  changed.expected_version = 0;
  EXPECT_NE(command_fingerprint(changed, batch), fingerprint);
  changed = base;
  changed.transaction_id.high = 1;
  EXPECT_NE(command_fingerprint(changed, batch), fingerprint);
  changed = base;
  changed.account_id = "b";
  EXPECT_NE(command_fingerprint(changed, batch), fingerprint);
  CommandBatch atomic = batch;
  atomic.atomic = true;
  EXPECT_NE(command_fingerprint(base, atomic), fingerprint);
  CommandBatch other_origin = batch;
  other_origin.origin = 77;  // a retry may come over another connection
  EXPECT_EQ(command_fingerprint(base, other_origin), fingerprint);
}

TEST(IdempotencyTest, FingerprintFromTheSubmitterAndFromTheLedgerAgree) {
  LedgerHarness harness;
  harness.apply_one(open_command("a", "EUR", 100));
  const Command commands[] = {deposit_command("a", 5), withdraw_command("a", 2)};
  CommandBatch batch{.request_id = kRequest, .origin = 1, .atomic = false, .commands = commands};
  batch.fingerprint = request_fingerprint(batch);  // as the ingress computes it
  std::vector<Outcome> events(2);
  harness.ledger().apply(batch, 0, OutcomeSlots{.slots = events.data(), .count = 2});
  ASSERT_EQ(events[0].code, ResultCode::Ok);
  EXPECT_EQ(events[0].fingerprint, batch.fingerprint);
  // The same request without a precomputed fingerprint: the ledger's must match.
  const std::vector<Outcome> retry = harness.apply_with_id(kRequest, commands);
  EXPECT_TRUE(retry[0].is_replayed_answer());
  EXPECT_TRUE(retry[1].is_replayed_answer());
  EXPECT_EQ(harness.find("a")->balance, 103);
}

TEST(IdempotencyTest, AWindowSmallerThanTheLargestBatchIsRefusedAtStartUp) {
  // A batch larger than the window could not be remembered, so its retry would apply twice.
  EXPECT_THROW(Ledger(LedgerLimits{.batch_commands_max = 8, .idempotency_window = 4}),
               std::invalid_argument);
  EXPECT_NO_THROW(Ledger(LedgerLimits{.batch_commands_max = 8, .idempotency_window = 8}));
}

TEST(IdempotencyTest, RetryOfARequestWhoseOutcomesWrapTheWindowRing) {
  LedgerHarness harness(LedgerLimits{.batch_commands_max = 4, .idempotency_window = 5});
  harness.apply_one(open_command("a", "EUR", 0));                   // outcome slot 0
  harness.apply(std::vector<Command>(3, deposit_command("a", 1)));  // slots 1-3
  const std::vector<Command> wrapping(3, deposit_command("a", 10));
  const std::vector<Outcome> original = harness.apply_with_id(kRequest, wrapping);  // 4, 0, 1
  const std::vector<Outcome> retry = harness.apply_with_id(kRequest, wrapping);
  for (size_t index = 0; index < retry.size(); ++index) {
    EXPECT_TRUE(retry[index].is_replayed_answer());
    EXPECT_EQ(retry[index].sequence, original[index].sequence);
    EXPECT_EQ(retry[index].balance, original[index].balance);
  }
  EXPECT_EQ(harness.find("a")->balance, 33);
}

}  // namespace
}  // namespace tally
