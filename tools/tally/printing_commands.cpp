// What tally prints for its own requests (printing.h): the results of ledger commands, the
// server's counters, and the projectors' progress.
#include "tools/tally/printing.h"

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "tools/tally/parsers.h"
#include "tools/tally/printing_support.h"

namespace tally::cli {
namespace {

using tools::JsonObject;

// ---- Command results ----------------------------------------------------------------------

// The account the balance belongs to: the server names it for an open (it may have chosen
// it); otherwise it is the one the command was sent for.
const std::string& account_of(const PlannedCommand& command,
                              const client::CommandOutcome& outcome) {
  return outcome.account_id.empty() ? command.account_id : outcome.account_id;
}

JsonObject result_json(const PlannedCommand& command, const client::CommandOutcome& outcome) {
  JsonObject object;
  object.add_text("command", command_kind_name(command.kind))
      .add_unsigned("code", static_cast<uint64_t>(outcome.code))
      .add_text("result", result_code_text(outcome.code))
      .add_unsigned("sequence", outcome.sequence)
      .add_signed("balance_minor", outcome.balance)
      .add_text("balance", format_amount(outcome.balance, command.decimal_places))
      .add_unsigned("version", outcome.version)
      .add_text("account_id", account_of(command, outcome));
  add_bool(object, "replayed", outcome.replayed);
  return object;
}

std::vector<std::string> result_row(const PlannedCommand& command,
                                    const client::CommandOutcome& outcome) {
  return {result_code_text(outcome.code), std::to_string(outcome.sequence),
          format_amount(outcome.balance, command.decimal_places), std::to_string(outcome.version),
          account_of(command, outcome)};
}

// ---- Server counters ----------------------------------------------------------------------

// The counters in ServerStats order, as (name, value); rejections by reason come separately.
std::vector<std::pair<std::string, std::string>> counters_of(const net::ServerStats& stats) {
  const auto number = [](auto value) { return std::to_string(value); };
  return {{"uptime_ms", number(stats.uptime_ms)},
          {"requests", number(stats.requests)},
          {"commands", number(stats.commands)},
          {"rejections", number(stats.rejections)},
          {"replayed_answers", number(stats.replayed_answers)},
          {"requests_refused", number(stats.requests_refused)},
          {"connections_open", number(stats.connections_open)},
          {"connections_accepted", number(stats.connections_accepted)},
          {"connections_refused", number(stats.connections_refused)},
          {"connections_dropped", number(stats.connections_dropped)},
          {"ingress_depth", number(stats.ingress_depth)},
          {"ring_backlog", number(stats.ring_backlog)},
          {"journal_lag", number(stats.journal_lag)},
          {"durable_sequence", number(stats.durable_sequence)},
          {"journal_bytes", number(stats.journal_bytes)},
          {"journal_syncs", number(stats.journal_syncs)},
          {"journal_writable", stats.journal_failed ? "false" : "true"},
          {"subscriptions_open", number(stats.subscriptions_open)},
          {"subscription_events_sent", number(stats.subscription_events_sent)},
          {"subscription_batches_sent", number(stats.subscription_batches_sent)},
          {"snapshots_written", number(stats.snapshots_written)},
          {"money_in", number(stats.money_in)},
          {"money_out", number(stats.money_out)},
          {"read_pauses", number(stats.read_pauses)},
          {"memory_budget_bytes", number(stats.memory_budget_bytes)},
          {"memory_in_use_bytes", number(stats.memory_in_use_bytes)},
          {"memory_peak_bytes", number(stats.memory_peak_bytes)},
          {"memory_pauses", number(stats.memory_pauses)},
          {"requests_denied", number(stats.requests_denied)}};
}

std::string limits_json(const net::ServerLimits& limits) {
  return JsonObject()
      .add_unsigned("max_frame_bytes", limits.frame_bytes_max)
      .add_unsigned("max_batch_commands", limits.batch_commands_max)
      .add_unsigned("max_requests_in_flight", limits.requests_in_flight_max)
      .add_unsigned("max_connections", limits.connections_max)
      .add_unsigned("idempotency_window_commands", limits.idempotency_window_commands)
      .str();
}

std::string rejections_json(const net::ServerStats& stats) {
  std::vector<std::string> reasons;
  for (const auto& [code, count] : stats.rejections_by_reason) {
    reasons.push_back(JsonObject()
                          .add_unsigned("code", static_cast<uint64_t>(code))
                          .add_text("result", result_code_text(code))
                          .add_unsigned("count", count)
                          .str());
  }
  return json_array(reasons);
}

std::string stage_latencies_json(const net::ServerStats& stats) {
  std::vector<std::string> stages;
  for (const net::StageLatency& stage : stats.stage_latencies) {
    const LatencySummary& latency = stage.latency;
    stages.push_back(JsonObject()
                         .add_text("stage", stage.stage)
                         .add_unsigned("count", latency.count)
                         .add_unsigned("p50_ns", latency.p50_ns)
                         .add_unsigned("p90_ns", latency.p90_ns)
                         .add_unsigned("p99_ns", latency.p99_ns)
                         .add_unsigned("p999_ns", latency.p999_ns)
                         .add_unsigned("max_ns", latency.max_ns)
                         .str());
  }
  return json_array(stages);
}

JsonObject stats_json(const net::ServerStats& stats, const net::ServerHello& server) {
  JsonObject object;
  for (const auto& [name, value] : counters_of(stats)) {
    object.add_raw(name, value);  // every counter is a plain integer or boolean
  }
  object.add_raw("rejections_by_reason", rejections_json(stats));
  object.add_raw("stage_latencies", stage_latencies_json(stats));
  object.add_raw("server", JsonObject()
                               .add_text("name", server.server_name)
                               .add_text("version", server.server_version)
                               .add_unsigned("protocol_version", server.protocol_version)
                               .add_raw("limits", limits_json(server.limits))
                               .str());
  return object;
}

void add_counter_rows(TextTable& table, const net::ServerStats& stats) {
  for (const auto& [name, value] : counters_of(stats)) {
    const bool money = name == "money_in" || name == "money_out";
    table.add_row({name, value, money ? "minor units, all currencies" : ""});
    if (name == "rejections") {
      for (const auto& [code, count] : stats.rejections_by_reason) {
        // Indented under "rejections"; appended, as "literal" + string trips GCC 12's -Wrestrict.
        table.add_row({std::string("  ").append(result_code_text(code)), std::to_string(count),
                       "code " + std::to_string(static_cast<unsigned>(code))});
      }
    }
  }
}

// Nanoseconds as microseconds with one decimal: the stages range from a few hundred nanoseconds
// to milliseconds.
std::string microseconds(uint64_t nanoseconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", static_cast<double>(nanoseconds) / 1000.0);
  return text;
}

void print_stage_latencies(const std::vector<net::StageLatency>& stages) {
  if (stages.empty()) {
    return;  // an older server
  }
  std::printf("\nlatency by stage, sampled requests, microseconds\n");
  TextTable table({Align::kLeft, Align::kRight, Align::kRight, Align::kRight, Align::kRight,
                   Align::kRight, Align::kRight});
  table.add_row({"stage", "samples", "p50", "p90", "p99", "p99.9", "max"});
  for (const net::StageLatency& stage : stages) {
    const LatencySummary& latency = stage.latency;
    table.add_row({stage.stage, std::to_string(latency.count), microseconds(latency.p50_ns),
                   microseconds(latency.p90_ns), microseconds(latency.p99_ns),
                   microseconds(latency.p999_ns), microseconds(latency.max_ns)});
  }
  table.print();
}

void add_limit_rows(TextTable& table, const net::ServerLimits& limits) {
  table.add_row({"max_batch_commands", std::to_string(limits.batch_commands_max), "limit"});
  table.add_row({"max_frame_bytes", std::to_string(limits.frame_bytes_max), "limit"});
  table.add_row({"max_requests_in_flight", std::to_string(limits.requests_in_flight_max), "limit"});
  table.add_row({"max_connections", std::to_string(limits.connections_max), "limit"});
  table.add_row(
      {"idempotency_window_commands", std::to_string(limits.idempotency_window_commands), "limit"});
}

// ---- Projections --------------------------------------------------------------------------

std::string projector_json(const ProjectorStatus& projector) {
  JsonObject object;
  object.add_text("name", projector.name)
      .add_unsigned("applied_sequence", projector.applied_sequence)
      .add_unsigned("lag", projector.lag)
      .add_unsigned("events_applied", projector.events_applied)
      .add_unsigned("queries_answered", projector.queries_answered)
      .add_unsigned("queries_waiting", projector.queries_waiting)
      .add_unsigned("queries_timed_out", projector.queries_timed_out)
      .add_unsigned("rebuilds", projector.rebuilds);
  add_bool(object, "failed", projector.failed);
  add_bool(object, "started_from_checkpoint", projector.started_from_checkpoint);
  object.add_unsigned("checkpoint_sequence", projector.checkpoint_sequence)
      .add_unsigned("checkpoints_written", projector.checkpoints_written);
  return object.str();
}

JsonObject projections_json(const net::ProjectionReport& report, bool rebuild_started) {
  std::vector<std::string> projectors;
  for (const ProjectorStatus& projector : report.projectors) {
    projectors.push_back(projector_json(projector));
  }
  JsonObject object;
  object.add_text("query", rebuild_started ? "projections rebuild" : "projections");
  if (rebuild_started) {
    add_bool(object, "rebuild_started", true);
  }
  object.add_unsigned("durable_sequence", report.durable_sequence)
      .add_raw("projectors", json_array(projectors));
  return object;
}

std::vector<std::string> projector_row(const ProjectorStatus& projector) {
  return {projector.name,
          std::to_string(projector.applied_sequence),
          std::to_string(projector.lag),
          std::to_string(projector.events_applied),
          std::to_string(projector.queries_answered),
          std::to_string(projector.queries_waiting),
          std::to_string(projector.queries_timed_out),
          std::to_string(projector.rebuilds),
          projector.failed ? "failed (see the server's log)" : "ok"};
}

}  // namespace

// ---- Commands and the server --------------------------------------------------------------

void print_results(const std::vector<PlannedCommand>& commands, const client::BatchResult& results,
                   bool json) {
  if (json) {
    for (size_t index = 0; index < results.results.size(); ++index) {
      print_json_line(result_json(commands[index], results.results[index]));
    }
    return;
  }
  TextTable table({Align::kLeft, Align::kRight, Align::kRight, Align::kRight, Align::kLeft});
  table.add_row({"result", "sequence", "balance", "version", "account"});
  for (size_t index = 0; index < results.results.size(); ++index) {
    table.add_row(result_row(commands[index], results.results[index]));
  }
  table.print();
}

void print_stats(const net::ServerStats& stats, const net::ServerHello& server, bool json) {
  if (json) {
    print_json_line(stats_json(stats, server));
    return;
  }
  std::printf("server %s %s, protocol %u\n", server.server_name.c_str(),
              server.server_version.c_str(), static_cast<unsigned>(server.protocol_version));
  TextTable table({Align::kLeft, Align::kRight, Align::kLeft});
  add_counter_rows(table, stats);
  add_limit_rows(table, server.limits);
  table.print();
  print_stage_latencies(stats.stage_latencies);
}

void print_projections(const net::ProjectionReport& report, bool rebuild_started, bool json) {
  if (json) {
    print_json_line(projections_json(report, rebuild_started));
    return;
  }
  if (rebuild_started) {
    std::printf("rebuild started: every read model is being rebuilt from the journal\n");
  }
  std::printf("durable_sequence %llu\n", static_cast<unsigned long long>(report.durable_sequence));
  TextTable table({Align::kLeft, Align::kRight, Align::kRight, Align::kRight, Align::kRight,
                   Align::kRight, Align::kRight, Align::kRight, Align::kLeft});
  table.add_row({"projector", "applied", "lag", "events", "answered", "waiting", "timed_out",
                 "rebuilds", "state"});
  for (const ProjectorStatus& projector : report.projectors) {
    table.add_row(projector_row(projector));
  }
  table.print();
}
}  // namespace tally::cli
