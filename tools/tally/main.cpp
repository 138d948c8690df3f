// tally: the command-line client of tallyd. One ledger command per run (open, deposit,
// withdraw, transfer, freeze, unfreeze, close), a batch of them read from a file or standard
// input and sent as one request, a read-side query (account, history, search, ...), or the
// server's counters.
//
// This file holds the command line (global options, dispatch) and the session: one run
// connects, sends the request, prints the answer and turns what happened into the exit code
// (ExitCode, engine/base/exit_code.h); client errors become a message on standard error. A request
// that was sent but not answered (timeout, lost connection) may or may not have been applied: the
// message names its request id, and running the same command again with --request-id <that id>
// applies it at most once (the server answers a retry with the original results).
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

#include "engine/base/exit_code.h"
#include "net/client/client.h"
#include "tools/tally/commands.h"
#include "tools/tally/parsers.h"
#include "tools/tally/printing.h"
#include "tools/tally/queries.h"
#include "tools/tally/tail.h"

namespace {

using namespace tally::cli;
using tally::ExitCode;
using tally::Id128;
using tally::client::ClientError;

constexpr const char* kFooter =
    R"(Amounts are decimals (12.50, 12, 0.05) in the account's currency (JPY 0 decimal places,
EUR 2, KWD 3, ...); the ledger keeps them as integer minor units. open knows the currency;
for the other commands tally asks the server for the account's currency first (a transfer:
the paying account's; in a batch, an account the server does not know yet takes that of its
opening earlier in the batch). --currency is optional: one that is not the account's is a
usage error.

Global options (--host, --port, --api-key or TALLY_API_KEY, --timeout-ms, --json, --request-id, --min-sequence) may come
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

// ---- Options ------------------------------------------------------------------------------

struct SessionSettings {
  std::string host = "127.0.0.1";
  uint16_t port = 7070;
  std::chrono::milliseconds timeout{10'000};  // to connect, and for each answer
  bool json = false;
  std::string api_key;      // for a server with an auth file
  std::string tls_ca_file;  // TLS: the CA to verify the server with; empty: plain TCP
};

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
  app.add_option("--api-key", options.session.api_key,
                 "the API key, for a server with an auth file (its role decides what may be "
                 "done)")
      ->envname("TALLY_API_KEY");
  app.add_option("--tls-ca", options.session.tls_ca_file,
                 "TLS: the CA certificates (PEM) to verify tallyd with (a server started with "
                 "--tls-cert)")
      ->envname("TALLY_TLS_CA");
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

std::optional<Id128> request_id_of(const GlobalOptions& options) {
  if (options.request_id.empty()) {
    return std::nullopt;
  }
  return parse_request_id(options.request_id);
}

// ---- Session ------------------------------------------------------------------------------

tally::client::ClientOptions client_options(const SessionSettings& settings) {
  tally::client::ClientOptions options;
  options.host = settings.host;
  options.port = settings.port;
  options.client_name = "tally-cli";
  options.api_key = settings.api_key;
  options.tls_ca_file = settings.tls_ca_file;
  options.connect_timeout = settings.timeout;
  options.request_timeout = settings.timeout;
  return options;
}

// How to retry a request whose fate is unknown, or nothing if it was never sent.
std::string retry_advice(const std::optional<Id128>& sent) {
  if (!sent) {
    return "";
  }
  const std::string id = to_hex(*sent);
  return "\ntally: the request may or may not have been applied; to retry it safely, run the "
         "same command again with --request-id " +
         id;
}

// Prints `error` on standard error and returns its exit code: kRefused for a request the
// server refused (with its code and message), else kUnreachable, with how to retry `sent`
// safely if a request was sent and its fate is unknown.
ExitCode report_client_error(const ClientError& error, const std::optional<Id128>& sent) {
  if (error.kind() == ClientError::Kind::kRefused) {
    // Refused whole: nothing was applied, so any retry is safe.
    std::fprintf(stderr, "tally: the server refused the request: %s: %s\n",
                 tally::result_code_text(error.code()).c_str(), error.what());
    return ExitCode::kRefused;
  }
  std::fprintf(stderr, "tally: %s%s\n", error.what(), retry_advice(sent).c_str());
  return ExitCode::kUnreachable;
}

// Nothing is sent if the server would refuse the batch for its size.
void check_batch_size(const BatchPlanner& planner, const tally::net::ServerLimits& limits) {
  const size_t commands = planner.size();
  if (limits.batch_commands_max != 0 && commands > limits.batch_commands_max) {
    throw UsageError("the batch holds " + std::to_string(commands) +
                     " commands; the server takes at most " +
                     std::to_string(limits.batch_commands_max) + " in one request");
  }
}

ExitCode print_outcome(const BatchPlanner& planner, const tally::client::BatchResult& results,
                       bool json) {
  if (results.results.size() != planner.commands().size()) {
    std::fprintf(stderr, "tally: the server answered %zu results for %zu commands\n",
                 results.results.size(), planner.commands().size());
    return ExitCode::kUnreachable;
  }
  print_results(planner.commands(), results, json);
  size_t rejected = 0;
  for (const tally::client::CommandOutcome& outcome : results.results) {
    rejected += outcome.ok() ? 0 : 1;
  }
  if (rejected == 0) {
    return ExitCode::kOk;
  }
  std::fprintf(stderr, "tally: %zu of %zu commands rejected\n", rejected, results.results.size());
  return ExitCode::kFailed;
}

// Plans `planner`'s commands with the currencies of their accounts, asked of the server, sends
// them as one request (with `request_id`, or a fresh one) and prints one result per command. A
// batch larger than the server's max batch, or an amount or --currency that does not fit its
// account's currency, is a UsageError, and nothing is sent.
ExitCode run_commands(const SessionSettings& settings, BatchPlanner& planner,
                      const std::optional<Id128>& request_id) {
  tally::client::Client client(client_options(settings));
  std::optional<Id128> sent;
  try {
    client.connect();
    check_batch_size(planner, client.server().limits);
    AccountCurrencyLookup currencies(client);
    planner.plan([&currencies](const std::string& account_id) {
      return currencies.find_acknowledged(account_id);
    });
    sent = request_id.value_or(client.next_request_id());
    const tally::client::BatchResult results = client.execute(planner.batch(), *sent);
    return print_outcome(planner, results, settings.json);
  } catch (const ClientError& error) {
    return report_client_error(error, sent);
  }
}

ExitCode run_stats(const SessionSettings& settings) {
  tally::client::Client client(client_options(settings));
  try {
    client.connect();
    const tally::net::ServerStats stats = client.stats();
    print_stats(stats, client.server(), settings.json);
    return ExitCode::kOk;
  } catch (const ClientError& error) {
    return report_client_error(error, std::nullopt);
  }
}

ExitCode run_follow(const SessionSettings& settings, const TailOptions& options) {
  try {
    return static_cast<ExitCode>(run_tail(client_options(settings), options, settings.json));
  } catch (const ClientError& error) {
    return report_client_error(error, std::nullopt);
  }
}

// Throws UsageError for a query that cannot be sent as typed, before connecting.
ExitCode run_query(const SessionSettings& settings, const QueryRequest& request) {
  QueryPlanner planner(request);
  tally::client::Client client(client_options(settings));
  try {
    client.connect();
    return answer_query(client, planner, settings.json);
  } catch (const ClientError& error) {
    return report_client_error(error, std::nullopt);
  }
}

// ---- Dispatch -----------------------------------------------------------------------------

// The command line: every option and subcommand, parsed, then run. Holds what CLI11 writes
// into, so it never moves.
class CommandLine {
 public:
  CommandLine()
      : commands_(prepared(app_, options_)),
        queries_(app_),
        batch_(add_batch(app_, batch_options_)),
        stats_(app_.add_subcommand("stats", "print the server's counters")),
        tail_(add_tail(app_, tail_options_)) {}
  CommandLine(const CommandLine&) = delete;
  CommandLine& operator=(const CommandLine&) = delete;

  // Parses the arguments: nothing to go on, or the exit code when there is nothing more to do
  // (--help printed: 0; a parse error printed: kUsage).
  std::optional<ExitCode> parse(int argc, char** argv) {
    try {
      app_.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
      return app_.exit(error) == 0 ? ExitCode::kOk : ExitCode::kUsage;
    }
    options_.session.timeout = std::chrono::milliseconds(options_.timeout_ms);
    return std::nullopt;
  }

  // Runs what was parsed. Throws UsageError.
  ExitCode run() const {
    if (stats_->parsed()) {
      if (!options_.request_id.empty() || options_.min_sequence) {
        throw UsageError("stats takes neither --request-id nor --min-sequence");
      }
      return run_stats(options_.session);
    }
    if (tail_->parsed()) {
      if (!options_.request_id.empty() || options_.min_sequence) {
        throw UsageError("tail takes neither --request-id nor --min-sequence");
      }
      return run_follow(options_.session, tail_options_);
    }
    if (std::optional<QueryRequest> query = queries_.parsed()) {
      check_query_options(options_, query_kind_name(query->kind));
      query->min_sequence = options_.min_sequence.value_or(0);
      return run_query(options_.session, *query);
    }
    return run_ledger_commands();
  }

 private:
  // The app as the subcommands find it: one subcommand required, the global options added.
  static CLI::App& prepared(CLI::App& app, GlobalOptions& options) {
    app.require_subcommand(1);
    app.fallthrough();  // global options may also follow the subcommand: tally stats --json
    app.footer(kFooter);
    add_global_options(app, options);
    return app;
  }

  ExitCode run_ledger_commands() const {
    BatchPlanner planner;
    if (batch_->parsed()) {
      check_command_options(options_, "batch");
      planner.set_atomic(batch_options_.atomic);
      read_batch_from(batch_options_.file, planner);
    } else {
      const LedgerCommand command = *commands_.parsed();
      check_command_options(options_, command_kind_name(command.kind));
      planner.add(command);
    }
    return run_commands(options_.session, planner, request_id_of(options_));
  }

  CLI::App app_{"tally: the command-line client of the Tally ledger server (tallyd)"};
  GlobalOptions options_;
  BatchOptions batch_options_;
  CommandSyntax commands_;
  QuerySyntax queries_;
  CLI::App* batch_;
  CLI::App* stats_;
  TailOptions tail_options_;
  CLI::App* tail_;
};

}  // namespace

int main(int argc, char** argv) {
  CommandLine command_line;
  if (const std::optional<ExitCode> exit_code = command_line.parse(argc, argv)) {
    return static_cast<int>(*exit_code);
  }
  try {
    return static_cast<int>(command_line.run());
  } catch (const UsageError& error) {
    std::fprintf(stderr, "tally: %s\n", error.what());
    return static_cast<int>(ExitCode::kUsage);
  }
}
