// tally-load: a workload generator for tallyd. Opens --accounts accounts, then drives a mix of
// deposits, withdrawals, transfers and openings over --connections connections for
// --duration seconds, closed loop (--pipeline requests in flight each) or open loop (--rate),
// and with --read-weight, queries on those accounts among the batches (or only queries).
// With --http-port, the load is HTTP/1.1 instead: one deposit per request on keep-alive
// connections to tallyd's HTTP listener, the accounts opened over HTTP too (http_worker.h).
// Prints a progress line every second, then throughput, latency percentiles, results by code,
// the queries' figures, a check that the server's totals match what the acknowledged commands
// imply and a check that its reserve (the read side) moved by the money they put in.
// Exit codes (ExitCode, engine/base/exit_code.h): 0 done and consistent; 1 a check failed or a
// connection was lost for good; 2 bad options; 4 cannot reach the server.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "engine/base/exit_code.h"
#include "net/client/client.h"
#include "tools/load/echo_baseline.h"
#include "tools/load/http_accounts.h"
#include "tools/load/http_requests.h"
#include "tools/load/http_worker.h"
#include "tools/load/load_options.h"
#include "tools/load/load_report.h"
#include "tools/load/load_worker.h"
#include "tools/load/reserve_check.h"
#include "tools/load/sync_baseline.h"

namespace {

using namespace tally;
using namespace tally::load;
using Clock = std::chrono::steady_clock;

void add_options(CLI::App& app, LoadOptions& options) {
  app.add_option("--host", options.host, "Server address")->capture_default_str();
  app.add_option("--port", options.port,
                 "Server port (binary protocol; with --http-port, used for the server's counters "
                 "and reserve before and after the run)")
      ->capture_default_str();
  app.add_option("--api-key", options.api_key,
                 "API key for a server with an auth file (binary protocol; a write key)")
      ->envname("TALLY_API_KEY");
  app.add_option("--tls-ca", options.tls_ca_file,
                 "TLS (binary protocol): the CA certificates (PEM) to verify tallyd with")
      ->envname("TALLY_TLS_CA");
  app.add_option("--http-port", options.http_port,
                 "HTTP mode: load tallyd's HTTP/1.1 listener on --host at this port instead. Each "
                 "connection is one keep-alive connection, each request ONE deposit (POST "
                 "/api/accounts/{id}/deposits; --batch must be 1, its default here), --pipeline "
                 "requests in flight per connection (HTTP pipelining) or --rate deposits/s; the "
                 "accounts are opened over HTTP first. The other weights and --read-weight do not "
                 "apply. An answer other than 2xx counts as an HTTP error (the first one is "
                 "printed). 0: the binary protocol")
      ->capture_default_str();
  app.add_option("--http-threads", options.http_threads,
                 "HTTP mode: threads driving the connections, each an equal share of them with "
                 "epoll (one thread wakes once for every answer that has come, where a thread per "
                 "connection would wake once per answer)")
      ->capture_default_str();
  app.add_option("--duration", options.duration_seconds, "Seconds of load")->capture_default_str();
  app.add_option("--connections", options.connections,
                 "Connections, one thread each (with --http-port: shared by --http-threads)")
      ->capture_default_str();
  app.add_option("--accounts", options.accounts, "Accounts opened before the run")
      ->capture_default_str();
  app.add_option("--initial-deposit", options.initial_deposit,
                 "Minor units each account opens with")
      ->capture_default_str();
  app.add_option("--min-amount", options.min_amount, "Smallest amount moved (minor units)")
      ->capture_default_str();
  app.add_option("--max-amount", options.max_amount, "Largest amount moved (minor units)")
      ->capture_default_str();
  app.add_option("--hot-account-ratio", options.hot_account_ratio,
                 "Fraction of the accounts that is hot")
      ->capture_default_str();
  app.add_option("--hot-selection-rate", options.hot_selection_rate,
                 "Fraction of account picks that go to the hot accounts")
      ->capture_default_str();
  app.add_option("--deposit-weight", options.deposit_weight)->capture_default_str();
  app.add_option("--withdraw-weight", options.withdraw_weight)->capture_default_str();
  app.add_option("--transfer-weight", options.transfer_weight)->capture_default_str();
  app.add_option("--open-weight", options.open_weight, "New accounts opened during the run")
      ->capture_default_str();
  app.add_option("--read-weight", options.read_weight,
                 "Fraction of requests (0..1) that are queries instead of command batches: half "
                 "an account's details, half a 50-entry history page, on the accounts opened "
                 "before the run; they count as requests in flight like batches. 1: read only "
                 "(the accounts are still opened first)")
      ->capture_default_str();
  app.add_option("--batch", options.batch, "Commands per request (1 with --http-port)")
      ->capture_default_str();
  app.add_option("--pipeline", options.pipeline,
                 "Closed loop: requests in flight per connection, batches and queries alike")
      ->capture_default_str();
  app.add_option("--rate", options.rate,
                 "Open loop: commands/s over all connections, sent on schedule whatever the "
                 "answers do; latency counts from when a request was due (0: closed loop). The "
                 "schedule is of requests, rate / batch a second; with --read-weight W each "
                 "scheduled request is a query with probability W, so reads take their slots "
                 "from batches: commands/s = rate * (1 - W), queries/s = W * rate / batch")
      ->capture_default_str();
  app.add_option("--currency", options.currency)->capture_default_str();
  app.add_option("--account-prefix", options.account_prefix,
                 "Account id prefix (default: random per run)");
  app.add_option("--seed", options.seed, "Random seed (0: random)")->capture_default_str();
  app.add_option("--echo-baseline", options.echo_baseline,
                 "First time this many round trips of a bare TCP echo on loopback, with "
                 "messages the size of one request, and compare tallyd's p50 with it")
      ->capture_default_str();
  app.add_option("--sync-baseline", options.sync_baseline,
                 "First time this many appends of one small record, each made durable with "
                 "fdatasync, in a file in --sync-baseline-dir (the disk's floor), and compare "
                 "tallyd's p50 with it plus the echo's")
      ->capture_default_str();
  app.add_option("--sync-baseline-dir", options.sync_baseline_directory,
                 "Where --sync-baseline writes its file (removed after): a directory on the "
                 "file system of tallyd's data directory")
      ->capture_default_str();
  app.add_flag("--json", options.json, "One JSON object on stdout instead of text");
}

client::ClientOptions setup_client_options(const LoadOptions& options) {
  client::ClientOptions client;
  client.host = options.host;
  client.port = options.port;
  client.client_name = "tally-load/setup";
  client.api_key = options.api_key;
  client.tls_ca_file = options.tls_ca_file;
  return client;
}

void show_progress(const LoadOptions& options, const char* phase, uint64_t done, uint64_t total) {
  if (options.progress) {
    std::fprintf(stderr, "\r%s: %llu / %llu", phase, static_cast<unsigned long long>(done),
                 static_cast<unsigned long long>(total));
  }
}

struct OpenedAccounts {
  std::vector<std::string> ids;
  uint64_t last_sequence = 0;  // of the last opening acknowledged
};

std::vector<std::string> account_ids(const LoadOptions& options) {
  std::vector<std::string> accounts;
  accounts.reserve(options.accounts);
  for (uint32_t index = 0; index < options.accounts; ++index) {
    accounts.push_back(options.account_prefix + std::to_string(index));
  }
  return accounts;
}

// Opens every account with its initial deposit, a full batch per request, a few in flight.
OpenedAccounts open_accounts(const LoadOptions& options, client::Client& client) {
  OpenedAccounts opened_accounts;
  opened_accounts.ids = account_ids(options);
  const std::vector<std::string>& accounts = opened_accounts.ids;
  const uint32_t batch_size =
      std::max<uint32_t>(1, std::min(client.server().limits.batch_commands_max, 4096u));
  client::BatchBuilder batch;
  size_t next = 0;
  uint64_t opened = 0;
  while (opened < accounts.size()) {
    while (next < accounts.size() && client.in_flight() < 8) {
      batch.clear();
      for (uint32_t count = 0; count < batch_size && next < accounts.size(); ++count, ++next) {
        batch.open_account(accounts[next], "tally-load", options.currency, AccountType::Checking, 0,
                           options.initial_deposit);
      }
      client.send(batch);
    }
    const std::optional<client::Reply> reply = client.receive(std::chrono::seconds(30));
    if (!reply) {
      throw client::ClientError(client::ClientError::Kind::kTimeout, "opening accounts timed out");
    }
    const auto* result = std::get_if<client::BatchResult>(&reply->body);
    if (result == nullptr) {
      throw client::ClientError(client::ClientError::Kind::kRefused, "opening accounts refused");
    }
    for (const client::CommandOutcome& outcome : result->results) {
      if (!outcome.ok()) {
        throw client::ClientError(
            client::ClientError::Kind::kRefused,
            "opening an account failed with code " + std::to_string(static_cast<int>(outcome.code)),
            outcome.code);
      }
      opened_accounts.last_sequence = std::max(opened_accounts.last_sequence, outcome.sequence);
    }
    opened += result->results.size();
    show_progress(options, "opening accounts", opened, accounts.size());
  }
  if (options.progress) {
    std::fprintf(stderr, "\n");
  }
  return opened_accounts;
}

// HTTP mode: opens every account over HTTP (http_accounts.h).
OpenedAccounts open_accounts_over_http(const LoadOptions& options, const HttpRequests& requests) {
  OpenedAccounts opened_accounts;
  opened_accounts.ids = account_ids(options);
  const uint64_t total = opened_accounts.ids.size();
  opened_accounts.last_sequence =
      load::open_accounts_over_http(options, requests, opened_accounts.ids, [&](uint64_t opened) {
        show_progress(options, "opening accounts over HTTP", opened, total);
      });
  show_progress(options, "opening accounts over HTTP", total, total);
  if (options.progress) {
    std::fprintf(stderr, "\n");
  }
  return opened_accounts;
}

// Runs the workers, each on its own thread, until `end`; returns their tallies merged.
template <typename Worker>
WorkerTally run_workers(const std::vector<std::unique_ptr<Worker>>& workers,
                        Clock::time_point start, Clock::time_point end) {
  std::vector<std::thread> threads;
  for (const auto& worker : workers) {
    threads.emplace_back([&worker, start, end] { worker->run(start, end); });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  WorkerTally tally;
  for (const auto& worker : workers) {
    tally.merge(worker->tally());
  }
  return tally;
}

// One line a second until the workers finish.
void report_progress(const LoadOptions& options, const LiveCounters& live,
                     const std::atomic<bool>& finished, Clock::time_point start) {
  uint64_t last_commands = 0;
  uint64_t last_queries = 0;
  Clock::time_point last = start;
  while (!finished.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const Clock::time_point now = Clock::now();
    if (now - last < std::chrono::seconds(1) || !options.progress) {
      continue;
    }
    const uint64_t commands = live.commands.load(std::memory_order_relaxed);
    const double seconds = std::chrono::duration<double>(now - last).count();
    const uint64_t queries = live.queries.load(std::memory_order_relaxed);
    std::fprintf(stderr, "[%5.1fs] %10.0f commands/s  %12llu commands  %llu refused",
                 std::chrono::duration<double>(now - start).count(),
                 static_cast<double>(commands - last_commands) / seconds,
                 static_cast<unsigned long long>(commands),
                 static_cast<unsigned long long>(live.refused.load(std::memory_order_relaxed)));
    if (options.read_weight > 0) {
      std::fprintf(stderr, "  %8.0f queries/s",
                   static_cast<double>(queries - last_queries) / seconds);
    }
    std::fprintf(stderr, "\n");
    last_commands = commands;
    last_queries = queries;
    last = now;
  }
}

// The size of one request frame of this run's batch size (HTTP mode: of one deposit's HTTP
// request), for the echo baseline.
uint32_t request_frame_bytes(const LoadOptions& options) {
  if (options.http_port != 0) {
    std::string request;
    HttpRequests(options.host, options.http_port)
        .append_deposit(request, options.account_prefix + "0", options.max_amount);
    return static_cast<uint32_t>(request.size());
  }
  client::BatchBuilder batch;
  for (uint32_t index = 0; index < options.batch; ++index) {
    batch.deposit(options.account_prefix + "0", options.max_amount);
  }
  std::vector<uint8_t> frame;
  batch.encode(Id128{.low = 1, .high = 1}, frame);
  return static_cast<uint32_t>(frame.size());
}

ExitCode run(LoadOptions& options) {
  std::optional<load::LatencyHistogram> echo;  // not tally::LatencyHistogram (engine/base)
  if (options.echo_baseline > 0) {
    echo = measure_echo_round_trips(options.echo_baseline, request_frame_bytes(options));
  }
  std::optional<load::LatencyHistogram> sync;
  if (options.sync_baseline > 0) {
    sync = measure_append_syncs(options.sync_baseline_directory, options.sync_baseline,
                                load::kSyncBaselineAppendBytes);
  }
  client::Client setup(setup_client_options(options));
  setup.connect();
  // The reserve before anything of this run, for the reserve check at the end.
  const net::ServerStats initial = setup.stats();
  std::optional<ReserveTotal> reserve_before;
  std::string reserve_unread;
  try {
    reserve_before = query_reserve_total(setup, initial.durable_sequence);
  } catch (const client::ClientError& error) {
    if (error.kind() != client::ClientError::Kind::kRefused &&
        error.kind() != client::ClientError::Kind::kTimeout) {
      throw;
    }
    reserve_unread = error.what();
  }
  const bool http = options.http_port != 0;
  const HttpRequests http_requests(options.host, options.http_port);
  const Clock::time_point opening = Clock::now();
  const OpenedAccounts opened =
      http ? open_accounts_over_http(options, http_requests) : open_accounts(options, setup);
  const double open_seconds = std::chrono::duration<double>(Clock::now() - opening).count();
  const std::vector<std::string>& accounts = opened.ids;
  const net::ServerStats before = setup.stats();

  LiveCounters live;
  std::vector<std::unique_ptr<LoadWorker>> workers;
  std::vector<std::unique_ptr<HttpWorker>> http_workers;
  if (http) {
    const uint32_t threads = options.http_threads;
    for (uint32_t index = 0; index < threads; ++index) {
      const uint32_t share =
          options.connections / threads + (index < options.connections % threads ? 1 : 0);
      http_workers.push_back(std::make_unique<HttpWorker>(options, index, threads, share, accounts,
                                                          http_requests, live));
    }
  } else {
    for (uint32_t index = 0; index < options.connections; ++index) {
      workers.push_back(
          std::make_unique<LoadWorker>(options, index, accounts, opened.last_sequence, live));
    }
  }
  const Clock::time_point start = Clock::now();
  const Clock::time_point end =
      start + std::chrono::duration_cast<Clock::duration>(
                  std::chrono::duration<double>(options.duration_seconds));
  std::atomic<bool> finished{false};
  std::thread progress(report_progress, std::cref(options), std::cref(live), std::cref(finished),
                       start);
  WorkerTally merged =
      http ? run_workers(http_workers, start, end) : run_workers(workers, start, end);
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  finished.store(true);
  progress.join();

  LoadReport report{.options = options,
                    .seconds = seconds,
                    .open_seconds = open_seconds,
                    .tally = std::move(merged),
                    .check = {},
                    .reserve = {},
                    .echo = echo,
                    .sync = sync};
  if (report.tally.failure.empty()) {
    const WorkerTally& tally = report.tally;
    // The reserve first, then the stats, so that what another client did before the reserve
    // was read shows in the stats' count of commands (which counts a command once answered).
    std::optional<ReserveTotal> reserve_after;
    if (reserve_before) {
      try {
        reserve_after =
            query_reserve_total(setup, std::max(opened.last_sequence, tally.last_sequence));
      } catch (const client::ClientError& error) {
        if (error.kind() != client::ClientError::Kind::kRefused &&
            error.kind() != client::ClientError::Kind::kTimeout) {
          throw;
        }
        report.reserve = ReserveCheck::failed(std::string("the reserve could not be read after "
                                                          "the run: ") +
                                              error.what());
      }
    } else {
      report.reserve =
          ReserveCheck::skipped("the reserve could not be read before the run: " + reserve_unread);
    }
    const net::ServerStats after = setup.stats();
    report.check = check_totals(before, after, tally);
    if (reserve_after && after.commands < initial.commands) {
      report.reserve = ReserveCheck::skipped("the server's counters went back (a restart?)");
    } else if (reserve_after) {
      const uint64_t run_commands = accounts.size() + tally.commands;
      const WideSum net_money_in = static_cast<WideSum>(accounts.size()) * options.initial_deposit +
                                   static_cast<WideSum>(tally.money_in) -
                                   static_cast<WideSum>(tally.money_out);
      report.reserve = check_reserve(*reserve_before, *reserve_after,
                                     after.commands - initial.commands, run_commands, net_money_in);
    }
  }
  options.json ? print_json(report) : print_text(report);
  const bool consistent =
      report.tally.failure.empty() && report.check.passed && !report.reserve.failed();
  return consistent ? ExitCode::kOk : ExitCode::kFailed;
}

}  // namespace

int main(int argc, char** argv) {
  LoadOptions options;
  CLI::App app(
      "tally-load: drives tallyd with a configurable mix of commands and reports "
      "throughput, latency and a consistency check",
      "tally-load");
  add_options(app, options);
  const CLI::Option* batch_option = app.get_option("--batch");
  app.footer(
      "Exit codes: 0 done and consistent, 1 a check failed (server totals or reserve) or a "
      "connection was lost, 2 bad options, 4 cannot reach the server.");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    // --help prints and succeeds; any other parse problem is bad options, as documented (not
    // CLI11's own numbers).
    return static_cast<int>(app.exit(error) == 0 ? ExitCode::kOk : ExitCode::kUsage);
  }
  if (options.http_port != 0 && batch_option->count() == 0) {
    options.batch = 1;  // one deposit per HTTP request
  }
  if (const Status status = options.validate(); !status.is_ok()) {
    std::fprintf(stderr, "tally-load: %s\n", status.message().c_str());
    return static_cast<int>(ExitCode::kUsage);
  }
  std::random_device random;
  if (options.seed == 0) {
    options.seed = (static_cast<uint64_t>(random()) << 32) | random();
  }
  if (options.account_prefix.empty()) {
    char prefix[32];
    std::snprintf(prefix, sizeof(prefix), "load-%08llx-",
                  static_cast<unsigned long long>(options.seed & 0xffffffffULL));
    options.account_prefix = prefix;
  }
  options.progress = ::isatty(STDERR_FILENO) != 0 || !options.json;
  try {
    return static_cast<int>(run(options));
  } catch (const client::ClientError& error) {
    std::fprintf(stderr, "tally-load: %s\n", error.what());
    const bool unreachable = error.kind() == client::ClientError::Kind::kConnect;
    return static_cast<int>(unreachable ? ExitCode::kUnreachable : ExitCode::kFailed);
  } catch (const std::runtime_error& error) {  // a baseline could not be measured
    std::fprintf(stderr, "tally-load: %s\n", error.what());
    return static_cast<int>(ExitCode::kFailed);
  }
}
