#include "tools/tally/batch_planner.h"

#include "engine/currency.h"
#include "tools/tally/exit_code.h"
#include "tools/tally/hex_id.h"

namespace tally::cli {
namespace {

// "-" stands for "let the server choose", where an empty word is awkward to type.
constexpr std::string_view kGeneratedId = "-";

client::CommandOptions options_of(const LedgerCommand& command) {
  client::CommandOptions options;
  if (!command.transaction_id.empty()) {
    options.transaction_id = parse_transaction_id(command.transaction_id);
  }
  options.expected_version = command.expected_version;
  options.expected_counterparty_version = command.expected_to_version;
  return options;
}

void check_currency(const std::string& currency) {
  // The decimal places depend on it: a code that is not one cannot be guessed at.
  if (!currency.empty() && !CurrencyCode::parse(currency)) {
    throw UsageError("--currency \"" + currency + "\" is not an ISO 4217 code (three letters " +
                     "A-Z, e.g. EUR)");
  }
}

}  // namespace

AmountFormat BatchPlanner::format_of(const LedgerCommand& command) const {
  check_currency(command.currency);
  if (command.currency.empty()) {
    const auto opened = opened_currencies_.find(command.account_id);
    if (opened != opened_currencies_.end()) {
      return AmountFormat::for_currency(opened->second);
    }
  }
  return AmountFormat::for_currency(command.currency);
}

void BatchPlanner::add(const LedgerCommand& command) {
  const AmountFormat format = format_of(command);
  const std::string& account = command.account_id;
  switch (command.kind) {
    case CommandKind::kOpen:
      add_open(command, format);
      return;
    case CommandKind::kDeposit:
      batch_.deposit(account, parse_amount(command.amount, format, "amount"), options_of(command));
      break;
    case CommandKind::kWithdraw:
      batch_.withdraw(account, parse_amount(command.amount, format, "amount"), options_of(command));
      break;
    case CommandKind::kTransfer:
      batch_.transfer(account, command.to_account_id,
                      parse_amount(command.amount, format, "amount"), options_of(command));
      break;
    case CommandKind::kFreeze:
      batch_.freeze(account, command.reason, options_of(command));
      break;
    case CommandKind::kUnfreeze:
      batch_.unfreeze(account, options_of(command));
      break;
    case CommandKind::kClose:
      batch_.close(account, options_of(command));
      break;
  }
  commands_.push_back(
      {.kind = command.kind, .account_id = account, .decimal_places = format.decimal_places});
}

void BatchPlanner::add_open(const LedgerCommand& command, const AmountFormat& format) {
  const std::string account = command.account_id == kGeneratedId ? "" : command.account_id;
  const AccountType type =
      command.account_type == "savings" ? AccountType::Savings : AccountType::Checking;
  const int64_t overdraft = parse_amount(command.overdraft, format, "--overdraft");
  const int64_t initial_deposit =
      parse_amount(command.initial_deposit, format, "--initial-deposit");
  batch_.open_account(account, command.owner, command.currency, type, overdraft, initial_deposit);
  commands_.push_back(
      {.kind = command.kind, .account_id = account, .decimal_places = format.decimal_places});
  if (!account.empty()) {
    opened_currencies_.emplace(account, command.currency);
  }
}

}  // namespace tally::cli
