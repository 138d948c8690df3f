#include "tools/tally/batch_planner.h"

#include "engine/wire/currency.h"
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

bool has_amount(CommandKind kind) {
  return kind == CommandKind::kDeposit || kind == CommandKind::kWithdraw ||
         kind == CommandKind::kTransfer;
}

// `message` about the command at `where` ("line 3"), if it has a place.
std::string at(const std::string& where, const std::string& message) {
  return where.empty() ? message : where + ": " + message;
}

}  // namespace

void BatchPlanner::add(const LedgerCommand& command, std::string where) {
  check_currency(command.currency);
  options_of(command);  // the ids, read again by plan()
  if (command.kind == CommandKind::kOpen) {
    const AmountFormat format = AmountFormat::for_currency(command.currency);
    parse_amount(command.overdraft, format, "--overdraft");
    parse_amount(command.initial_deposit, format, "--initial-deposit");
  } else if (has_amount(command.kind)) {
    // With --currency the decimal places are known already; plan() checks it is the account's.
    if (command.currency.empty()) {
      check_amount_form(command.amount, "amount");
    } else {
      parse_amount(command.amount, AmountFormat::for_currency(command.currency), "amount");
    }
  }
  typed_.push_back({command, std::move(where)});
}

bool BatchPlanner::needs_currencies() const {
  for (const TypedCommand& typed : typed_) {
    if (typed.command.kind != CommandKind::kOpen) {
      return true;
    }
  }
  return false;
}

void BatchPlanner::plan(const CurrencyOf& currency_of) {
  for (const TypedCommand& typed : typed_) {
    try {
      plan_one(typed, currency_of);
    } catch (const UsageError& error) {
      throw UsageError(at(typed.where, error.what()));
    }
  }
}

std::optional<std::string> BatchPlanner::currency_for(const TypedCommand& typed,
                                                      const CurrencyOf& currency_of) const {
  const LedgerCommand& command = typed.command;
  std::optional<std::string> currency = currency_of(command.account_id);
  if (!currency) {
    // Opened earlier in this batch (if the server had it, that opening fails: it keeps its own).
    const auto opened = opened_currencies_.find(command.account_id);
    if (opened != opened_currencies_.end()) {
      currency = opened->second;
    }
  }
  if (currency && !command.currency.empty() && command.currency != *currency) {
    throw UsageError("--currency " + command.currency + " is not the currency of account \"" +
                     command.account_id + "\", which is " + *currency +
                     " (an account's currency is set when it is opened)");
  }
  return currency;
}

void BatchPlanner::plan_one(const TypedCommand& typed, const CurrencyOf& currency_of) {
  const LedgerCommand& command = typed.command;
  if (command.kind == CommandKind::kOpen) {
    add_open(command);
    return;
  }
  const std::optional<std::string> currency = currency_for(typed, currency_of);
  const AmountFormat format = AmountFormat::for_currency(currency.value_or(command.currency));
  client::CommandOptions options = options_of(command);
  if (!currency) {
    // Nobody knows the account: it must not exist when this arrives (see the header).
    options.expected_version = 0;
  }
  const std::string& account = command.account_id;
  switch (command.kind) {
    case CommandKind::kDeposit:
      batch_.deposit(account, parse_amount(command.amount, format, "amount"), options);
      break;
    case CommandKind::kWithdraw:
      batch_.withdraw(account, parse_amount(command.amount, format, "amount"), options);
      break;
    case CommandKind::kTransfer:
      batch_.transfer(account, command.to_account_id,
                      parse_amount(command.amount, format, "amount"), options);
      break;
    case CommandKind::kFreeze:
      batch_.freeze(account, command.reason, options);
      break;
    case CommandKind::kUnfreeze:
      batch_.unfreeze(account, options);
      break;
    case CommandKind::kClose:
      batch_.close(account, options);
      break;
    case CommandKind::kOpen:
      break;  // add_open's, above
  }
  commands_.push_back(
      {.kind = command.kind, .account_id = account, .decimal_places = format.decimal_places});
}

void BatchPlanner::add_open(const LedgerCommand& command) {
  const AmountFormat format = AmountFormat::for_currency(command.currency);
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
