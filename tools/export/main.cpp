// tally-export: copies tallyd's events into PostgreSQL, exactly once, live (tools/export/
// exporter.h; the tables: docs/export.md). Runs anywhere that reaches both: it is a
// subscriber like any other.
#include <csignal>
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>

#include "engine/base/exit_code.h"
#include "tools/export/export_schema.h"
#include "tools/export/exporter.h"

namespace {

tally::exporter::Exporter* running_exporter = nullptr;

extern "C" void on_signal(int) {
  if (running_exporter != nullptr) {
    running_exporter->stop();  // an atomic store: safe in a handler
  }
}

void print_progress(const tally::exporter::ExportProgress& progress, bool json) {
  const uint64_t lag = progress.durable_sequence > progress.exported_sequence
                           ? progress.durable_sequence - progress.exported_sequence
                           : 0;
  if (json) {
    std::fprintf(stderr,
                 "{\"exported_sequence\":%llu,\"durable_sequence\":%llu,\"lag_events\":%llu,"
                 "\"events\":%llu,\"events_per_second\":%.0f,\"lag_seconds_max\":%.3f,"
                 "\"restarts\":%llu}\n",
                 static_cast<unsigned long long>(progress.exported_sequence),
                 static_cast<unsigned long long>(progress.durable_sequence),
                 static_cast<unsigned long long>(lag),
                 static_cast<unsigned long long>(progress.events), progress.events_per_second,
                 progress.lag_seconds_max, static_cast<unsigned long long>(progress.restarts));
  } else {
    std::fprintf(
        stderr,
        "tally-export: exported through %llu (server durable %llu, lag %llu events, oldest "
        "event exported %.3f s after it happened), %llu events written, %.0f/s%s%s\n",
        static_cast<unsigned long long>(progress.exported_sequence),
        static_cast<unsigned long long>(progress.durable_sequence),
        static_cast<unsigned long long>(lag), progress.lag_seconds_max,
        static_cast<unsigned long long>(progress.events), progress.events_per_second,
        progress.last_failure.empty() ? "" : "; last failure: ", progress.last_failure.c_str());
  }
  std::fflush(stderr);
}

}  // namespace

int main(int argc, char** argv) {
  tally::exporter::ExporterOptions options;
  options.server.client_name = "tally-export";
  uint64_t max_wait_ms = 200;
  uint64_t progress_ms = 5'000;
  bool json = false;
  CLI::App app(
      "tally-export: copies tallyd's events into PostgreSQL (events, accounts, "
      "statement_entries), exactly once, and follows them live",
      "tally-export");
  app.add_option("--postgres", options.postgres,
                 "libpq connection string, e.g. \"host=/var/run/postgresql dbname=ledger\"")
      ->required()
      ->envname("TALLY_EXPORT_POSTGRES");
  app.add_option("--schema", options.schema, "the PostgreSQL schema of the tables")
      ->capture_default_str();
  app.add_option("--host", options.server.host, "tallyd's host")->capture_default_str();
  app.add_option("--port", options.server.port, "tallyd's binary port")->capture_default_str();
  app.add_option("--api-key", options.server.api_key, "for a server with an auth file (read role)")
      ->envname("TALLY_API_KEY");
  app.add_option("--tls-ca", options.server.tls_ca_file, "TLS: the CA to verify tallyd with");
  app.add_option("--batch-events", options.batch_events, "events per transaction at most")
      ->check(CLI::Range(1u, 1'000'000u))
      ->capture_default_str();
  app.add_option("--max-wait-ms", max_wait_ms,
                 "a transaction at least this often while events come")
      ->capture_default_str();
  app.add_option("--progress-ms", progress_ms, "how often progress is printed (standard error)")
      ->capture_default_str();
  app.add_flag("--until-caught-up", options.until_caught_up,
               "exit once what tallyd held when the exporter started is exported");
  app.add_flag("--json", json, "progress as JSON lines");
  app.footer(
      "Exit codes: 0 stopped (SIGINT/SIGTERM) or caught up, 1 a failure with --until-caught-up "
      "(without it, failures are retried with backoff), 2 bad options.");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error) == 0 ? 0 : static_cast<int>(tally::ExitCode::kUsage);
  }
  if (const tally::Status valid = tally::exporter::ExportSchema::check_name(options.schema);
      !valid.is_ok()) {
    std::fprintf(stderr, "tally-export: --schema: %s\n", valid.message().c_str());
    return static_cast<int>(tally::ExitCode::kUsage);
  }
  options.max_wait = std::chrono::milliseconds(max_wait_ms);
  options.progress_interval = std::chrono::milliseconds(progress_ms);
  tally::exporter::Exporter exporter(
      options,
      [json](const tally::exporter::ExportProgress& progress) { print_progress(progress, json); });
  running_exporter = &exporter;
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  const bool ok = exporter.run();
  running_exporter = nullptr;
  return ok ? 0 : static_cast<int>(tally::ExitCode::kFailed);
}
