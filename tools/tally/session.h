// Session: one run of tally against tallyd. Connects, sends the request, prints the answer and
// turns what happened into the exit code; client errors become a message on standard error.
//
// A request that was sent but not answered (timeout, lost connection) may or may not have been
// applied: the message names its request id, and running the same command again with
// --request-id <that id> applies it at most once (the server answers a retry with the
// original results).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "engine/base/identifiers.h"
#include "net/client/client.h"
#include "tools/tally/batch_planner.h"
#include "tools/tally/exit_code.h"

namespace tally::cli {

struct SessionSettings {
  std::string host = "127.0.0.1";
  uint16_t port = 7070;
  std::chrono::milliseconds timeout{10'000};  // to connect, and for each answer
  bool json = false;
};

// Plans `planner`'s commands with the currencies of their accounts, asked of the server (see
// batch_planner.h), sends them as one request (with `request_id`, or a fresh one) and prints
// one result per command. A batch larger than the server's max batch, or an amount or
// --currency that does not fit its account's currency, is a usage error (UsageError thrown),
// and nothing is sent.
ExitCode run_commands(const SessionSettings& settings, BatchPlanner& planner,
                      const std::optional<Id128>& request_id);

// Prints the server's counters.
ExitCode run_stats(const SessionSettings& settings);

// The client's options for `settings`.
client::ClientOptions client_options(const SessionSettings& settings);
// Prints `error` on standard error and returns its exit code: kRefused for a request the
// server refused (with its code and message), else kUnreachable, with how to retry `sent`
// safely if a request was sent and its fate is unknown.
ExitCode report_client_error(const client::ClientError& error, const std::optional<Id128>& sent);

}  // namespace tally::cli
