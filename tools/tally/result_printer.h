// Prints the results of a request on standard output: an aligned table for people
// (result, sequence, balance, version, account), or one JSON object per command with --json.
// Balances are decimals in the account's currency; JSON also gives the raw minor units.
#pragma once

#include <vector>

#include "net/client/client.h"
#include "tools/tally/batch_planner.h"

namespace tally::cli {

// `results` holds one outcome per command of `commands`, in the same order.
void print_results(const std::vector<PlannedCommand>& commands, const client::BatchResult& results,
                   bool json);

}  // namespace tally::cli
