// Recovery's replay: the journaled events of a ledger rebuild the same state in another.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "engine/ledger/ledger.h"
#include "support/ledger_harness.h"

namespace tally {
namespace {

using testing::image_of;
using testing::LedgerHarness;

// Applies a random mix (atomic batches, retries, reused ids, rejections) and keeps the events
// a journal would hold: every entry that is not a replayed answer.
std::vector<Outcome> run_mixed_traffic(LedgerHarness& harness) {
  std::mt19937_64 random(7);
  const std::vector<std::string> ids = {"a", "b", "c", "d", "e", "f"};
  std::vector<Outcome> journal;
  const auto keep = [&](const std::vector<Outcome>& entries) {
    for (const Outcome& entry : entries) {
      if (!entry.is_replayed_answer())
        journal.push_back(entry);
    }
  };
  std::vector<Command> opens;
  for (const std::string& id : ids)
    opens.push_back(testing::open_command(id, "EUR", 1000, 50));
  keep(harness.apply(opens));
  keep(harness.apply(std::vector<Command>{testing::open_command("")}));
  std::vector<std::pair<Id128, std::vector<Command>>> sent;
  for (int request = 0; request < 3000; ++request) {
    const auto pick = [&]() -> const std::string& { return ids[random() % ids.size()]; };
    const auto amount = static_cast<int64_t>(random() % 400) - 20;
    std::vector<Command> batch = {testing::deposit_command(pick(), amount),
                                  testing::transfer_command(pick(), pick(), amount)};
    if (random() % 10 == 0)
      batch.push_back(testing::freeze_command(pick()));
    if (random() % 10 == 0)
      batch.push_back(testing::unfreeze_command(pick()));
    Command withdraw = testing::withdraw_command(pick(), amount);
    withdraw.transaction_id = {.low = random() % 500 + 1, .high = 0};
    batch.push_back(withdraw);
    const Id128 request_id{.low = static_cast<uint64_t>(request) + 1000, .high = 9};
    if (random() % 8 == 0 && !sent.empty()) {  // a retry, or a reused id with other commands
      const auto& [old_id, old_batch] = sent[random() % sent.size()];
      keep(harness.apply_with_id(old_id, random() % 2 ? old_batch : batch));
      continue;
    }
    sent.emplace_back(request_id, batch);
    keep(harness.apply_with_id(request_id, sent.back().second, random() % 4 == 0));
  }
  return journal;
}

TEST(LedgerReplayTest, JournaledEventsRebuildTheSameState) {
  LedgerHarness original;
  const std::vector<Outcome> journal = run_mixed_traffic(original);
  Ledger recovered(LedgerLimits{});
  for (const Outcome& event : journal) {
    const Status status = recovered.replay(event);
    ASSERT_TRUE(status.is_ok()) << "event " << event.sequence << ": " << status.message();
  }
  EXPECT_EQ(image_of(recovered), image_of(original.ledger()));
  EXPECT_EQ(recovered.next_sequence(), original.ledger().next_sequence());
  EXPECT_EQ(recovered.transaction_count(), original.ledger().transaction_count());
}

// A transaction id on a command that moves no money (an opening, a freeze) is carried in its
// event but never registered: replay must register exactly what applying did, or a deposit
// with that id would be refused after a restart and accepted before it.
TEST(LedgerReplayTest, ATransactionIdOnACommandThatMovesNoMoneyIsNotRegisteredByReplay) {
  LedgerHarness original;
  Command open = testing::open_command("a", "EUR", 100);
  open.transaction_id = {.low = 41, .high = 0};
  Command freeze = testing::freeze_command("a");
  freeze.transaction_id = {.low = 42, .high = 0};
  std::vector<Outcome> journal = original.apply(std::vector<Command>{open});
  for (const Outcome& event : original.apply(std::vector<Command>{freeze}))
    journal.push_back(event);
  Ledger recovered(LedgerLimits{});
  for (const Outcome& event : journal) {
    const Status status = recovered.replay(event);
    ASSERT_TRUE(status.is_ok()) << status.message();
  }
  EXPECT_EQ(recovered.transaction_count(), original.ledger().transaction_count());
  EXPECT_EQ(recovered.transaction_count(), 0u);
}

TEST(LedgerReplayTest, ARetryAfterRecoveryGetsTheOriginalAnswer) {
  LedgerHarness original;
  original.apply_one(testing::open_command("a", "EUR", 100));
  const Command deposit[] = {testing::deposit_command("a", 5)};
  const Id128 request{.low = 77, .high = 7};
  const std::vector<Outcome> first = original.apply_with_id(request, deposit);
  Ledger recovered(LedgerLimits{});
  const Status opened =
      recovered.replay(LedgerHarness().apply_one(testing::open_command("a", "EUR", 100)));
  ASSERT_TRUE(opened.is_ok()) << opened.message();
  const Status deposited = recovered.replay(first[0]);
  ASSERT_TRUE(deposited.is_ok()) << deposited.message();
  std::vector<Outcome> retry(1);
  recovered.apply({.request_id = request, .origin = 0, .atomic = false, .commands = deposit}, 0,
                  {.slots = retry.data(), .count = 1});
  EXPECT_TRUE(retry[0].is_replayed_answer());
  EXPECT_EQ(retry[0].sequence, first[0].sequence);
  EXPECT_EQ(retry[0].balance, 105);
}

TEST(LedgerReplayTest, ARequestCutShortByACrashHasNoEffect) {
  LedgerHarness original;
  original.apply_one(testing::open_command("a", "EUR", 100));
  const Command batch[] = {testing::deposit_command("a", 5), testing::deposit_command("a", 6)};
  const std::vector<Outcome> events = original.apply(batch);
  Ledger recovered(LedgerLimits{});
  const Status opened =
      recovered.replay(LedgerHarness().apply_one(testing::open_command("a", "EUR", 100)));
  ASSERT_TRUE(opened.is_ok()) << opened.message();
  const Status half = recovered.replay(events[0]);  // the second never reached the disk
  ASSERT_TRUE(half.is_ok()) << half.message();
  const Account& account = recovered.accounts().at(recovered.accounts().find("a"));
  EXPECT_EQ(account.balance, 100);
  EXPECT_EQ(recovered.next_sequence(), 3u);  // its sequence stays used
}

TEST(LedgerReplayTest, AnEventThatContradictsTheStateIsReported) {
  LedgerHarness original;
  original.apply_one(testing::open_command("a", "EUR", 100));
  const Outcome deposit = original.apply_one(testing::deposit_command("a", 5));
  Ledger recovered(LedgerLimits{});
  Outcome orphan = deposit;
  orphan.sequence = 1;  // a deposit to an account the journal never opened
  const Status orphaned = recovered.replay(orphan);
  EXPECT_EQ(orphaned.code(), StatusCode::kCorruption);
  EXPECT_EQ(orphaned.message(), "event 1: account a does not exist");
  Ledger out_of_order(LedgerLimits{});
  const Status early = out_of_order.replay(deposit);
  EXPECT_EQ(early.code(), StatusCode::kCorruption);
  EXPECT_EQ(early.message(), "event 2 where 1 was expected");
}

TEST(LedgerReplayTest, StatusChangesRebuildTheSameStatuses) {
  LedgerHarness original;
  std::vector<Outcome> journal = {original.apply_one(testing::open_command("a", "EUR")),
                                  original.apply_one(testing::open_command("b", "EUR", 5))};
  for (const Command& command :
       {testing::freeze_command("a"), testing::freeze_command("b"), testing::unfreeze_command("a"),
        testing::close_command("a"), testing::close_command("b")}) {
    journal.push_back(original.apply_one(command));  // the last is refused: b is frozen
  }
  Ledger recovered(LedgerLimits{});
  for (const Outcome& event : journal) {
    const Status status = recovered.replay(event);
    ASSERT_TRUE(status.is_ok()) << status.message();
  }
  EXPECT_EQ(image_of(recovered), image_of(original.ledger()));
  EXPECT_EQ(original.find("a")->status, AccountStatus::Closed);
  EXPECT_EQ(original.find("b")->status, AccountStatus::Frozen);
}

// A snapshot lists each account once: restoring one twice is corruption, naming the account,
// and leaves the first as it was.
TEST(LedgerReplayTest, RestoringAnAccountTwiceIsCorruption) {
  Ledger ledger(LedgerLimits{});
  ledger.restore_position(11, 0);  // as of sequence 10
  const Account account{
      .balance = 7, .overdraft_limit = 0, .version = 3, .currency = *CurrencyCode::parse("EUR")};
  ASSERT_TRUE(ledger.restore_account("alice", account).is_ok());
  const Status twice = ledger.restore_account(
      "alice", Account{.balance = 9, .version = 1, .currency = *CurrencyCode::parse("EUR")});
  EXPECT_EQ(twice.code(), StatusCode::kCorruption);
  EXPECT_EQ(twice.message(), "account alice appears twice");
  ASSERT_EQ(ledger.accounts().size(), 1u);
  EXPECT_EQ(ledger.accounts().at(ledger.accounts().find("alice")).balance, 7);
}

// A generated id is "tally:<sequence>" of an event by the position, written as the ledger writes
// it.
TEST(LedgerReplayTest, RestoringAGeneratedIdChecksItsSequence) {
  Ledger ledger(LedgerLimits{});
  ledger.restore_position(11, 0);  // as of sequence 10
  const Account account{.balance = 0, .version = 1, .currency = *CurrencyCode::parse("EUR")};
  EXPECT_TRUE(ledger.restore_account("tally:10", account).is_ok());
  for (const char* bad : {"tally:11", "tally:0", "tally:05", "tally:", "tally:1x"}) {
    const Status status = ledger.restore_account(bad, account);
    EXPECT_EQ(status.code(), StatusCode::kCorruption) << bad;
    EXPECT_NE(status.message().find("not an id the ledger accepts"), std::string::npos)
        << status.message();
  }
  // Bytes from disk are shown escaped in the message.
  EXPECT_EQ(ledger.restore_account(std::string_view("a\n\"", 3), account).message(),
            "account a\\x0a\\x22: not an id the ledger accepts or generates (by the snapshot's "
            "sequence 10)");
}

}  // namespace
}  // namespace tally
