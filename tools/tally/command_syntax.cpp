#include "tools/tally/command_syntax.h"

#include <array>

namespace tally::cli {
namespace {

constexpr std::array<CommandKind, 7> kAllKinds = {
    CommandKind::kOpen,   CommandKind::kDeposit,  CommandKind::kWithdraw, CommandKind::kTransfer,
    CommandKind::kFreeze, CommandKind::kUnfreeze, CommandKind::kClose};

}  // namespace

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
  for (const CommandKind kind : kAllKinds) {
    if (command_kind_name(kind) == name) {
      return true;
    }
  }
  return false;
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

}  // namespace tally::cli
