// The exit codes of tally, one per kind of outcome, so that a script can tell a business
// rejection (read the output) from a refusal (retry later) from a lost answer (retry with the
// same --request-id). Documented in --help and tools/tally/README.md.
#pragma once

#include <stdexcept>

namespace tally::cli {

enum class ExitCode : int {
  kOk = 0,        // every command was applied; a query was answered
  kRejected = 1,  // at least one command was rejected by the ledger (its reason is printed)
  kUsage = 2,     // bad flags, amounts, times, dates or batch lines: nothing was sent
  // The server refused the whole request (malformed, over a limit, unavailable), or a query
  // (an unknown account, a bad range, a limit over the maximum, Timeout: --min-sequence not
  // reached in time); its code and message are printed.
  kRefused = 3,
  kUnreachable = 4,  // no connection, no answer in time, or an answer that made no sense
};

// What the user typed is wrong (a flag, an amount, a time, a batch line): exit 2, nothing is
// sent.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace tally::cli
