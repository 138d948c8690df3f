// `tally tail`: follows the ledger's durable events as they happen (a subscription,
// net/client/subscriber.h), from a sequence or from now, for an account or every one, printed
// one line per event (or one JSON object per line), until interrupted or --count events.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "net/client/client.h"

namespace tally::cli {

struct TailOptions {
  uint64_t from_sequence = 0;      // 0: from now (the server's durable end + 1)
  std::string account_id;          // empty: every account
  std::vector<std::string> types;  // event type names (Deposited, ...); empty: every type
  uint64_t count = 0;              // stop after this many events; 0: never
};

// Adds the subcommand; its options land in `options`.
CLI::App* add_tail(CLI::App& app, TailOptions& options);

// Follows the events and prints them; returns the exit code (ExitCode). Throws UsageError for
// an unknown event type, client::ClientError when the server cannot be reached or ends the
// subscription.
int run_tail(const client::ClientOptions& client, const TailOptions& options, bool json);

}  // namespace tally::cli
