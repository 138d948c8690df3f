// tally: the command-line client of tallyd. One ledger command per run (open, deposit,
// withdraw, transfer, freeze, unfreeze, close), a batch of them read from a file or standard
// input and sent as one request, a read-side query (account, history, search, ...), or the
// server's counters. See README.md for the exit codes.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

#include "tools/tally/batch_input.h"
#include "tools/tally/batch_planner.h"
#include "tools/tally/command_syntax.h"
#include "tools/tally/exit_code.h"
#include "tools/tally/hex_id.h"
#include "tools/tally/query_session.h"
#include "tools/tally/query_syntax.h"
#include "tools/tally/session.h"

namespace {

using namespace tally::cli;

constexpr const char* kFooter =
    R"(Amounts are decimals (12.50, 12, 0.05) in the account's currency (JPY 0 decimal places,
EUR 2, KWD 3, ...); the ledger keeps them as integer minor units. open knows the currency;
for the other commands tally asks the server for the account's currency first (a transfer:
the paying account's; in a batch, an account the server does not know yet takes that of its
opening earlier in the batch). --currency is optional: one that is not the account's is a
usage error.

Global options (--host, --port, --timeout-ms, --json, --request-id, --min-sequence) may come
before or after the command.

Queries print amounts in each account's currency. Times are RFC 3339 (2026-11-23T10:00:00Z)
or Unix nanoseconds; days are YYYY-MM-DD. --min-sequence N (a command's result sequence)
makes a query wait until the read models have applied it: read your own writes. A page that
stops before the end prints "next: --cursor N". search --min/--max are decimals in the
account's currency with --account; without it the currency is not known: whole minor units.

Exit codes:
  0  every command was applied; a query was answered
  1  at least one command was rejected by the ledger (the reason is printed)
  2  usage error: bad flags, amounts, times, dates or batch lines (nothing was sent)
  3  the server refused the request (malformed, over a limit, unavailable; a query: an
     unknown account, a bad range, a limit over the maximum, Timeout: --min-sequence not
     reached in time)
  4  cannot connect, no answer within --timeout-ms, or a protocol error)";

struct GlobalOptions {
  SessionSettings session;
  uint64_t timeout_ms = 10'000;
  std::string request_id;                // hex; empty: a fresh one
  std::optional<uint64_t> min_sequence;  // queries only
};

struct BatchOptions {
  bool atomic = false;
  std::string file = "-";
};

void add_global_options(CLI::App& app, GlobalOptions& options) {
  app.add_option("--host", options.session.host, "tallyd's address")->capture_default_str();
  app.add_option("--port", options.session.port, "tallyd's port")->capture_default_str();
  app.add_option("--timeout-ms", options.timeout_ms,
                 "how long to wait to connect, and for the answer")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_flag("--json", options.session.json,
               "print one JSON object per command result (or the stats object, or the query's "
               "answer)");
  app.add_option("--request-id", options.request_id,
                 "32 hex digits: the request's idempotency key. Running a command again with "
                 "the same id retries it: it is applied at most once and answers with the "
                 "original results (default: a fresh id)");
  app.add_option("--min-sequence", options.min_sequence,
                 "queries: answer only once the read models have applied this sequence (a "
                 "command's result sequence: read your own writes); the server waits for it up "
                 "to its --read-wait-ms, then refuses with Timeout. projections are answered at "
                 "once, whatever it says");
  app.set_version_flag("--version", "tally " TALLY_VERSION, "print tally's version and exit");
}

// --request-id is for commands, --min-sequence for queries: given to anything else they are
// refused, never silently ignored. `name` is the command's or query's.
void check_query_options(const GlobalOptions& options, std::string_view name) {
  if (!options.request_id.empty()) {
    throw UsageError("--request-id is for commands; " + std::string(name) + " is a query");
  }
}
void check_command_options(const GlobalOptions& options, std::string_view name) {
  if (options.min_sequence) {
    throw UsageError("--min-sequence is for queries; " + std::string(name) + " sends commands");
  }
}

CLI::App* add_batch(CLI::App& app, BatchOptions& options) {
  CLI::App* batch = app.add_subcommand(
      "batch",
      "send commands, one per line (e.g. \"deposit alice 12.50\"), as one request; blank lines "
      "and # comments are skipped; a bad line is reported and then nothing is sent");
  batch->add_flag("--atomic", options.atomic, "all the commands apply, or none does");
  batch->add_option("--file", options.file, "read the commands from this file (-: stdin)")
      ->capture_default_str();
  return batch;
}

void read_batch_from(const std::string& file, BatchPlanner& planner) {
  if (file == "-") {
    read_batch(std::cin, planner);
    return;
  }
  std::ifstream input(file);
  if (!input) {
    throw UsageError("cannot open the batch file " + file);
  }
  read_batch(input, planner);
}

std::optional<tally::Id128> request_id_of(const GlobalOptions& options) {
  if (options.request_id.empty()) {
    return std::nullopt;
  }
  return parse_request_id(options.request_id);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tally: the command-line client of the Tally ledger server (tallyd)"};
  app.require_subcommand(1);
  app.fallthrough();  // global options may also follow the subcommand: tally stats --json
  app.footer(kFooter);
  GlobalOptions options;
  add_global_options(app, options);
  CommandSyntax syntax(app);
  QuerySyntax queries(app);
  BatchOptions batch_options;
  CLI::App* batch = add_batch(app, batch_options);
  CLI::App* stats = app.add_subcommand("stats", "print the server's counters");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    // --help prints and succeeds; every other parse problem is a usage error: exit code 2.
    return app.exit(error) == 0 ? 0 : static_cast<int>(ExitCode::kUsage);
  }
  options.session.timeout = std::chrono::milliseconds(options.timeout_ms);
  try {
    if (stats->parsed()) {
      if (!options.request_id.empty() || options.min_sequence) {
        throw UsageError("stats takes neither --request-id nor --min-sequence");
      }
      return static_cast<int>(run_stats(options.session));
    }
    if (std::optional<QueryRequest> query = queries.parsed()) {
      check_query_options(options, query_kind_name(query->kind));
      query->min_sequence = options.min_sequence.value_or(0);
      return static_cast<int>(run_query(options.session, *query));
    }
    BatchPlanner planner;
    if (batch->parsed()) {
      check_command_options(options, "batch");
      planner.set_atomic(batch_options.atomic);
      read_batch_from(batch_options.file, planner);
    } else {
      const LedgerCommand command = *syntax.parsed();
      check_command_options(options, command_kind_name(command.kind));
      planner.add(command);
    }
    return static_cast<int>(run_commands(options.session, planner, request_id_of(options)));
  } catch (const UsageError& error) {
    std::fprintf(stderr, "tally: %s\n", error.what());
    return static_cast<int>(ExitCode::kUsage);
  }
}
