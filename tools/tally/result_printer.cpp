#include "tools/tally/result_printer.h"

#include <cstdio>
#include <string>

#include "tools/common/json.h"
#include "tools/tally/amount.h"
#include "tools/tally/result_code_name.h"
#include "tools/tally/text_table.h"

namespace tally::cli {
namespace {

// The account the balance belongs to: the server names it for an open (it may have chosen
// it); otherwise it is the one the command was sent for.
const std::string& account_of(const PlannedCommand& command,
                              const client::CommandOutcome& outcome) {
  return outcome.account_id.empty() ? command.account_id : outcome.account_id;
}

void print_json(const std::vector<PlannedCommand>& commands, const client::BatchResult& results) {
  for (size_t index = 0; index < results.results.size(); ++index) {
    const PlannedCommand& command = commands[index];
    const client::CommandOutcome& outcome = results.results[index];
    tools::JsonObject object;
    object.add_text("command", command_kind_name(command.kind))
        .add_unsigned("code", static_cast<uint64_t>(outcome.code))
        .add_text("result", result_code_name(outcome.code))
        .add_unsigned("sequence", outcome.sequence)
        .add_signed("balance_minor", outcome.balance)
        .add_text("balance", format_amount(outcome.balance, command.decimal_places))
        .add_unsigned("version", outcome.version)
        .add_text("account_id", account_of(command, outcome))
        .add_raw("replayed", outcome.replayed ? "true" : "false");
    std::printf("%s\n", object.str().c_str());
  }
}

void print_table(const std::vector<PlannedCommand>& commands, const client::BatchResult& results) {
  using Align = TextTable::Align;
  TextTable table({Align::kLeft, Align::kRight, Align::kRight, Align::kRight, Align::kLeft});
  table.add_row({"result", "sequence", "balance", "version", "account"});
  for (size_t index = 0; index < results.results.size(); ++index) {
    const PlannedCommand& command = commands[index];
    const client::CommandOutcome& outcome = results.results[index];
    table.add_row({result_code_name(outcome.code), std::to_string(outcome.sequence),
                   format_amount(outcome.balance, command.decimal_places),
                   std::to_string(outcome.version), account_of(command, outcome)});
  }
  table.print(stdout);
}

}  // namespace

void print_results(const std::vector<PlannedCommand>& commands, const client::BatchResult& results,
                   bool json) {
  if (json) {
    print_json(commands, results);
  } else {
    print_table(commands, results);
  }
}

}  // namespace tally::cli
