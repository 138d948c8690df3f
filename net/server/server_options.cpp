#include "net/server/server_options.h"

#include <cctype>
#include <cstdio>
#include <iostream>
#include <map>
#include <string>

#include <CLI/CLI.hpp>

#include "net/server/access_control.h"

namespace tally::net {
namespace {

const std::map<std::string, journal::SyncPolicy> kSyncPolicies = {
    {"group", journal::SyncPolicy::kEveryBatch},
    {"interval", journal::SyncPolicy::kInterval},
    {"none", journal::SyncPolicy::kNone}};

const std::map<std::string, WaitKind> kWaitKinds = {{"spin", WaitKind::kSpin},
                                                    {"yield", WaitKind::kYield},
                                                    {"block", WaitKind::kBlock},
                                                    {"adaptive", WaitKind::kAdaptive}};

// Options given by name, turned into enums once parsed.
struct NamedChoices {
  std::string wait = "adaptive";
  std::string sync = "group";
  bool no_http = false;  // a flag of its own, so that TALLY_NO_HTTP=true means what it says
};

void add_network_options(CLI::App& app, ServerConfig& config, NamedChoices& names) {
  app.add_option("--host", config.host, "Address to listen on")->capture_default_str();
  app.add_option("--port", config.port, "TCP port to listen on (0: any free port)")
      ->capture_default_str();
  app.add_option("--auth-file", config.auth_file,
                 "API keys with roles, one per line: <name> <read|write|admin> sha256:<hex> "
                 "(see --hash-api-key); without it, only loopback addresses may be listened on");
  app.add_option("--tls-cert", config.tls_certificate_file,
                 "TLS on both listeners: this certificate chain (PEM), with --tls-key");
  app.add_option("--tls-key", config.tls_key_file, "TLS: the certificate's private key (PEM)");
  app.add_option("--http-host", config.http_host, "Address of the HTTP/JSON listener")
      ->capture_default_str();
  app.add_option("--http-port", config.http_port,
                 "TCP port of the HTTP/JSON listener (0: any free port)")
      ->capture_default_str();
  app.add_flag("--no-http", names.no_http, "No HTTP/JSON listener");
  app.add_option("--max-http-header-bytes", config.http_header_bytes_max,
                 "Largest HTTP request line and headers; larger gets 431 and a close")
      ->capture_default_str();
  app.add_option("--max-http-body-bytes", config.http_body_bytes_max,
                 "Largest HTTP request body; larger gets 413 and a close")
      ->capture_default_str();
  app.add_option("--http-idle-timeout-ms", config.http_idle_timeout_ms,
                 "An HTTP request must arrive whole within this of the previous answer")
      ->capture_default_str();
  app.add_option("--io-threads", config.io_threads, "Network threads")->capture_default_str();
  app.add_option("--max-connections", config.connections_max,
                 "Connections at once; more are refused with an error")
      ->capture_default_str();
  app.add_option("--max-in-flight", config.requests_in_flight_max,
                 "Requests in flight per connection; at the limit the server stops reading "
                 "that connection until answers go out")
      ->capture_default_str();
  app.add_option("--max-frame-bytes", config.pipeline.ingress.frame_bytes_max,
                 "Largest frame accepted; a larger one gets an error and the connection closes")
      ->capture_default_str();
  app.add_option("--max-outbox-bytes", config.outbox_bytes_max,
                 "Unwritten responses per connection before it is dropped as not reading")
      ->capture_default_str();
  app.add_option("--max-query-frame-bytes", config.query_frame_bytes_max,
                 "Largest frame of any request but a command batch (queries, Hello, stats); a "
                 "larger one gets an error and the connection carries on")
      ->capture_default_str();
  app.add_option("--max-subscriptions", config.subscriptions_max,
                 "Event subscriptions open at once, server-wide; more end at once with "
                 "LimitExceeded")
      ->capture_default_str();
  app.add_option("--max-subscription-credit", config.subscription_credit_max,
                 "The most events a subscription may be granted ahead (more credit is capped)")
      ->capture_default_str();
  app.add_option("--memory-budget-bytes", config.memory_budget_bytes,
                 "Server-wide memory for held query frames, grown read buffers and unwritten "
                 "answers: at it, connections stop reading until memory is released; answers may "
                 "use as much again (half as much for a connection with over 64 KiB unwritten), "
                 "then the connection an answer is for is dropped")
      ->capture_default_str();
  app.add_option("--frame-timeout-ms", config.frame_timeout_ms,
                 "A started frame, or the Hello of a new connection, must arrive within this")
      ->capture_default_str();
  app.add_option("--write-timeout-ms", config.write_timeout_ms,
                 "A response write that makes no progress this long drops the connection")
      ->capture_default_str();
  app.add_option("--shutdown-grace-ms", config.shutdown_grace_ms,
                 "On SIGINT/SIGTERM, how long to keep writing answers to clients")
      ->capture_default_str();
  app.add_option("--read-wait-ms", config.read_wait_ms,
                 "How long a query waits for its min_sequence before a Timeout error")
      ->capture_default_str();
}

void add_engine_options(CLI::App& app, ServerConfig& config, NamedChoices& names) {
  app.add_option("--max-batch", config.pipeline.ledger.batch_commands_max,
                 "Commands per request at most")
      ->capture_default_str();
  app.add_option("--max-accounts", config.pipeline.ledger.accounts_max, "Accounts at most")
      ->capture_default_str();
  app.add_option("--max-transaction-ids", config.pipeline.ledger.transaction_ids_max,
                 "Business transaction ids remembered at most")
      ->capture_default_str();
  app.add_option("--idempotency-window", config.pipeline.ledger.idempotency_window,
                 "Commands of recent requests remembered for retries")
      ->capture_default_str();
  app.add_option("--ring-capacity", config.pipeline.ring_capacity,
                 "Outcome ring entries (a power of two, at least twice --max-batch)")
      ->capture_default_str();
  app.add_option("--ingress-batches", config.pipeline.ingress.batches_in_flight_max,
                 "Requests queued for the business-logic thread at most (server-wide)")
      ->capture_default_str();
  app.add_option("--wait", names.wait,
                 "How idle pipeline threads wait: spin, yield, block, adaptive")
      ->check(CLI::IsMember(kWaitKinds))
      ->capture_default_str();
}

void add_storage_options(CLI::App& app, ServerConfig& config, NamedChoices& names) {
  app.add_option("--data-dir", config.data_directory,
                 "Data directory (journal/, snapshots/, checkpoints/; created if missing)")
      ->capture_default_str();
  app.add_option("--sync", names.sync,
                 "group: sync each batch before answering it; interval: at most one sync per "
                 "--sync-interval-us; none: never sync (benchmarks only, not durable)")
      ->check(CLI::IsMember(kSyncPolicies))
      ->capture_default_str();
  app.add_option("--sync-interval-us", config.sync_interval_us, "For --sync interval")
      ->capture_default_str();
  app.add_option("--segment-bytes", config.segment_bytes, "Journal segment file size")
      ->capture_default_str();
  app.add_option("--snapshot-every-events", config.snapshot_every_events,
                 "Snapshot after this many events (0: not by count)")
      ->capture_default_str();
  app.add_option("--snapshot-every-seconds", config.snapshot_every_seconds,
                 "Snapshot after this many seconds with events (0: not by time)")
      ->capture_default_str();
  app.add_option("--snapshots-kept", config.snapshots_kept, "Newest snapshots kept")
      ->capture_default_str();
  app.add_option("--checkpoint-every-events", config.checkpoint_every_events,
                 "Read-model checkpoint after this many events applied (0: not by count)")
      ->capture_default_str();
  app.add_option("--checkpoint-every-seconds", config.checkpoint_every_seconds,
                 "Read-model checkpoint after this many seconds with events (0: not by time)")
      ->capture_default_str();
  app.add_option("--checkpoints-kept", config.checkpoints_kept,
                 "Newest read-model checkpoints kept per model (0: none written or loaded; "
                 "read models then rebuild from the journal's first event at every start)")
      ->capture_default_str();
}

// Every option of the server may come from the environment too: --http-port from
// TALLY_HTTP_PORT, --max-in-flight from TALLY_MAX_IN_FLIGHT. CLI11 reads a variable only for an
// option neither the command line nor the --config file set.
void add_environment_names(CLI::App& app) {
  for (CLI::Option* option : app.get_options()) {
    const std::vector<std::string>& names = option->get_lnames();
    if (names.empty() || names.front() == "help" || names.front() == "version" ||
        names.front() == "config" || names.front() == "hash-api-key") {
      continue;
    }
    std::string variable = "TALLY_";
    for (const char character : names.front()) {
      variable += character == '-' ? '_' : static_cast<char>(std::toupper(character));
    }
    option->envname(variable);
  }
}

}  // namespace

ParsedOptions parse_server_options(int argc, char** argv) {
  ServerConfig config;
  ParsedOptions parsed;
  CLI::App app("tallyd: the Tally ledger server (binary FlatBuffers protocol over TCP)", "tallyd");
  app.set_version_flag("--version", "tallyd " TALLY_VERSION, "print the version and exit");
  app.set_config("--config", "", "Read options from this TOML/INI file (flags win)");
  app.allow_config_extras(CLI::config_extras_mode::error);  // a misspelt key is an error
  NamedChoices names;
  add_network_options(app, config, names);
  add_engine_options(app, config, names);
  add_storage_options(app, config, names);
  app.add_option("--log-level", parsed.log_level, "trace, debug, info, warn, error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}))
      ->capture_default_str();
  bool hash_api_key = false;
  app.add_flag("--hash-api-key", hash_api_key,
               "Read an API key from standard input, print the sha256:<hex> an --auth-file "
               "line takes, and exit");
  add_environment_names(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    parsed.exit_code = app.exit(error) == 0 ? ExitCode::kOk : ExitCode::kUsage;
    return parsed;
  }
  if (hash_api_key) {
    std::string key;
    std::getline(std::cin, key);
    std::printf("%s\n", api_key_digest_text(key).c_str());
    parsed.exit_code = ExitCode::kOk;
    return parsed;
  }
  config.pipeline.wait_kind = kWaitKinds.at(names.wait);
  config.http_enabled = !names.no_http;
  config.sync_policy = kSyncPolicies.at(names.sync);
  config.pipeline.ingress.batch_commands_max = config.pipeline.ledger.batch_commands_max;
  if (const Status status = config.validate(); !status.is_ok()) {
    std::fprintf(stderr, "tallyd: %s\n", status.message().c_str());
    parsed.exit_code = ExitCode::kUsage;
    return parsed;
  }
  parsed.config = config;
  return parsed;
}

}  // namespace tally::net
