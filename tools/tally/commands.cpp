// The ledger commands of commands.h: their CLI11 syntax, their planning into one request, and
// the reading of a batch, line by line, through that same syntax.
#include "tools/tally/commands.h"

#include <algorithm>
#include <array>

#include "engine/wire/currency.h"

namespace tally::cli {
namespace {

constexpr std::array<CommandKind, 7> kAllKinds = {
    CommandKind::kOpen,   CommandKind::kDeposit,  CommandKind::kWithdraw, CommandKind::kTransfer,
    CommandKind::kFreeze, CommandKind::kUnfreeze, CommandKind::kClose};

// "-" stands for "let the server choose", where an empty word is awkward to type.
constexpr std::string_view kGeneratedId = "-";

bool has_amount(CommandKind kind) {
  return kind == CommandKind::kDeposit || kind == CommandKind::kWithdraw ||
         kind == CommandKind::kTransfer;
}

client::CommandOptions options_of(const LedgerCommand& command) {
  client::CommandOptions options;
  if (!command.transaction_id.empty() && !command.transaction_text.empty()) {
    throw UsageError("--transaction and --transaction-id name the same thing: give one");
  }
  if (!command.transaction_id.empty()) {
    options.transaction_id = parse_transaction_id(command.transaction_id);
  }
  if (!command.transaction_text.empty()) {
    options.transaction_text = parse_transaction_text(command.transaction_text);
  }
  options.expected_version = command.expected_version;
  options.expected_counterparty_version = command.expected_to_version;
  if (has_amount(command.kind)) {
    options.currency = command.currency;  // the server checks it too, with the command
  }
  return options;
}

void check_currency(const std::string& currency) {
  // The decimal places depend on it: a code that is not one cannot be guessed at.
  if (!currency.empty() && !CurrencyCode::parse(currency)) {
    throw UsageError("--currency \"" + currency + "\" is not an ISO 4217 code (three letters " +
                     "A-Z, e.g. EUR)");
  }
}

// `message` about the command at `where` ("line 3"), if it has a place.
std::string at(const std::string& where, const std::string& message) {
  return where.empty() ? message : where + ": " + message;
}

// Adds `command`, any but an opening, to `batch`, its amount read with `format`.
void add_to_batch(client::BatchBuilder& batch, const LedgerCommand& command,
                  const AmountFormat& format, const client::CommandOptions& options) {
  const std::string& account = command.account_id;
  switch (command.kind) {
    case CommandKind::kDeposit:
      batch.deposit(account, parse_amount(command.amount, format, "amount"), options);
      break;
    case CommandKind::kWithdraw:
      batch.withdraw(account, parse_amount(command.amount, format, "amount"), options);
      break;
    case CommandKind::kTransfer:
      batch.transfer(account, command.to_account_id, parse_amount(command.amount, format, "amount"),
                     options);
      break;
    case CommandKind::kFreeze:
      batch.freeze(account, command.reason, options);
      break;
    case CommandKind::kUnfreeze:
      batch.unfreeze(account, options);
      break;
    case CommandKind::kClose:
      batch.close(account, options);
      break;
    case CommandKind::kOpen:
      break;  // BatchPlanner::add_open's
  }
}

// One CLI11 app for every batch line: apps are costly to build, and a batch may hold
// thousands.
class LineParser {
 public:
  LineParser() : app_("a batch line"), syntax_(prepared(app_)) {}

  // The command on `words` (not empty). Throws UsageError.
  LedgerCommand parse(std::vector<std::string> words) {
    if (!CommandSyntax::is_command_name(words.front())) {
      throw UsageError("unknown command \"" + words.front() +
                       "\" (a batch line holds one of open, deposit, withdraw, transfer, "
                       "freeze, unfreeze, close)");
    }
    app_.clear();
    syntax_.reset();
    std::reverse(words.begin(), words.end());  // CLI11 takes the arguments last first
    try {
      app_.parse(words);
    } catch (const CLI::ParseError& error) {
      throw UsageError(error.what());
    }
    return *syntax_.parsed();
  }

 private:
  // --help means nothing on a batch line; without it the subcommands do not get one either.
  static CLI::App& prepared(CLI::App& app) {
    app.set_help_flag();
    app.require_subcommand(1);
    return app;
  }

  CLI::App app_;
  CommandSyntax syntax_;
};

}  // namespace

std::string_view command_kind_name(CommandKind kind) {
  switch (kind) {
    case CommandKind::kOpen:
      return "open";
    case CommandKind::kDeposit:
      return "deposit";
    case CommandKind::kWithdraw:
      return "withdraw";
    case CommandKind::kTransfer:
      return "transfer";
    case CommandKind::kFreeze:
      return "freeze";
    case CommandKind::kUnfreeze:
      return "unfreeze";
    case CommandKind::kClose:
      return "close";
  }
  return "unknown";
}

// ---- CommandSyntax ------------------------------------------------------------------------

CommandSyntax::CommandSyntax(CLI::App& app) {
  add_open(app);
  add_money_movement(app, CommandKind::kDeposit, "put money into an account");
  add_money_movement(app, CommandKind::kWithdraw, "take money out of an account");
  add_transfer(app);
  CLI::App* freeze = add_status_change(
      app, CommandKind::kFreeze, "stop money moving in or out of an account until it is unfrozen");
  freeze->add_option("--reason", typed_.reason, "why (UTF-8, up to 128 bytes)")->required();
  add_status_change(app, CommandKind::kUnfreeze, "let money move again on a frozen account");
  add_status_change(app, CommandKind::kClose, "close an account (its balance must be zero)");
}

bool CommandSyntax::is_command_name(std::string_view name) {
  return std::any_of(kAllKinds.begin(), kAllKinds.end(),
                     [name](CommandKind kind) { return command_kind_name(kind) == name; });
}

std::optional<LedgerCommand> CommandSyntax::parsed() const {
  for (const auto& [subcommand, kind] : subcommands_) {
    if (subcommand->parsed()) {
      LedgerCommand command = typed_;
      command.kind = kind;
      return command;
    }
  }
  return std::nullopt;
}

CLI::App* CommandSyntax::add(CLI::App& app, CommandKind kind, std::string description) {
  CLI::App* subcommand = app.add_subcommand(std::string(command_kind_name(kind)), description);
  subcommands_.emplace_back(subcommand, kind);
  return subcommand;
}

void CommandSyntax::add_currency_option(CLI::App& command) {
  command.add_option("--currency", typed_.currency,
                     "the account's currency (ISO 4217, e.g. JPY), which tally asks the server "
                     "for anyway: one that is not the account's is refused");
}

void CommandSyntax::add_open(CLI::App& app) {
  CLI::App* open = add(app, CommandKind::kOpen, "open an account");
  open->add_option("account-id", typed_.account_id,
                   "the new account's id (up to 64 of A-Z a-z 0-9 . _ : -); - or empty: the "
                   "server generates one");
  open->add_option("--owner", typed_.owner, "the owner's name (UTF-8, up to 128 bytes)")
      ->required();
  open->add_option("--currency", typed_.currency,
                   "ISO 4217 code, e.g. EUR; also sets the decimal places of the amounts")
      ->required();
  open->add_option("--type", typed_.account_type, "checking or savings")
      ->check(CLI::IsMember({"checking", "savings"}))
      ->capture_default_str();
  open->add_option("--overdraft", typed_.overdraft,
                   "how far below zero the balance may go, e.g. 100.00")
      ->capture_default_str();
  open->add_option("--initial-deposit", typed_.initial_deposit, "the opening balance, e.g. 50.00")
      ->capture_default_str();
}

void CommandSyntax::add_money_movement(CLI::App& app, CommandKind kind, std::string description) {
  CLI::App* command = add(app, kind, std::move(description));
  command->add_option("account", typed_.account_id, "the account's id")->required();
  command->add_option("amount", typed_.amount, "decimal, e.g. 12.50")->required();
  command->add_option("--transaction-id", typed_.transaction_id,
                      "business transaction id, 1 to 32 hex digits, unique across the ledger");
  command->add_option("--transaction", typed_.transaction_text,
                      "business transaction id as text (a UUID or 1 to 64 printable ASCII "
                      "bytes), shown back as given; not with --transaction-id");
  command->add_option("--expected-version", typed_.expected_version,
                      "apply only if the account is at this version");
  add_currency_option(*command);
}

void CommandSyntax::add_transfer(CLI::App& app) {
  CLI::App* transfer = add(app, CommandKind::kTransfer, "move money between two accounts");
  transfer->add_option("from", typed_.account_id, "the account paying")->required();
  transfer->add_option("to", typed_.to_account_id, "the account paid")->required();
  transfer->add_option("amount", typed_.amount, "decimal, e.g. 12.50")->required();
  transfer->add_option("--transaction-id", typed_.transaction_id,
                       "business transaction id, 1 to 32 hex digits, unique across the ledger");
  transfer->add_option("--transaction", typed_.transaction_text,
                       "business transaction id as text (a UUID or 1 to 64 printable ASCII "
                       "bytes), shown back as given; not with --transaction-id");
  transfer->add_option("--expected-from-version", typed_.expected_version,
                       "apply only if the paying account is at this version");
  transfer->add_option("--expected-to-version", typed_.expected_to_version,
                       "apply only if the paid account is at this version");
  add_currency_option(*transfer);
}

CLI::App* CommandSyntax::add_status_change(CLI::App& app, CommandKind kind,
                                           std::string description) {
  CLI::App* command = add(app, kind, std::move(description));
  command->add_option("account", typed_.account_id, "the account's id")->required();
  command->add_option("--expected-version", typed_.expected_version,
                      "apply only if the account is at this version");
  add_currency_option(*command);
  return command;
}

// ---- BatchPlanner -------------------------------------------------------------------------

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
  return std::any_of(typed_.begin(), typed_.end(), [](const TypedCommand& typed) {
    return typed.command.kind != CommandKind::kOpen;
  });
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
  add_to_batch(batch_, command, format, options);
  commands_.push_back({.kind = command.kind,
                       .account_id = command.account_id,
                       .decimal_places = format.decimal_places});
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

// ---- Batch input --------------------------------------------------------------------------

void read_batch(std::istream& input, BatchPlanner& planner) {
  LineParser parser;
  std::string line;
  size_t line_number = 0;
  size_t commands = 0;
  while (std::getline(input, line)) {
    ++line_number;
    try {
      std::vector<std::string> words = split_words(line);
      if (words.empty()) {
        continue;  // blank, or only a comment
      }
      planner.add(parser.parse(std::move(words)), "line " + std::to_string(line_number));
      ++commands;
    } catch (const UsageError& error) {
      throw UsageError("line " + std::to_string(line_number) + ": " + error.what());
    }
  }
  if (input.bad()) {
    throw UsageError("cannot read the batch input");
  }
  if (commands == 0) {
    throw UsageError("the batch holds no command");
  }
}

}  // namespace tally::cli
