// LedgerCommand: one ledger command as the user typed it, on the command line or as a batch
// line: text, not yet checked. BatchPlanner turns it into what goes on the wire.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tally::cli {

enum class CommandKind { kOpen, kDeposit, kWithdraw, kTransfer, kFreeze, kUnfreeze, kClose };

// The subcommand's name: "open", "deposit", ...
std::string_view command_kind_name(CommandKind kind);

struct LedgerCommand {
  CommandKind kind = CommandKind::kDeposit;
  std::string account_id;     // open: empty or "-" for one the server generates; transfer: from
  std::string to_account_id;  // transfer
  std::string amount;         // deposit, withdraw, transfer: decimal, in the currency's units
  std::string currency;       // open: required; others: optional, must be the account's
  std::string owner;          // open
  std::string account_type = "checking";        // open
  std::string overdraft = "0";                  // open: decimal
  std::string initial_deposit = "0";            // open: decimal
  std::string reason;                           // freeze
  std::string transaction_id;                   // deposit, withdraw, transfer: hex, optional
  std::optional<uint64_t> expected_version;     // of the (source) account
  std::optional<uint64_t> expected_to_version;  // transfer: of the destination
};

inline std::string_view command_kind_name(CommandKind kind) {
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

}  // namespace tally::cli
