#include "tools/tally/stats_printer.h"

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "tools/common/json.h"
#include "tools/tally/result_code_name.h"
#include "tools/tally/text_table.h"

namespace tally::cli {
namespace {

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
          {"snapshots_written", number(stats.snapshots_written)},
          {"money_in", number(stats.money_in)},
          {"money_out", number(stats.money_out)},
          {"read_pauses", number(stats.read_pauses)},
          {"memory_budget_bytes", number(stats.memory_budget_bytes)},
          {"memory_in_use_bytes", number(stats.memory_in_use_bytes)},
          {"memory_peak_bytes", number(stats.memory_peak_bytes)},
          {"memory_pauses", number(stats.memory_pauses)}};
}

std::string limits_json(const net::ServerLimits& limits) {
  return tools::JsonObject()
      .add_unsigned("max_frame_bytes", limits.max_frame_bytes)
      .add_unsigned("max_batch_commands", limits.max_batch_commands)
      .add_unsigned("max_requests_in_flight", limits.max_requests_in_flight)
      .add_unsigned("max_connections", limits.max_connections)
      .add_unsigned("idempotency_window_commands", limits.idempotency_window_commands)
      .str();
}

void print_json(const net::ServerStats& stats, const net::ServerHello& server) {
  tools::JsonObject object;
  for (const auto& [name, value] : counters_of(stats)) {
    object.add_raw(name, value);  // every counter is a plain integer
  }
  std::string reasons = "[";
  for (const auto& [code, count] : stats.rejections_by_reason) {
    if (reasons.size() > 1) {
      reasons += ',';
    }
    reasons += tools::JsonObject()
                   .add_unsigned("code", static_cast<uint64_t>(code))
                   .add_text("result", result_code_name(code))
                   .add_unsigned("count", count)
                   .str();
  }
  reasons += ']';
  object.add_raw("rejections_by_reason", reasons);
  object.add_raw("server", tools::JsonObject()
                               .add_text("name", server.server_name)
                               .add_text("version", server.server_version)
                               .add_unsigned("protocol_version", server.protocol_version)
                               .add_raw("limits", limits_json(server.limits))
                               .str());
  std::printf("%s\n", object.str().c_str());
}

void print_text(const net::ServerStats& stats, const net::ServerHello& server) {
  std::printf("server %s %s, protocol %u\n", server.server_name.c_str(),
              server.server_version.c_str(), static_cast<unsigned>(server.protocol_version));
  TextTable table({TextTable::Align::kLeft, TextTable::Align::kRight, TextTable::Align::kLeft});
  for (const auto& [name, value] : counters_of(stats)) {
    const bool money = name == "money_in" || name == "money_out";
    table.add_row({name, value, money ? "minor units, all currencies" : ""});
    if (name == "rejections") {
      for (const auto& [code, count] : stats.rejections_by_reason) {
        // Indented under "rejections"; appended, as "literal" + string trips GCC 12's -Wrestrict.
        table.add_row({std::string("  ").append(result_code_name(code)), std::to_string(count),
                       "code " + std::to_string(static_cast<unsigned>(code))});
      }
    }
  }
  const net::ServerLimits& limits = server.limits;
  table.add_row({"max_batch_commands", std::to_string(limits.max_batch_commands), "limit"});
  table.add_row({"max_frame_bytes", std::to_string(limits.max_frame_bytes), "limit"});
  table.add_row({"max_requests_in_flight", std::to_string(limits.max_requests_in_flight), "limit"});
  table.add_row({"max_connections", std::to_string(limits.max_connections), "limit"});
  table.add_row(
      {"idempotency_window_commands", std::to_string(limits.idempotency_window_commands), "limit"});
  table.print(stdout);
}

}  // namespace

void print_stats(const net::ServerStats& stats, const net::ServerHello& server, bool json) {
  if (json) {
    print_json(stats, server);
  } else {
    print_text(stats, server);
  }
}

}  // namespace tally::cli
