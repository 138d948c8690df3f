// Reads a batch: one ledger command per line, in the syntax of the subcommands without the
// leading "tally" (`deposit alice 12.50`), from a file or standard input. Blank lines and
// # comments are skipped. The whole input is read and checked before anything is sent: the
// first bad line is reported with its number, and then nothing is sent at all.
#pragma once

#include <istream>

#include "tools/tally/batch_planner.h"

namespace tally::cli {

// Appends every command of `input` to `planner`, each with its line ("line N") for the
// messages of what the planner can only check later. Throws UsageError "line N: ..." for a bad
// line (unknown command, bad flags, bad amount), and for an input without any command.
void read_batch(std::istream& input, BatchPlanner& planner);

}  // namespace tally::cli
