// Fuzz target: the CLI's batch input (tools/tally/commands.h): read_batch on arbitrary text,
// each line parsed as a ledger command (CLI11, amounts, ids, currency codes), then planned into
// one request (BatchPlanner::plan) with account currencies as a server would give them.
// Checked: nothing but a UsageError is thrown; a batch that is read holds at least one command,
// and once planned the request carries exactly the commands read.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <sstream>
#include <string>

#include "fuzz/fuzz_check.h"
#include "tools/tally/commands.h"
#include "tools/tally/parsers.h"

namespace {

// The server's answer to "which currency is this account in?": three accounts it knows.
std::optional<std::string> currency_of(const std::string& account_id) {
  if (account_id == "alice") {
    return "EUR";
  }
  if (account_id == "yen") {
    return "JPY";
  }
  if (account_id == "dinar") {
    return "KWD";
  }
  return std::nullopt;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::istringstream input(std::string(reinterpret_cast<const char*>(data), size));
  tally::cli::BatchPlanner planner;
  try {
    tally::cli::read_batch(input, planner);
  } catch (const tally::cli::UsageError&) {
    return 0;
  }
  FUZZ_CHECK(planner.size() > 0);
  try {
    planner.plan(currency_of);
  } catch (const tally::cli::UsageError&) {
    return 0;
  }
  FUZZ_CHECK(planner.commands().size() == planner.size());
  FUZZ_CHECK(planner.batch().size() == planner.size());
  return 0;
}
