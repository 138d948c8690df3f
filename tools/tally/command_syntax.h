// CommandSyntax: the seven ledger subcommands (open, deposit, withdraw, transfer, freeze,
// unfreeze, close) defined once with CLI11, so that `tally deposit alice 12.50` and the batch
// line `deposit alice 12.50` are read by the same rules and give the same errors.
//
// CLI11 writes the parsed values into this object's LedgerCommand: it must outlive the app's
// parses and never move.
#pragma once

#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "tools/tally/ledger_command.h"

namespace tally::cli {

class CommandSyntax {
 public:
  // Adds the subcommands to `app`.
  explicit CommandSyntax(CLI::App& app);
  CommandSyntax(const CommandSyntax&) = delete;
  CommandSyntax& operator=(const CommandSyntax&) = delete;

  // After app.parse(): the command given, if it was one of these subcommands.
  std::optional<LedgerCommand> parsed() const;
  // Forgets the values of the last parse, so the same app can read the next batch line.
  void reset() { typed_ = LedgerCommand(); }

  // The subcommands' names, for messages.
  static bool is_command_name(std::string_view name);

 private:
  CLI::App* add(CLI::App& app, CommandKind kind, std::string description);
  void add_open(CLI::App& app);
  void add_money_movement(CLI::App& app, CommandKind kind, std::string description);
  void add_transfer(CLI::App& app);
  CLI::App* add_status_change(CLI::App& app, CommandKind kind, std::string description);
  void add_currency_option(CLI::App& command);

  LedgerCommand typed_;
  std::vector<std::pair<CLI::App*, CommandKind>> subcommands_;
};

}  // namespace tally::cli
