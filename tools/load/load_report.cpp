#include "tools/load/load_report.h"

#include <algorithm>
#include <cstdio>
#include <string>

#include "engine/wire/protocol.h"
#include "tools/common/json.h"
#include "tools/load/sync_baseline.h"

namespace tally::load {
namespace {

// The code counted in a results slot, printed as every tool prints one.
std::string code_name(size_t slot) {
  return result_code_text(static_cast<ResultCode>(slot));
}

double milliseconds(uint64_t nanoseconds) {
  return static_cast<double>(nanoseconds) / 1e6;
}

// 1234567 -> "1,234,567": figures people compare at a glance.
std::string grouped(uint64_t value) {
  const std::string digits = std::to_string(value);
  std::string result;
  for (size_t index = 0; index < digits.size(); ++index) {
    if (index != 0 && (digits.size() - index) % 3 == 0) {
      result.push_back(',');
    }
    result.push_back(digits[index]);
  }
  return result;
}

void print_latency_line(const char* label, const LatencyHistogram& latency) {
  std::printf("%s (ms): p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f  mean %.3f\n", label,
              milliseconds(latency.value_at(0.5)), milliseconds(latency.value_at(0.9)),
              milliseconds(latency.value_at(0.99)), milliseconds(latency.value_at(0.999)),
              milliseconds(latency.max()), latency.mean() / 1e6);
}

void print_latency_json(const char* key, const LatencyHistogram& latency) {
  std::printf(
      "\"%s\":{\"p50\":%llu,\"p90\":%llu,\"p99\":%llu,\"p999\":%llu,\"max\":%llu,"
      "\"mean\":%.0f},",
      key, static_cast<unsigned long long>(latency.value_at(0.5)),
      static_cast<unsigned long long>(latency.value_at(0.9)),
      static_cast<unsigned long long>(latency.value_at(0.99)),
      static_cast<unsigned long long>(latency.value_at(0.999)),
      static_cast<unsigned long long>(latency.max()), latency.mean());
}

// "open loop at 540,000 commands/s" or "closed loop, pipeline 8", and the read weight.
std::string describe_loop(const LoadOptions& options) {
  std::string loop;
  if (options.rate <= 0) {
    loop = "closed loop, pipeline " + std::to_string(options.pipeline);
  } else if (options.read_weight <= 0) {
    loop = "open loop at " + grouped(static_cast<uint64_t>(options.rate)) + " commands/s";
  } else {
    loop = "open loop at " +
           grouped(static_cast<uint64_t>(options.rate / static_cast<double>(options.batch))) +
           " requests/s (--rate " + grouped(static_cast<uint64_t>(options.rate)) + " / batch)";
  }
  if (options.read_weight > 0) {
    char weight[64];
    std::snprintf(weight, sizeof(weight), ", read weight %.2f", options.read_weight);
    loop += weight;
  }
  return loop;
}

const char* reserve_outcome_name(ReserveCheck::Outcome outcome) {
  switch (outcome) {
    case ReserveCheck::Outcome::kSkipped:
      return "skipped";
    case ReserveCheck::Outcome::kPassed:
      return "passed";
    case ReserveCheck::Outcome::kFailed:
      return "failed";
    case ReserveCheck::Outcome::kNotRun:
      break;
  }
  return nullptr;
}

}  // namespace

TotalsCheck check_totals(const net::ServerStats& before, const net::ServerStats& after,
                         const WorkerTally& tally) {
  TotalsCheck check;
  check.performed = true;
  // A retry's replayed answer is not a new command: the worker counted its answer once, and
  // the server counted the original once.
  const uint64_t server_commands = after.commands - before.commands;
  const uint64_t server_in = after.money_in - before.money_in;
  const uint64_t server_out = after.money_out - before.money_out;
  check.passed = server_commands == tally.commands && server_in == tally.money_in &&
                 server_out == tally.money_out;
  check.detail = "server: " + std::to_string(server_commands) + " commands, money in " +
                 std::to_string(server_in) + ", out " + std::to_string(server_out) +
                 "; acknowledged: " + std::to_string(tally.commands) + " commands, money in " +
                 std::to_string(tally.money_in) + ", out " + std::to_string(tally.money_out);
  return check;
}

void print_text(const LoadReport& report) {
  const LoadOptions& options = report.options;
  const WorkerTally& tally = report.tally;
  const LatencyHistogram& latency = tally.latency;
  const std::string shape =
      options.http_port != 0
          ? "HTTP/1.1 keep-alive connections on " + std::to_string(options.http_threads) +
                (options.http_threads == 1 ? " thread" : " threads") + ", one deposit per request"
          : "connections, batch " + std::to_string(options.batch);
  std::printf("tally-load: %u %s, %s, %.1f s (%s accounts opened in %.1f s%s)\n",
              options.connections, shape.c_str(), describe_loop(options).c_str(), report.seconds,
              grouped(options.accounts).c_str(), report.open_seconds,
              options.http_port != 0 ? " over HTTP" : "");
  std::printf(
      "throughput: %s commands/s acknowledged (%s requests/s); %s commands in all\n",
      grouped(static_cast<uint64_t>(static_cast<double>(tally.commands) / report.seconds)).c_str(),
      grouped(static_cast<uint64_t>(static_cast<double>(tally.requests) / report.seconds)).c_str(),
      grouped(tally.commands).c_str());
  print_latency_line("latency per request", latency);
  std::printf("results:");
  for (size_t code = 0; code < tally.results_by_code.size(); ++code) {
    if (tally.results_by_code[code] != 0) {
      std::printf(" %s %s;", code_name(code).c_str(), grouped(tally.results_by_code[code]).c_str());
    }
  }
  std::printf(" refused requests %s\n", grouped(tally.refused_requests).c_str());
  if (options.http_port != 0) {
    std::printf("http errors (not 2xx): %s", grouped(tally.http_errors).c_str());
    if (!tally.first_http_error.empty()) {
      std::printf("; the first: %s", tally.first_http_error.c_str());
    }
    std::printf("\n");
  }
  if (options.read_weight > 0) {
    const QueryTally& queries = tally.queries;
    std::printf(
        "queries: %s queries/s; %s answered (%s account, %s history)\n",
        grouped(static_cast<uint64_t>(static_cast<double>(queries.answered) / report.seconds))
            .c_str(),
        grouped(queries.answered).c_str(), grouped(queries.account_queries).c_str(),
        grouped(queries.history_queries).c_str());
    print_latency_line("latency per query", queries.latency);
    std::printf("query errors: %s", grouped(queries.errors).c_str());
    for (size_t code = 0; code < queries.errors_by_code.size(); ++code) {
      if (queries.errors_by_code[code] != 0) {
        std::printf("; %s %s", code_name(code).c_str(),
                    grouped(queries.errors_by_code[code]).c_str());
      }
    }
    std::printf("; unexpected answers %s\n", grouped(queries.unexpected_answers).c_str());
  }
  if (tally.reconnects != 0 || tally.late_sends != 0) {
    std::printf("reconnects: %s; late sends (open loop): %s\n", grouped(tally.reconnects).c_str(),
                grouped(tally.late_sends).c_str());
  }
  if (report.echo) {
    const LatencyHistogram& echo = *report.echo;
    std::printf("bare TCP echo (ms): p50 %.3f  p90 %.3f  p99 %.3f; tallyd p50 / echo p50 = %.2f\n",
                milliseconds(echo.value_at(0.5)), milliseconds(echo.value_at(0.9)),
                milliseconds(echo.value_at(0.99)),
                static_cast<double>(latency.value_at(0.5)) /
                    static_cast<double>(std::max<uint64_t>(echo.value_at(0.5), 1)));
  }
  if (report.sync) {
    const LatencyHistogram& sync = *report.sync;
    std::printf("disk floor, append of %u B + fdatasync (ms): p50 %.3f  p90 %.3f  p99 %.3f",
                kSyncBaselineAppendBytes, milliseconds(sync.value_at(0.5)),
                milliseconds(sync.value_at(0.9)), milliseconds(sync.value_at(0.99)));
    if (report.echo) {
      const uint64_t floor = report.echo->value_at(0.5) + sync.value_at(0.5);
      std::printf("; tallyd p50 / (echo p50 + disk floor p50) = %.2f",
                  static_cast<double>(latency.value_at(0.5)) /
                      static_cast<double>(std::max<uint64_t>(floor, 1)));
    }
    std::printf("\n");
  }
  if (report.check.performed) {
    std::printf("check: %s (%s)\n", report.check.passed ? "server totals match" : "MISMATCH",
                report.check.detail.c_str());
  }
  if (const char* outcome = reserve_outcome_name(report.reserve.outcome)) {
    std::printf("reserve check: %s (%s)\n",
                report.reserve.outcome == ReserveCheck::Outcome::kPassed   ? "ok"
                : report.reserve.outcome == ReserveCheck::Outcome::kFailed ? "MISMATCH"
                                                                           : outcome,
                report.reserve.detail.c_str());
  }
  if (!tally.failure.empty()) {
    std::printf("failure: %s\n", tally.failure.c_str());
  }
}

void print_json(const LoadReport& report) {
  const LoadOptions& options = report.options;
  const WorkerTally& tally = report.tally;
  const LatencyHistogram& latency = tally.latency;
  std::printf("{\"protocol\":\"%s\",", options.http_port != 0 ? "http" : "binary");
  std::printf(
      "\"connections\":%u,\"batch\":%u,\"pipeline\":%u,\"rate\":%.0f,\"read_weight\":%.4g,"
      "\"seconds\":%.3f,\"open_seconds\":%.3f,",
      options.connections, options.batch, options.pipeline, options.rate, options.read_weight,
      report.seconds, report.open_seconds);
  std::printf("\"commands\":%llu,\"requests\":%llu,\"commands_per_second\":%.0f,",
              static_cast<unsigned long long>(tally.commands),
              static_cast<unsigned long long>(tally.requests),
              static_cast<double>(tally.commands) / report.seconds);
  print_latency_json("latency_ns", latency);
  std::printf("\"results\":{");
  const char* separator = "";
  for (size_t code = 0; code < tally.results_by_code.size(); ++code) {
    if (tally.results_by_code[code] != 0) {
      std::printf("%s\"%s\":%llu", separator, code_name(code).c_str(),
                  static_cast<unsigned long long>(tally.results_by_code[code]));
      separator = ",";
    }
  }
  std::printf("},\"refused_requests\":%llu,\"reconnects\":%llu,\"late_sends\":%llu,",
              static_cast<unsigned long long>(tally.refused_requests),
              static_cast<unsigned long long>(tally.reconnects),
              static_cast<unsigned long long>(tally.late_sends));
  std::printf(
      "\"http_errors\":%llu,\"first_http_error\":%s,",
      static_cast<unsigned long long>(tally.http_errors),
      tally.first_http_error.empty() ? "null" : tools::json_string(tally.first_http_error).c_str());
  // Queries, after every command figure: flat keys, prefixed, so none repeats an earlier one.
  const QueryTally& queries = tally.queries;
  std::printf(
      "\"queries_answered\":%llu,\"queries_per_second\":%.0f,\"account_queries\":%llu,"
      "\"history_queries\":%llu,",
      static_cast<unsigned long long>(queries.answered),
      static_cast<double>(queries.answered) / report.seconds,
      static_cast<unsigned long long>(queries.account_queries),
      static_cast<unsigned long long>(queries.history_queries));
  print_latency_json("query_latency_ns", queries.latency);
  std::printf("\"query_errors\":%llu,\"query_errors_by_code\":{",
              static_cast<unsigned long long>(queries.errors));
  separator = "";
  for (size_t code = 0; code < queries.errors_by_code.size(); ++code) {
    if (queries.errors_by_code[code] != 0) {
      std::printf("%s\"%s\":%llu", separator, code_name(code).c_str(),
                  static_cast<unsigned long long>(queries.errors_by_code[code]));
      separator = ",";
    }
  }
  std::printf("},\"query_unexpected_answers\":%llu,",
              static_cast<unsigned long long>(queries.unexpected_answers));
  if (report.echo) {
    std::printf("\"echo_latency_ns\":{\"p50\":%llu,\"p90\":%llu,\"p99\":%llu},",
                static_cast<unsigned long long>(report.echo->value_at(0.5)),
                static_cast<unsigned long long>(report.echo->value_at(0.9)),
                static_cast<unsigned long long>(report.echo->value_at(0.99)));
  }
  if (report.sync) {
    std::printf("\"sync_latency_ns\":{\"p50\":%llu,\"p90\":%llu,\"p99\":%llu},",
                static_cast<unsigned long long>(report.sync->value_at(0.5)),
                static_cast<unsigned long long>(report.sync->value_at(0.9)),
                static_cast<unsigned long long>(report.sync->value_at(0.99)));
  }
  const char* reserve = reserve_outcome_name(report.reserve.outcome);
  std::printf(
      "\"check\":%s,\"check_detail\":%s,\"reserve_check\":%s,\"reserve_check_detail\":%s,"
      "\"failure\":%s}\n",
      !report.check.performed ? "null" : (report.check.passed ? "\"passed\"" : "\"failed\""),
      tools::json_string(report.check.detail).c_str(),
      reserve == nullptr ? "null" : tools::json_string(reserve).c_str(),
      tools::json_string(report.reserve.detail).c_str(),
      tally.failure.empty() ? "null" : tools::json_string(tally.failure).c_str());
}

}  // namespace tally::load
