// tallyd: the Tally ledger server. Recovers the data directory, serves the binary protocol on
// TCP, and on SIGINT/SIGTERM stops accepting, finishes what is in the pipeline, syncs and
// exits 0. Exits 1 if the data directory cannot be recovered, the port cannot be listened on or
// the journal fails (nothing is acknowledged after a journal failure), 2 for bad flags, 3 if
// another process holds the data directory (ExitCode, engine/base/exit_code.h). See
// docs/protocol.md and --help.
#include <signal.h>

#include <cstdio>
#include <ctime>
#include <map>
#include <optional>
#include <set>
#include <string>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "engine/base/exit_code.h"
#include "net/http/http_listener.h"
#include "net/protocol/tls_context.h"
#include "net/server/durable_engine.h"
#include "net/server/server.h"
#include "net/server/server_options.h"

namespace {

using namespace tally;
using namespace tally::net;

constexpr std::string_view sync_name(journal::SyncPolicy policy) {
  switch (policy) {
    case journal::SyncPolicy::kEveryBatch:
      return "group";
    case journal::SyncPolicy::kInterval:
      return "interval";
    case journal::SyncPolicy::kNone:
      return "none";
  }
  return "unknown";
}

void log_startup(const ServerConfig& config, const StartupReport& report, uint16_t port) {
  for (const std::string& skipped : report.snapshots_skipped) {
    spdlog::warn("event=snapshot_skipped problem=\"{}\"", skipped);
  }
  for (const std::string& warning : report.warnings) {
    spdlog::warn("event=recovery_warning problem=\"{}\"", warning);
  }
  if (report.cut) {
    const journal::JournalCut& cut = *report.cut;
    spdlog::warn(
        "event={} file=\"{}\" offset={} first_sequence={} events_cut={} bytes={} "
        "problem=\"{}\" saved_to=\"{}\" synced_floor={}",
        cut.torn_tail ? "torn_tail_cut" : "corruption_cut", cut.file, cut.offset,
        cut.first_sequence, cut.events_cut, cut.bytes, cut.problem, cut.saved_to,
        report.synced_floor);
  }
  spdlog::info(
      "event=recovered snapshot_sequence={} events_replayed={} last_sequence={} accounts={} "
      "synced_floor={} floor_from=\"{}\" clean_shutdown={} duration_ms={:.1f}",
      report.snapshot_sequence, report.events_replayed, report.last_sequence, report.accounts,
      report.synced_floor, report.synced_floor_source, report.clean_shutdown,
      std::chrono::duration<double, std::milli>(report.duration).count());
  spdlog::info("event=listening host={} port={} data_dir=\"{}\" sync={} io_threads={} tls={}",
               config.host, port, config.data_directory, sync_name(config.sync_policy),
               config.io_threads, config.tls_certificate_file.empty() ? "off" : "on");
}

// Logs each read model that stopped following the journal, once: its queries are answered
// Unavailable from then on, and the operator must know why.
void log_read_side_failures(DurableEngine& engine, std::set<std::string>& logged) {
  for (const std::string& failure : engine.read_side().failures()) {
    if (logged.insert(failure).second) {
      spdlog::error(
          "event=read_model_failed problem=\"{}\" note=\"its queries answer Unavailable\"",
          failure);
    }
  }
}

// What has been logged of the read models' checkpoints, so that each thing is said once.
struct CheckpointsLogged {
  std::set<std::string> started;             // the models whose start-up was logged
  std::map<std::string, uint64_t> failures;  // failed writes logged, per model
};

// Logs, once a read model has started (it loads its checkpoint on its own thread, after the
// start-up report), which checkpoints it skipped and why: each costs a longer replay now and
// at every start until a new one is written. Then each checkpoint write that failed since the
// last look: the model is unaffected, but the next start replays more of the journal.
void log_checkpoints(DurableEngine& engine, CheckpointsLogged& logged) {
  for (const ReadSide::CheckpointReport& report : engine.read_side().checkpoints()) {
    if (report.started && logged.started.insert(report.model).second) {
      for (const std::string& skipped : report.skipped) {
        spdlog::warn("event=checkpoint_skipped model={} problem=\"{}\"", report.model, skipped);
      }
      spdlog::info("event=read_model_started model={} from_checkpoint={} checkpoint_sequence={}",
                   report.model, report.started_from_checkpoint, report.checkpoint_sequence);
    }
    uint64_t& logged_failures = logged.failures[report.model];
    if (report.failures.count > logged_failures) {
      spdlog::error(
          "event=checkpoint_failed model={} failures={} problem=\"{}\" note=\"the read model "
          "is unaffected; the next start replays more of the journal\"",
          report.model, report.failures.count, report.failures.last.message());
      logged_failures = report.failures.count;
    }
  }
}

// Blocks until SIGINT/SIGTERM or an engine failure; returns the signal (0 for a failure).
int wait_for_stop(const sigset_t& signals, DurableEngine& engine, const Server& server,
                  CheckpointsLogged& logged_checkpoints) {
  uint64_t logged_commands = 0;
  std::set<std::string> logged_failures;
  for (int seconds = 1;; ++seconds) {
    log_read_side_failures(engine, logged_failures);
    log_checkpoints(engine, logged_checkpoints);
    const timespec one_second{.tv_sec = 1, .tv_nsec = 0};
    const int signal_number = sigtimedwait(&signals, nullptr, &one_second);
    if (signal_number > 0) {
      return signal_number;
    }
    if (engine.failed()) {
      return 0;
    }
    if (seconds % 60 == 0) {
      const ServerStats stats = server.stats();
      if (stats.commands != logged_commands) {
        logged_commands = stats.commands;
        spdlog::info(
            "event=stats commands={} rejections={} connections_open={} "
            "durable_sequence={} journal_lag={}",
            stats.commands, stats.rejections, stats.connections_open, stats.durable_sequence,
            stats.journal_lag);
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  const ParsedOptions options = parse_server_options(argc, argv);
  if (!options.config) {
    return static_cast<int>(options.exit_code);
  }
  const ServerConfig& config = *options.config;
  spdlog::set_default_logger(spdlog::stderr_logger_mt("tallyd"));
  spdlog::set_level(spdlog::level::from_str(options.log_level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %l %v");

  // Every thread started from here on inherits the blocked set; only sigtimedwait takes them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  AccessControl access;
  if (!config.auth_file.empty()) {
    Result<AccessControl> loaded = AccessControl::load(config.auth_file);
    if (!loaded.is_ok()) {
      spdlog::critical("event=start_failed problem=\"{}\"", loaded.status().message());
      return static_cast<int>(ExitCode::kUsage);
    }
    access = std::move(loaded).value();
    spdlog::info("event=access_control auth_file=\"{}\" keys={}", config.auth_file,
                 access.key_count());
  }
  std::shared_ptr<boost::asio::ssl::context> tls;
  if (!config.tls_certificate_file.empty()) {
    auto loaded = make_server_tls_context(config.tls_certificate_file, config.tls_key_file);
    if (!loaded.is_ok()) {
      spdlog::critical("event=start_failed problem=\"{}\"", loaded.status().message());
      return static_cast<int>(ExitCode::kUsage);
    }
    tls = std::move(loaded).value();
  }
  Server server(config, std::move(access), std::move(tls));
  DurableEngine engine(config, server.router(), server.counters());
  StartupReport report;
  if (const Status status = engine.start(report); !status.is_ok()) {
    spdlog::critical("event=start_failed data_dir=\"{}\" problem=\"{}\"", config.data_directory,
                     status.message());
    return static_cast<int>(report.directory_in_use ? ExitCode::kRefused : ExitCode::kFailed);
  }
  if (const Status status =
          server.bind_and_listen(engine.ingress(), engine.read_side(),
                                 [&engine](ServerStats& stats) { engine.fill_stats(stats); });
      !status.is_ok()) {
    spdlog::critical("event=listen_failed host={} port={} problem=\"{}\"", config.host, config.port,
                     status.message());
    engine.stop();
    return static_cast<int>(ExitCode::kFailed);
  }
  std::optional<http::HttpListener> http_listener;
  if (config.http_enabled) {
    http_listener.emplace(server.io_context(), server.connection_context(), report.last_sequence);
    if (const Status status = http_listener->listen(config.http_host, config.http_port);
        !status.is_ok()) {
      spdlog::critical("event=listen_failed protocol=http host={} port={} problem=\"{}\"",
                       config.http_host, config.http_port, status.message());
      engine.stop();
      return static_cast<int>(ExitCode::kFailed);
    }
  }
  log_startup(config, report, server.port());
  if (http_listener) {
    // After the binary listener's line: scripts read the first "event=listening" for its port.
    spdlog::info("event=http_listening host={} port={}", config.http_host, http_listener->port());
  }
  server.run();

  CheckpointsLogged logged_checkpoints;
  const int signal_number = wait_for_stop(signals, engine, server, logged_checkpoints);
  spdlog::info("event=stopping reason={}", signal_number == 0
                                               ? "engine_failure"
                                               : (signal_number == SIGINT ? "SIGINT" : "SIGTERM"));
  server.stop_accepting();
  if (http_listener) {
    http_listener->stop_accepting();
  }
  engine.stop();  // drains: every accepted request is applied, journaled, synced and answered
  if (!server.wait_until_written(std::chrono::milliseconds(config.shutdown_grace_ms))) {
    spdlog::warn("event=answers_unwritten reason=\"clients did not read within the grace\"");
  }
  server.stop();
  log_checkpoints(engine, logged_checkpoints);  // a write that failed as the engine stopped
  const Status journal_status = engine.journal_failure();
  if (!journal_status.is_ok()) {
    spdlog::critical(
        "event=journal_failed problem=\"{}\" note=\"nothing after it was "
        "acknowledged\"",
        journal_status.message());
    return static_cast<int>(ExitCode::kFailed);
  }
  if (const Status snapshot_status = engine.snapshot_failure(); !snapshot_status.is_ok()) {
    spdlog::error("event=snapshot_failed problem=\"{}\"", snapshot_status.message());
  }
  spdlog::info("event=stopped");
  return static_cast<int>(ExitCode::kOk);
}
