#include "tools/tally/session.h"

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <variant>

#include "net/client/client.h"
#include "tools/tally/account_currency_lookup.h"
#include "tools/tally/hex_id.h"
#include "tools/tally/result_code_name.h"
#include "tools/tally/result_printer.h"
#include "tools/tally/stats_printer.h"

namespace tally::cli {
namespace {

using client::ClientError;

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

// Nothing is sent if the server would refuse the batch for its size.
void check_batch_size(const BatchPlanner& planner, const net::ServerLimits& limits) {
  const size_t commands = planner.size();
  if (limits.max_batch_commands != 0 && commands > limits.max_batch_commands) {
    throw UsageError("the batch holds " + std::to_string(commands) +
                     " commands; the server takes at most " +
                     std::to_string(limits.max_batch_commands) + " in one request");
  }
}

ExitCode print_outcome(const BatchPlanner& planner, const client::BatchResult& results, bool json) {
  if (results.results.size() != planner.commands().size()) {
    std::fprintf(stderr, "tally: the server answered %zu results for %zu commands\n",
                 results.results.size(), planner.commands().size());
    return ExitCode::kUnreachable;
  }
  print_results(planner.commands(), results, json);
  size_t rejected = 0;
  for (const client::CommandOutcome& outcome : results.results) {
    rejected += outcome.ok() ? 0 : 1;
  }
  if (rejected == 0) {
    return ExitCode::kOk;
  }
  std::fprintf(stderr, "tally: %zu of %zu commands rejected\n", rejected, results.results.size());
  return ExitCode::kRejected;
}

}  // namespace

client::ClientOptions client_options(const SessionSettings& settings) {
  client::ClientOptions options;
  options.host = settings.host;
  options.port = settings.port;
  options.client_name = "tally-cli";
  options.connect_timeout = settings.timeout;
  options.request_timeout = settings.timeout;
  return options;
}

ExitCode report_client_error(const ClientError& error, const std::optional<Id128>& sent) {
  if (error.kind() == ClientError::Kind::kRefused) {
    // Refused whole: nothing was applied, so any retry is safe.
    std::fprintf(stderr, "tally: the server refused the request: %s: %s\n",
                 result_code_name(error.code()).c_str(), error.what());
    return ExitCode::kRefused;
  }
  std::fprintf(stderr, "tally: %s%s\n", error.what(), retry_advice(sent).c_str());
  return ExitCode::kUnreachable;
}

ExitCode run_commands(const SessionSettings& settings, BatchPlanner& planner,
                      const std::optional<Id128>& request_id) {
  client::Client client(client_options(settings));
  std::optional<Id128> sent;
  try {
    client.connect();
    check_batch_size(planner, client.server().limits);
    AccountCurrencyLookup currencies(client);
    planner.plan([&currencies](const std::string& account_id) {
      return currencies.find_acknowledged(account_id);
    });
    sent = request_id.value_or(client.next_request_id());
    const client::BatchResult results = client.execute(planner.batch(), *sent);
    return print_outcome(planner, results, settings.json);
  } catch (const ClientError& error) {
    return report_client_error(error, sent);
  }
}

ExitCode run_stats(const SessionSettings& settings) {
  client::Client client(client_options(settings));
  try {
    client.connect();
    const net::ServerStats stats = client.stats();
    print_stats(stats, client.server(), settings.json);
    return ExitCode::kOk;
  } catch (const ClientError& error) {
    return report_client_error(error, std::nullopt);
  }
}

}  // namespace tally::cli
