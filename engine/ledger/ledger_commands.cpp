// The rule of each command. Checks run in one order for every command, so that a command
// that breaks several rules always gets the same reason: arguments, existence, closed,
// frozen, version, currency (a transfer's two accounts, the client's expected currency),
// transaction id, then funds and overflow.
#include <string_view>

#include "engine/base/checked_math.h"
#include "engine/base/id_text.h"
#include "engine/base/invariant.h"
#include "engine/base/text_validation.h"
#include "engine/ledger/ledger.h"
#include "engine/ledger/outcome_fields.h"

namespace tally {
namespace {

// A money movement may name the currency the client means: three letters A-Z, or nothing.
bool is_valid_expected_currency(std::string_view currency) {
  return currency.empty() || CurrencyCode::parse(currency).has_value();
}

// A transaction text, if given, must be well formed and name the command's transaction id:
// the id is the identity (duplicates are found by it), the text only how it is shown.
bool is_valid_transaction_text_for(const Command& command) {
  return command.transaction_text.empty() ||
         (is_valid_transaction_text(command.transaction_text) &&
          id_of_text(command.transaction_text) == command.transaction_id);
}

// Whether the account's currency is the one the client means (none named: any).
bool is_expected_currency(std::string_view expected, CurrencyCode actual) {
  return expected.empty() || *CurrencyCode::parse(expected) == actual;
}

ResultCode validate_open(const Command& command) {
  if (!command.account_id.empty() && !is_valid_client_account_id(command.account_id)) {
    return ResultCode::InvalidArgument;
  }
  if (command.owner.size() > kOwnerBytesMax || !is_valid_utf8(command.owner)) {
    return ResultCode::InvalidArgument;
  }
  if (!CurrencyCode::parse(command.currency)) {
    return ResultCode::InvalidArgument;
  }
  if (command.account_type != AccountType::Checking &&
      command.account_type != AccountType::Savings) {
    return ResultCode::InvalidArgument;
  }
  if (command.overdraft_limit < 0) {
    return ResultCode::InvalidArgument;
  }
  if (command.amount < 0) {
    return ResultCode::InvalidAmount;
  }
  return ResultCode::Ok;
}

// The balance after a deposit or withdrawal into `balance`, or why there can be none.
ResultCode balance_after(const Account& account, const Command& command, int64_t& balance) {
  if (command.type == CommandType::Deposit) {
    const std::optional<int64_t> sum = checked_add(account.balance, command.amount);
    if (!sum) {
      return ResultCode::Overflow;
    }
    balance = *sum;
    return ResultCode::Ok;
  }
  const std::optional<int64_t> difference = checked_subtract(account.balance, command.amount);
  if (!difference || *difference < -account.overdraft_limit) {
    return ResultCode::InsufficientFunds;
  }
  balance = *difference;
  return ResultCode::Ok;
}

// Why `account`, found usable, cannot take `status`: only a frozen account can be unfrozen,
// only an empty one closed. Freezing asks nothing more.
ResultCode check_status_change(const Account& account, AccountStatus status) {
  if (status == AccountStatus::Active && account.status != AccountStatus::Frozen) {
    return ResultCode::AccountNotFrozen;
  }
  if (status == AccountStatus::Closed && account.balance != 0) {
    return ResultCode::BalanceNotZero;
  }
  return ResultCode::Ok;
}

}  // namespace

ResultCode Ledger::open_account(const Command& command, Outcome& event) {
  if (const ResultCode invalid = validate_open(command); !is_ok(invalid)) {
    return invalid;
  }
  if (command.account_id.empty()) {
    event.account_id.assign(GeneratedAccountId(event.sequence).view());
  }
  const std::string_view account_id = event.account_id.view();
  if (accounts_.find(account_id) != kNoAccount) {
    return ResultCode::AccountExists;
  }
  if (accounts_.size() >= limits_.accounts_max) {
    return ResultCode::LimitExceeded;
  }
  const Account account{.balance = command.amount,
                        .overdraft_limit = command.overdraft_limit,
                        .version = 1,
                        .currency = *CurrencyCode::parse(command.currency),
                        .status = AccountStatus::Active,
                        .type = command.account_type};
  const AccountRef ref = accounts_.insert(account_id, account);
  if (recording_undo_) {
    undo_log_.push_back({.kind = UndoEntry::Kind::kAccountOpened,
                         .account = ref,
                         .previous = {},
                         .transaction_id = {}});
  }
  record_opening(account, event);
  event.text.assign(command.owner);
  return ResultCode::Ok;
}

ResultCode Ledger::move_money(const Command& command, const AccountHashes& hashes, Outcome& event) {
  if (command.amount <= 0) {
    return ResultCode::InvalidAmount;
  }
  if (!is_valid_expected_currency(command.currency) || !is_valid_transaction_text_for(command)) {
    return ResultCode::InvalidArgument;
  }
  AccountRef index = kNoAccount;
  if (const ResultCode unusable =
          find_usable(command.account_id, hashes.account, false, command.expected_version, index);
      !is_ok(unusable)) {
    return unusable;
  }
  if (!is_expected_currency(command.currency, accounts_.at(index).currency)) {
    return ResultCode::CurrencyMismatch;
  }
  if (const ResultCode taken = check_transaction_id(command.transaction_id); !is_ok(taken)) {
    return taken;
  }
  Account updated = accounts_.at(index);
  if (const ResultCode unaffordable = balance_after(updated, command, updated.balance);
      !is_ok(unaffordable)) {
    return unaffordable;
  }
  ++updated.version;
  change_account(index, updated);
  add_transaction(command.transaction_id);
  event.type = command.type == CommandType::Deposit ? EventType::Deposited : EventType::Withdrawn;
  record_account(updated, event);
  return ResultCode::Ok;
}

ResultCode Ledger::transfer(const Command& command, const AccountHashes& hashes, Outcome& event) {
  if (command.amount <= 0) {
    return ResultCode::InvalidAmount;
  }
  if (!is_valid_expected_currency(command.currency) || !is_valid_transaction_text_for(command)) {
    return ResultCode::InvalidArgument;
  }
  if (command.account_id == command.counterparty_id) {
    return ResultCode::SameAccount;
  }
  AccountRef source_index = kNoAccount;
  AccountRef destination_index = kNoAccount;
  if (const ResultCode unusable = find_usable(command.account_id, hashes.account, false,
                                              command.expected_version, source_index);
      !is_ok(unusable)) {
    return unusable;
  }
  if (const ResultCode unusable =
          find_usable(command.counterparty_id, hashes.counterparty, false,
                      command.expected_counterparty_version, destination_index);
      !is_ok(unusable)) {
    return unusable;
  }
  // Two ids that differ name two records: the undo log and the event's two sides rely on it.
  TALLY_ASSERT(source_index != destination_index);
  Account source = accounts_.at(source_index);
  Account destination = accounts_.at(destination_index);
  if (source.currency != destination.currency ||
      !is_expected_currency(command.currency, source.currency)) {
    return ResultCode::CurrencyMismatch;
  }
  if (const ResultCode taken = check_transaction_id(command.transaction_id); !is_ok(taken)) {
    return taken;
  }
  const std::optional<int64_t> source_balance = checked_subtract(source.balance, command.amount);
  if (!source_balance || *source_balance < -source.overdraft_limit) {
    return ResultCode::InsufficientFunds;
  }
  const std::optional<int64_t> destination_balance =
      checked_add(destination.balance, command.amount);
  if (!destination_balance) {
    return ResultCode::Overflow;
  }
  source.balance = *source_balance;
  ++source.version;
  destination.balance = *destination_balance;
  ++destination.version;
  change_account(source_index, source);
  change_account(destination_index, destination);
  add_transaction(command.transaction_id);
  event.type = EventType::Transferred;
  record_account(source, event);
  event.counterparty_balance = destination.balance;
  event.counterparty_version = destination.version;
  return ResultCode::Ok;
}

ResultCode Ledger::freeze(const Command& command, const AccountHashes& hashes, Outcome& event) {
  if (command.reason.size() > kFreezeReasonBytesMax || !is_valid_utf8(command.reason)) {
    return ResultCode::InvalidArgument;
  }
  const ResultCode code = change_status(command, hashes, AccountStatus::Frozen, event);
  if (is_ok(code)) {
    event.text.assign(command.reason);
  }
  return code;
}

ResultCode Ledger::change_status(const Command& command, const AccountHashes& hashes,
                                 AccountStatus status, Outcome& event) {
  // Unfreezing is the one command a frozen account takes.
  const bool allow_frozen = status == AccountStatus::Active;
  AccountRef index = kNoAccount;
  if (const ResultCode unusable = find_usable(command.account_id, hashes.account, allow_frozen,
                                              command.expected_version, index);
      !is_ok(unusable)) {
    return unusable;
  }
  Account updated = accounts_.at(index);
  if (const ResultCode refused = check_status_change(updated, status); !is_ok(refused)) {
    return refused;
  }
  updated.status = status;
  ++updated.version;
  change_account(index, updated);
  event.type = status_change_event(status);
  record_account(updated, event);
  return ResultCode::Ok;
}

}  // namespace tally
