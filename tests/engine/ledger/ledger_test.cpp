// The ledger's rules, one test per rule and per reason code.
#include "engine/ledger/ledger.h"

#include <gtest/gtest.h>

#include <limits>
#include <stdexcept>
#include <string>

#include "engine/base/id_text.h"
#include "support/ledger_harness.h"

namespace tally {
namespace {

using testing::close_command;
using testing::deposit_command;
using testing::freeze_command;
using testing::LedgerHarness;
using testing::open_command;
using testing::transfer_command;
using testing::unfreeze_command;
using testing::withdraw_command;

constexpr int64_t kAmountMax = std::numeric_limits<int64_t>::max();

class LedgerTest : public ::testing::Test {
 protected:
  void open(std::string_view account_id, int64_t initial = 0, std::string_view currency = "EUR",
            int64_t overdraft = 0) {
    const Outcome event = harness.apply_one(open_command(account_id, currency, initial, overdraft));
    ASSERT_EQ(event.code, ResultCode::Ok) << account_id;
  }
  ResultCode code_of(const Command& command) { return harness.apply_one(command).code; }

  LedgerHarness harness;
};

TEST_F(LedgerTest, OpenAccountRecordsEveryField) {
  const Outcome event = harness.apply_one(open_command("alice", "USD", 500, 100, "Alice Liddell"));
  EXPECT_EQ(event.type, EventType::AccountOpened);
  EXPECT_EQ(event.code, ResultCode::Ok);
  EXPECT_EQ(event.sequence, 1u);
  EXPECT_EQ(event.account_id.view(), "alice");
  EXPECT_EQ(event.text.view(), "Alice Liddell");
  EXPECT_EQ(event.currency.to_string(), "USD");
  EXPECT_EQ(event.balance, 500);
  EXPECT_EQ(event.version, 1u);
  EXPECT_EQ(event.overdraft_limit, 100);
  const Account* account = harness.find("alice");
  ASSERT_NE(account, nullptr);
  EXPECT_EQ(account->status, AccountStatus::Active);
  EXPECT_EQ(account->balance, 500);
}

TEST_F(LedgerTest, OpenWithoutIdGeneratesOneFromTheSequence) {
  harness.apply_one(open_command("first"));
  const Outcome event = harness.apply_one(open_command(""));
  EXPECT_EQ(event.code, ResultCode::Ok);
  EXPECT_EQ(event.account_id.view(), "tally:2");
  EXPECT_NE(harness.find("tally:2"), nullptr);
}

TEST_F(LedgerTest, AccountExists) {
  open("alice");
  EXPECT_EQ(code_of(open_command("alice")), ResultCode::AccountExists);
}

TEST_F(LedgerTest, InvalidArgumentForBadAccountIds) {
  EXPECT_EQ(code_of(open_command("has space")), ResultCode::InvalidArgument);
  EXPECT_EQ(code_of(open_command(std::string(65, 'a'))), ResultCode::InvalidArgument);
  EXPECT_EQ(code_of(open_command("tally:7")), ResultCode::InvalidArgument);
  EXPECT_EQ(code_of(open_command(std::string(64, 'a'))), ResultCode::Ok);
}

TEST_F(LedgerTest, InvalidArgumentForBadCurrencyOwnerTypeAndOverdraft) {
  EXPECT_EQ(code_of(open_command("a", "eur")), ResultCode::InvalidArgument);
  EXPECT_EQ(code_of(open_command("a", "EURO")), ResultCode::InvalidArgument);
  EXPECT_EQ(code_of(open_command("a", "")), ResultCode::InvalidArgument);
  EXPECT_EQ(code_of(open_command("a", "EUR", 0, -1)), ResultCode::InvalidArgument);
  EXPECT_EQ(code_of(open_command("a", "EUR", 0, 0, std::string(129, 'o'))),
            ResultCode::InvalidArgument);
  EXPECT_EQ(code_of(open_command("a", "EUR", 0, 0, "\xff\xfe")), ResultCode::InvalidArgument);
  Command savings = open_command("a");
  savings.account_type = static_cast<AccountType>(9);
  EXPECT_EQ(code_of(savings), ResultCode::InvalidArgument);
  EXPECT_EQ(harness.find("a"), nullptr);
}

TEST_F(LedgerTest, InvalidAmountForNegativeInitialDeposit) {
  EXPECT_EQ(code_of(open_command("a", "EUR", -1)), ResultCode::InvalidAmount);
}

TEST_F(LedgerTest, InvalidAmountForZeroOrNegativeMovements) {
  open("a", 100);
  open("b");
  EXPECT_EQ(code_of(deposit_command("a", 0)), ResultCode::InvalidAmount);
  EXPECT_EQ(code_of(deposit_command("a", -5)), ResultCode::InvalidAmount);
  EXPECT_EQ(code_of(withdraw_command("a", 0)), ResultCode::InvalidAmount);
  EXPECT_EQ(code_of(transfer_command("a", "b", -1)), ResultCode::InvalidAmount);
  EXPECT_EQ(harness.find("a")->balance, 100);
}

TEST_F(LedgerTest, DepositAddsAndBumpsTheVersion) {
  open("a", 100);
  const Outcome event = harness.apply_one(deposit_command("a", 50));
  EXPECT_EQ(event.type, EventType::Deposited);
  EXPECT_EQ(event.amount, 50);
  EXPECT_EQ(event.balance, 150);
  EXPECT_EQ(event.version, 2u);
}

TEST_F(LedgerTest, AccountNotFound) {
  open("a");
  EXPECT_EQ(code_of(deposit_command("ghost", 1)), ResultCode::AccountNotFound);
  EXPECT_EQ(code_of(withdraw_command("ghost", 1)), ResultCode::AccountNotFound);
  EXPECT_EQ(code_of(transfer_command("ghost", "a", 1)), ResultCode::AccountNotFound);
  EXPECT_EQ(code_of(transfer_command("a", "ghost", 1)), ResultCode::AccountNotFound);
  EXPECT_EQ(code_of(freeze_command("ghost")), ResultCode::AccountNotFound);
  EXPECT_EQ(code_of(unfreeze_command("ghost")), ResultCode::AccountNotFound);
  EXPECT_EQ(code_of(close_command("ghost")), ResultCode::AccountNotFound);
}

TEST_F(LedgerTest, InsufficientFunds) {
  open("a", 100);
  open("b");
  EXPECT_EQ(code_of(withdraw_command("a", 101)), ResultCode::InsufficientFunds);
  EXPECT_EQ(code_of(transfer_command("a", "b", 101)), ResultCode::InsufficientFunds);
  EXPECT_EQ(code_of(withdraw_command("a", 100)), ResultCode::Ok);
  EXPECT_EQ(harness.find("a")->balance, 0);
}

TEST_F(LedgerTest, OverdraftLimitAllowsANegativeBalanceDownToMinusTheLimit) {
  open("a", 0, "EUR", 50);
  EXPECT_EQ(code_of(withdraw_command("a", 50)), ResultCode::Ok);
  EXPECT_EQ(harness.find("a")->balance, -50);
  EXPECT_EQ(code_of(withdraw_command("a", 1)), ResultCode::InsufficientFunds);
}

TEST_F(LedgerTest, Overflow) {
  open("a", kAmountMax);
  open("b", 1);
  EXPECT_EQ(code_of(deposit_command("a", 1)), ResultCode::Overflow);
  EXPECT_EQ(code_of(transfer_command("b", "a", 1)), ResultCode::Overflow);
  EXPECT_EQ(harness.find("a")->balance, kAmountMax);
  EXPECT_EQ(harness.find("b")->balance, 1);
}

TEST_F(LedgerTest, WithdrawBeyondTheSmallestBalanceIsInsufficientFundsNotUndefined) {
  open("a", 0, "EUR", kAmountMax);
  EXPECT_EQ(code_of(withdraw_command("a", kAmountMax)), ResultCode::Ok);
  EXPECT_EQ(code_of(withdraw_command("a", kAmountMax)), ResultCode::InsufficientFunds);
}

TEST_F(LedgerTest, TransferMovesMoneyAtomicallyAndReportsBothSides) {
  open("a", 100);
  open("b", 10);
  const Outcome event = harness.apply_one(transfer_command("a", "b", 30));
  EXPECT_EQ(event.type, EventType::Transferred);
  EXPECT_EQ(event.balance, 70);
  EXPECT_EQ(event.version, 2u);
  EXPECT_EQ(event.counterparty_id.view(), "b");
  EXPECT_EQ(event.counterparty_balance, 40);
  EXPECT_EQ(event.counterparty_version, 2u);
}

TEST_F(LedgerTest, SameAccount) {
  open("a", 100);
  EXPECT_EQ(code_of(transfer_command("a", "a", 1)), ResultCode::SameAccount);
}

TEST_F(LedgerTest, CurrencyMismatch) {
  open("euro", 100, "EUR");
  open("dollar", 100, "USD");
  EXPECT_EQ(code_of(transfer_command("euro", "dollar", 1)), ResultCode::CurrencyMismatch);
}

TEST_F(LedgerTest, AMovementNamingACurrencyIsRefusedWhereTheAccountHasAnother) {
  open("euro", 100, "EUR");
  open("euro2", 100, "EUR");
  const auto in = [](Command command, std::string_view currency) {
    command.currency = currency;
    return command;
  };
  EXPECT_EQ(code_of(in(deposit_command("euro", 5), "USD")), ResultCode::CurrencyMismatch);
  EXPECT_EQ(code_of(in(withdraw_command("euro", 5), "USD")), ResultCode::CurrencyMismatch);
  EXPECT_EQ(code_of(in(transfer_command("euro", "euro2", 5), "USD")), ResultCode::CurrencyMismatch);
  EXPECT_EQ(harness.find("euro")->balance, 100);  // nothing moved
  EXPECT_EQ(code_of(in(deposit_command("euro", 5), "EUR")), ResultCode::Ok);
  EXPECT_EQ(code_of(in(withdraw_command("euro", 2), "EUR")), ResultCode::Ok);
  EXPECT_EQ(code_of(in(transfer_command("euro", "euro2", 1), "EUR")), ResultCode::Ok);
  EXPECT_EQ(harness.find("euro")->balance, 102);
  // Not a currency code: bad input, before the account is even looked at.
  EXPECT_EQ(code_of(in(deposit_command("nobody", 5), "eur")), ResultCode::InvalidArgument);
  EXPECT_EQ(code_of(in(transfer_command("euro", "euro2", 1), "EURO")), ResultCode::InvalidArgument);
}

TEST_F(LedgerTest, AccountFrozenTakesNoMoneyInOrOut) {
  open("a", 100);
  open("b", 100);
  EXPECT_EQ(code_of(freeze_command("a", "suspicious activity")), ResultCode::Ok);
  EXPECT_EQ(code_of(deposit_command("a", 1)), ResultCode::AccountFrozen);
  EXPECT_EQ(code_of(withdraw_command("a", 1)), ResultCode::AccountFrozen);
  EXPECT_EQ(code_of(transfer_command("a", "b", 1)), ResultCode::AccountFrozen);
  EXPECT_EQ(code_of(transfer_command("b", "a", 1)), ResultCode::AccountFrozen);
  EXPECT_EQ(code_of(freeze_command("a")), ResultCode::AccountFrozen);
  EXPECT_EQ(code_of(close_command("a")), ResultCode::AccountFrozen);
  EXPECT_EQ(code_of(unfreeze_command("a")), ResultCode::Ok);
  EXPECT_EQ(code_of(deposit_command("a", 1)), ResultCode::Ok);
}

TEST_F(LedgerTest, FreezeRecordsItsReason) {
  open("a");
  const Outcome event = harness.apply_one(freeze_command("a", "court order 17"));
  EXPECT_EQ(event.type, EventType::AccountFrozen);
  EXPECT_EQ(event.text.view(), "court order 17");
  EXPECT_EQ(event.version, 2u);
  EXPECT_EQ(harness.find("a")->status, AccountStatus::Frozen);
}

TEST_F(LedgerTest, InvalidArgumentForAnOverlongFreezeReason) {
  open("a");
  EXPECT_EQ(code_of(freeze_command("a", std::string(129, 'r'))), ResultCode::InvalidArgument);
}

TEST_F(LedgerTest, AccountNotFrozen) {
  open("a");
  EXPECT_EQ(code_of(unfreeze_command("a")), ResultCode::AccountNotFrozen);
}

// Freeze, unfreeze and close share one rule: each records its own event with the account's
// balance and next version, takes an expected version, and refuses in the one order.
TEST_F(LedgerTest, StatusChangesRecordTheirEventAndTheNextVersion) {
  open("a");
  Command freeze = freeze_command("a", "audit");
  freeze.expected_version = 1;
  const Outcome frozen = harness.apply_one(freeze);
  EXPECT_EQ(frozen.type, EventType::AccountFrozen);
  EXPECT_EQ(frozen.version, 2u);
  EXPECT_EQ(frozen.text.view(), "audit");
  Command stale_unfreeze = unfreeze_command("a");
  stale_unfreeze.expected_version = 1;  // a frozen account is usable to unfreeze: version next
  EXPECT_EQ(code_of(stale_unfreeze), ResultCode::VersionConflict);
  Command unfreeze = unfreeze_command("a");
  unfreeze.expected_version = 2;
  const Outcome unfrozen = harness.apply_one(unfreeze);
  EXPECT_EQ(unfrozen.type, EventType::AccountUnfrozen);
  EXPECT_EQ(unfrozen.version, 3u);
  EXPECT_TRUE(unfrozen.text.empty());
  EXPECT_EQ(harness.find("a")->status, AccountStatus::Active);
  const Outcome closed = harness.apply_one(close_command("a"));
  EXPECT_EQ(closed.type, EventType::AccountClosed);
  EXPECT_EQ(closed.version, 4u);
  EXPECT_EQ(closed.balance, 0);
  EXPECT_EQ(harness.find("a")->status, AccountStatus::Closed);
  // A rejected freeze keeps its reason; the account's state is as it was.
  const Outcome refused = harness.apply_one(freeze_command("a", "too late"));
  EXPECT_EQ(refused.type, EventType::CommandRejected);
  EXPECT_EQ(refused.code, ResultCode::AccountClosed);
  EXPECT_EQ(refused.text.view(), "too late");
  EXPECT_EQ(refused.version, 4u);
  EXPECT_EQ(code_of(freeze_command("missing")), ResultCode::AccountNotFound);
  EXPECT_EQ(code_of(unfreeze_command("missing")), ResultCode::AccountNotFound);
  EXPECT_EQ(code_of(close_command("missing")), ResultCode::AccountNotFound);
}

TEST_F(LedgerTest, AccountClosedTakesNothing) {
  open("a");
  open("b", 100);
  EXPECT_EQ(code_of(close_command("a")), ResultCode::Ok);
  EXPECT_EQ(harness.find("a")->status, AccountStatus::Closed);
  EXPECT_EQ(code_of(deposit_command("a", 1)), ResultCode::AccountClosed);
  EXPECT_EQ(code_of(withdraw_command("a", 1)), ResultCode::AccountClosed);
  EXPECT_EQ(code_of(transfer_command("b", "a", 1)), ResultCode::AccountClosed);
  EXPECT_EQ(code_of(freeze_command("a")), ResultCode::AccountClosed);
  EXPECT_EQ(code_of(unfreeze_command("a")), ResultCode::AccountClosed);
  EXPECT_EQ(code_of(close_command("a")), ResultCode::AccountClosed);
  EXPECT_EQ(code_of(open_command("a")), ResultCode::AccountExists);
}

TEST_F(LedgerTest, BalanceNotZero) {
  open("a", 1);
  EXPECT_EQ(code_of(close_command("a")), ResultCode::BalanceNotZero);
  open("overdrawn", 0, "EUR", 10);
  ASSERT_EQ(code_of(withdraw_command("overdrawn", 5)), ResultCode::Ok);
  EXPECT_EQ(code_of(close_command("overdrawn")), ResultCode::BalanceNotZero);
}

TEST_F(LedgerTest, VersionConflict) {
  open("a", 100);
  open("b", 100);
  Command stale = deposit_command("a", 1);
  stale.expected_version = 7;
  EXPECT_EQ(code_of(stale), ResultCode::VersionConflict);
  Command current = deposit_command("a", 1);
  current.expected_version = 1;
  EXPECT_EQ(code_of(current), ResultCode::Ok);
  Command stale_destination = transfer_command("a", "b", 1);
  stale_destination.expected_version = 2;
  stale_destination.expected_counterparty_version = 5;
  EXPECT_EQ(code_of(stale_destination), ResultCode::VersionConflict);
  Command stale_close = close_command("b");
  stale_close.expected_version = 9;
  EXPECT_EQ(code_of(stale_close), ResultCode::VersionConflict);
}

TEST_F(LedgerTest, VersionConflictReportsTheCurrentVersion) {
  open("a", 100);
  Command stale = withdraw_command("a", 1);
  stale.expected_version = 3;
  const Outcome event = harness.apply_one(stale);
  EXPECT_EQ(event.type, EventType::CommandRejected);
  EXPECT_EQ(event.version, 1u);
  EXPECT_EQ(event.balance, 100);
}

TEST_F(LedgerTest, DuplicateTransaction) {
  open("a", 100);
  open("b", 100);
  Command first = deposit_command("a", 5);
  first.transaction_id = {.low = 99, .high = 1};
  EXPECT_EQ(code_of(first), ResultCode::Ok);
  Command again = withdraw_command("b", 5);
  again.transaction_id = first.transaction_id;
  EXPECT_EQ(code_of(again), ResultCode::DuplicateTransaction);
  Command transfer = transfer_command("a", "b", 5);
  transfer.transaction_id = first.transaction_id;
  EXPECT_EQ(code_of(transfer), ResultCode::DuplicateTransaction);
}

TEST_F(LedgerTest, ARejectedMovementDoesNotConsumeItsTransactionId) {
  open("a", 0);
  Command too_much = withdraw_command("a", 5);
  too_much.transaction_id = {.low = 5, .high = 0};
  EXPECT_EQ(code_of(too_much), ResultCode::InsufficientFunds);
  Command deposit = deposit_command("a", 5);
  deposit.transaction_id = too_much.transaction_id;
  EXPECT_EQ(code_of(deposit), ResultCode::Ok);
}

TEST_F(LedgerTest, AMovementKeepsItsTransactionTextAppliedOrRejected) {
  open("a", 100);
  Command deposit = deposit_command("a", 5);
  deposit.transaction_text = "txn-1";
  deposit.transaction_id = id_of_text("txn-1");
  const Outcome applied = harness.apply_one(deposit);
  EXPECT_EQ(applied.code, ResultCode::Ok);
  EXPECT_EQ(applied.transaction_text(), "txn-1");
  EXPECT_EQ(applied.owner_or_reason(), "");
  Command too_much = withdraw_command("a", 1000);
  too_much.transaction_text = "3F2504E0-4F89-11D3-9A0C-0305E82C3301";
  too_much.transaction_id = id_of_text(too_much.transaction_text);
  const Outcome rejected = harness.apply_one(too_much);
  EXPECT_EQ(rejected.code, ResultCode::InsufficientFunds);
  EXPECT_EQ(rejected.transaction_text(), "3F2504E0-4F89-11D3-9A0C-0305E82C3301");
  // The same text again is the same transaction.
  EXPECT_EQ(code_of(deposit), ResultCode::DuplicateTransaction);
}

TEST_F(LedgerTest, ATransactionTextMustBeWellFormedAndNameItsId) {
  open("a", 100);
  open("b", 100);
  Command mismatched = deposit_command("a", 5);
  mismatched.transaction_text = "txn-1";
  mismatched.transaction_id = id_of_text("txn-2");
  EXPECT_EQ(code_of(mismatched), ResultCode::InvalidArgument);
  Command without_id = transfer_command("a", "b", 5);
  without_id.transaction_text = "txn-1";
  EXPECT_EQ(code_of(without_id), ResultCode::InvalidArgument);
  const std::string long_text(65, 'x');
  Command too_long = withdraw_command("a", 5);
  too_long.transaction_text = long_text;
  too_long.transaction_id = id_of_text(long_text);
  const Outcome rejected = harness.apply_one(too_long);
  EXPECT_EQ(rejected.code, ResultCode::InvalidArgument);
  EXPECT_EQ(rejected.transaction_text(), "");  // not kept: no one could be shown it
  const std::string longest(64, 'x');
  Command fits = withdraw_command("a", 5);
  fits.transaction_text = longest;
  fits.transaction_id = id_of_text(longest);
  EXPECT_EQ(code_of(fits), ResultCode::Ok);
}

TEST(LedgerLimitsTest, LimitExceededWhenTheAccountTableIsFull) {
  LedgerHarness harness(LedgerLimits{.accounts_max = 2});
  EXPECT_EQ(harness.apply_one(open_command("a")).code, ResultCode::Ok);
  EXPECT_EQ(harness.apply_one(open_command("b")).code, ResultCode::Ok);
  EXPECT_EQ(harness.apply_one(open_command("c")).code, ResultCode::LimitExceeded);
}

TEST(LedgerLimitsTest, AFailedGeneratedOpenRecordsNoId) {
  LedgerHarness harness(LedgerLimits{.accounts_max = 0});
  const Outcome event = harness.apply_one(open_command(""));
  EXPECT_EQ(event.code, ResultCode::LimitExceeded);
  EXPECT_TRUE(event.account_id.empty());
}

TEST(LedgerLimitsTest, OutOfRangeBatchLimitIsRefusedAtStartUp) {
  EXPECT_THROW(Ledger(LedgerLimits{.batch_commands_max = 0}), std::invalid_argument);
  EXPECT_THROW(Ledger(LedgerLimits{.batch_commands_max = 70'000}), std::invalid_argument);
}

TEST(LedgerLimitsTest, LimitExceededWhenTransactionIdsAreFull) {
  LedgerHarness harness(LedgerLimits{.transaction_ids_max = 1});
  harness.apply_one(open_command("a"));
  Command first = deposit_command("a", 1);
  first.transaction_id = {.low = 1, .high = 0};
  EXPECT_EQ(harness.apply_one(first).code, ResultCode::Ok);
  Command second = deposit_command("a", 1);
  second.transaction_id = {.low = 2, .high = 0};
  EXPECT_EQ(harness.apply_one(second).code, ResultCode::LimitExceeded);
  EXPECT_EQ(harness.apply_one(deposit_command("a", 1)).code, ResultCode::Ok);
}

TEST_F(LedgerTest, UnknownCommandTypeIsInvalidArgument) {
  EXPECT_EQ(code_of(Command{}), ResultCode::InvalidArgument);
}

TEST_F(LedgerTest, EveryRejectionIsRecordedAsAnEventWithItsReason) {
  open("a", 10);
  const Outcome event = harness.apply_one(withdraw_command("a", 11));
  EXPECT_EQ(event.type, EventType::CommandRejected);
  EXPECT_EQ(event.code, ResultCode::InsufficientFunds);
  EXPECT_EQ(event.command_type, CommandType::Withdraw);
  EXPECT_EQ(event.account_id.view(), "a");
  EXPECT_EQ(event.amount, 11);
  EXPECT_EQ(event.sequence, 2u);
}

TEST_F(LedgerTest, SequencesAreGaplessAndTimestampsNeverGoBackwards) {
  open("a", 100);
  harness.now_ns -= 1'000'000'000;  // the wall clock steps back a second
  const Command commands[] = {deposit_command("a", 1), withdraw_command("a", 1000),
                              deposit_command("ghost", 1)};
  const std::vector<Outcome> events = harness.apply(commands);
  ASSERT_EQ(events.size(), 3u);
  int64_t previous_timestamp = 0;
  for (size_t index = 0; index < events.size(); ++index) {
    EXPECT_EQ(events[index].sequence, index + 2);
    EXPECT_GE(events[index].timestamp_ns, previous_timestamp);
    previous_timestamp = events[index].timestamp_ns;
  }
  EXPECT_GE(events.front().timestamp_ns, 1'700'000'000'000'000'000);
  EXPECT_TRUE(events.back().is_last_in_request());
  EXPECT_FALSE(events.front().is_last_in_request());
}

}  // namespace
}  // namespace tally
