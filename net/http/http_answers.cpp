#include "net/http/http_answers.h"

#include <boost/json.hpp>

#include "engine/wire/amount_text.h"

namespace tally::net::http {
namespace {

namespace json = boost::json;

// An amount in the account's currency as a decimal string ("12.50" for 1250 EUR), beside the
// integer of minor units.
std::string decimal(int64_t minor_units, std::string_view currency) {
  return format_amount(minor_units, currency_minor_units(currency));
}

std::string text_of(const flatbuffers::String* text) {
  return text == nullptr ? std::string() : text->str();
}

const char* status_name(AccountStatus status) {
  switch (status) {
    case AccountStatus::Active:
      return "ACTIVE";
    case AccountStatus::Frozen:
      return "FROZEN";
    case AccountStatus::Closed:
      return "CLOSED";
  }
  return "UNKNOWN";
}

// Nanoseconds since the epoch as RFC 3339 UTC with milliseconds, as the NestJS service shows
// its times.
std::string iso_time(int64_t nanoseconds) {
  const int64_t milliseconds = nanoseconds / 1'000'000;
  std::time_t seconds = static_cast<std::time_t>(milliseconds / 1000);
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  char text[96];
  std::snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", parts.tm_year + 1900,
                parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec,
                static_cast<int>(milliseconds % 1000));
  return text;
}

std::string hex_id(const protocol::Uint128* id) {
  if (id == nullptr || (id->low() == 0 && id->high() == 0)) {
    return "";
  }
  char text[33];
  std::snprintf(text, sizeof(text), "%016llx%016llx", static_cast<unsigned long long>(id->high()),
                static_cast<unsigned long long>(id->low()));
  return text;
}

HttpAnswer json_answer(unsigned status, const json::value& body) {
  HttpAnswer answer;
  answer.status = status;
  answer.body = json::serialize(body);
  return answer;
}

HttpAnswer error_answer(ResultCode code, std::string_view message) {
  json::object body;
  body["code"] = static_cast<int>(code);
  body["error"] = protocol::EnumNameResultCode(code);
  body["message"] = message;
  return json_answer(status_of(code), body);
}

json::object account_json(const protocol::AccountDetails& account) {
  json::object body;
  body["accountId"] = text_of(account.account_id());
  body["ownerId"] = text_of(account.owner());
  body["type"] = account.account_type() == AccountType::Savings ? "SAVINGS" : "CHECKING";
  body["currency"] = text_of(account.currency());
  body["status"] = status_name(account.status());
  const std::string currency = text_of(account.currency());
  body["balance"] = account.balance();
  body["balanceDecimal"] = decimal(account.balance(), currency);
  body["overdraftLimit"] = account.overdraft_limit();
  body["overdraftLimitDecimal"] = decimal(account.overdraft_limit(), currency);
  body["version"] = account.version();
  body["createdAt"] = iso_time(account.created_ns());
  body["updatedAt"] = iso_time(account.updated_ns());
  body["openedSequence"] = account.opened_sequence();
  if (account.freeze_reason() != nullptr && account.freeze_reason()->size() > 0) {
    body["freezeReason"] = account.freeze_reason()->str();
  }
  return body;
}

const char* entry_type(EventType type, int64_t amount) {
  switch (type) {
    case EventType::AccountOpened:
      return "AccountCreated";
    case EventType::Deposited:
      return "MoneyDeposited";
    case EventType::Withdrawn:
      return "MoneyWithdrawn";
    case EventType::Transferred:
      return amount < 0 ? "TransferSent" : "TransferReceived";
    default:
      return protocol::EnumNameEventType(type);
  }
}

HttpAnswer history_answer(const protocol::HistoryResult& history, uint64_t read_sequence) {
  json::array entries;
  const std::string account = text_of(history.account_id());
  const std::string currency = text_of(history.currency());
  if (history.entries() != nullptr) {
    for (const protocol::StatementEntry* entry : *history.entries()) {
      json::object line;
      line["accountId"] = account;
      line["sequence"] = entry->sequence();
      line["eventType"] = entry_type(entry->type(), entry->amount());
      line["amount"] = entry->amount();
      line["amountDecimal"] = decimal(entry->amount(), currency);
      line["balance"] = entry->balance();
      line["balanceDecimal"] = decimal(entry->balance(), currency);
      line["currency"] = currency;
      if (const std::string id = hex_id(entry->transaction_id()); !id.empty()) {
        line["transactionId"] = id;
      }
      if (entry->counterparty_id() != nullptr && entry->counterparty_id()->size() > 0) {
        line["counterpartyId"] = entry->counterparty_id()->str();
      }
      line["occurredAt"] = iso_time(entry->timestamp_ns());
      entries.push_back(std::move(line));
    }
  }
  json::object body;
  body["accountId"] = account;
  body["currency"] = currency;
  body["entries"] = std::move(entries);
  body["nextCursor"] = history.next_cursor();
  body["readSequence"] = read_sequence;
  return json_answer(200, body);
}

HttpAnswer command_answer(const protocol::CommandBatchResult& batch, const EngineCall& call) {
  if (batch.results() == nullptr || batch.results()->size() != 1) {
    return error_answer(ResultCode::Unavailable, "the engine's answer has no single result");
  }
  const protocol::CommandResult& result = *batch.results()->Get(0);
  if (result.code() != ResultCode::Ok) {
    HttpAnswer answer =
        error_answer(result.code(), std::string("the command was rejected: ") +
                                        protocol::EnumNameResultCode(result.code()));
    answer.replayed = result.replayed();
    return answer;
  }
  json::object body;
  if (result.account_id() != nullptr) {
    body["accountId"] = result.account_id()->str();
  }
  body["sequence"] = result.sequence();
  body["balance"] = result.balance();
  body["version"] = result.version();
  if (!call.transaction_id.empty()) {
    body["transactionId"] = call.transaction_id;
  }
  body["replayed"] = result.replayed();
  HttpAnswer answer = json_answer(call.shape == AnswerShape::kOpened ? 201 : 200, body);
  answer.replayed = result.replayed();
  return answer;
}

}  // namespace

unsigned status_of(ResultCode code) {
  switch (code) {
    case ResultCode::Ok:
      return 200;
    case ResultCode::InvalidArgument:
    case ResultCode::InvalidAmount:
      return 400;
    case ResultCode::AccountNotFound:
      return 404;
    case ResultCode::AccountExists:
    case ResultCode::VersionConflict:
    case ResultCode::DuplicateTransaction:
    case ResultCode::RequestIdReused:
      return 409;
    case ResultCode::Unauthenticated:
      return 401;
    case ResultCode::PermissionDenied:
      return 403;
    case ResultCode::LimitExceeded:
      return 429;
    case ResultCode::Unavailable:
    case ResultCode::Timeout:
      return 503;
    default:
      return 422;  // every other business rejection
  }
}

HttpAnswer render_refusal(const HttpRefusal& refusal) {
  HttpAnswer answer = error_answer(refusal.code, refusal.message);
  answer.status = refusal.status;
  answer.allow = refusal.allow;
  return answer;
}

HttpAnswer render_response(const protocol::Response& response, const EngineCall& call) {
  switch (response.body_type()) {
    case protocol::ResponseBody::Error: {
      const protocol::Error* error = response.body_as_Error();
      return error_answer(error->code(), text_of(error->message()));
    }
    case protocol::ResponseBody::CommandBatchResult:
      return command_answer(*response.body_as_CommandBatchResult(), call);
    case protocol::ResponseBody::AccountResult: {
      json::object body = account_json(*response.body_as_AccountResult()->account());
      body["readSequence"] = response.read_sequence();
      return json_answer(200, body);
    }
    case protocol::ResponseBody::BalanceResult: {
      const protocol::BalanceResult& balance = *response.body_as_BalanceResult();
      json::object body;
      body["accountId"] = text_of(balance.account_id());
      body["currency"] = text_of(balance.currency());
      body["balance"] = balance.balance();
      body["balanceDecimal"] = decimal(balance.balance(), text_of(balance.currency()));
      body["version"] = balance.version();
      body["status"] = status_name(balance.status());
      body["readSequence"] = response.read_sequence();
      return json_answer(200, body);
    }
    case protocol::ResponseBody::HistoryResult:
      return history_answer(*response.body_as_HistoryResult(), response.read_sequence());
    default:
      return error_answer(ResultCode::Unavailable, "an answer of an unexpected type");
  }
}

HttpAnswer render_health() {
  return json_answer(200, json::object{{"status", "ok"}});
}

HttpAnswer render_projections(const ProjectionReport& report, bool rebuild_started) {
  json::array models;
  for (const ProjectorStatus& projector : report.projectors) {
    models.push_back(json::object{{"name", projector.name},
                                  {"appliedSequence", projector.applied_sequence},
                                  {"lag", projector.lag},
                                  {"eventsApplied", projector.events_applied},
                                  {"rebuilds", projector.rebuilds},
                                  {"failed", projector.failed}});
  }
  json::object body{{"durableSequence", report.durable_sequence}, {"projections", models}};
  if (rebuild_started) {
    body["rebuildStarted"] = true;
  }
  return json_answer(rebuild_started ? 202 : 200, body);
}

HttpAnswer render_ready(const ProjectionReport& report, uint64_t recovered_sequence) {
  bool ready = true;
  for (const ProjectorStatus& projector : report.projectors) {
    ready = ready && !projector.failed && projector.applied_sequence >= recovered_sequence;
  }
  HttpAnswer answer = render_projections(report, false);
  json::object body = json::parse(answer.body).as_object();
  body["ready"] = ready;
  body["recoveredSequence"] = recovered_sequence;
  return json_answer(ready ? 200 : 503, body);
}

HttpAnswer render_stats(const ServerStats& stats) {
  json::object body{{"uptimeMs", stats.uptime_ms},
                    {"requests", stats.requests},
                    {"commands", stats.commands},
                    {"rejections", stats.rejections},
                    {"replayedAnswers", stats.replayed_answers},
                    {"requestsRefused", stats.requests_refused},
                    {"requestsDenied", stats.requests_denied},
                    {"connectionsOpen", stats.connections_open},
                    {"connectionsAccepted", stats.connections_accepted},
                    {"durableSequence", stats.durable_sequence},
                    {"journalLag", stats.journal_lag},
                    {"memoryInUseBytes", stats.memory_in_use_bytes}};
  return json_answer(200, body);
}

}  // namespace tally::net::http

namespace tally::net::http {
namespace {

// One metric family: its HELP and TYPE lines, then its samples.
class MetricsText {
 public:
  void family(std::string_view name, std::string_view type, std::string_view help) {
    text_.append("# HELP ").append(name).append(" ").append(help).append("\n# TYPE ");
    text_.append(name).append(" ").append(type).append("\n");
  }
  void sample(std::string_view name, std::string_view labels, double value) {
    char number[64];
    std::snprintf(number, sizeof(number), "%.17g", value);
    text_.append(name);
    if (!labels.empty()) {
      text_.append("{").append(labels).append("}");
    }
    text_.append(" ").append(number).append("\n");
  }
  void single(std::string_view name, std::string_view type, std::string_view help, double value) {
    family(name, type, help);
    sample(name, "", value);
  }
  std::string take() { return std::move(text_); }

 private:
  std::string text_;
};

// A label value: Prometheus escapes backslash, quote and newline.
std::string label_value(std::string_view text) {
  std::string escaped;
  for (const char character : text) {
    if (character == '\\' || character == '"') {
      escaped += '\\';
      escaped += character;
    } else if (character == '\n') {
      escaped += "\\n";
    } else {
      escaped += character;
    }
  }
  return escaped;
}

void counters(MetricsText& metrics, const ServerStats& stats) {
  const std::pair<const char*, std::pair<uint64_t, const char*>> totals[] = {
      {"tally_requests_total", {stats.requests, "Command requests applied."}},
      {"tally_commands_total", {stats.commands, "Commands applied, rejections included."}},
      {"tally_rejections_total", {stats.rejections, "Commands rejected by the ledger's rules."}},
      {"tally_replayed_answers_total",
       {stats.replayed_answers, "Retries answered with their original outcome."}},
      {"tally_requests_refused_total",
       {stats.requests_refused, "Requests refused before the engine (bad input, limits)."}},
      {"tally_requests_denied_total",
       {stats.requests_denied,
        "Requests refused for their API key (401, 403, Unauthenticated, "
        "PermissionDenied)."}},
      {"tally_connections_accepted_total", {stats.connections_accepted, "Connections accepted."}},
      {"tally_connections_refused_total",
       {stats.connections_refused, "Connections refused at max-connections."}},
      {"tally_connections_dropped_total",
       {stats.connections_dropped, "Connections dropped for breaking a limit."}},
      {"tally_snapshots_written_total", {stats.snapshots_written, "Ledger snapshots written."}},
      {"tally_read_pauses_total", {stats.read_pauses, "Times a connection stopped reading."}},
      {"tally_memory_pauses_total",
       {stats.memory_pauses, "Times reading stopped for the memory budget."}},
  };
  for (const auto& [name, value] : totals) {
    metrics.single(name, "counter", value.second, static_cast<double>(value.first));
  }
  metrics.family("tally_rejections_by_reason_total", "counter", "Rejections by result code.");
  for (const auto& [code, count] : stats.rejections_by_reason) {
    metrics.sample("tally_rejections_by_reason_total",
                   "reason=\"" + std::string(protocol::EnumNameResultCode(code)) + "\"",
                   static_cast<double>(count));
  }
}

void gauges(MetricsText& metrics, const ServerStats& stats) {
  const std::pair<const char*, std::pair<double, const char*>> values[] = {
      {"tally_uptime_seconds",
       {static_cast<double>(stats.uptime_ms) / 1000.0, "Seconds since the server started."}},
      {"tally_connections_open", {double(stats.connections_open), "Connections open now."}},
      {"tally_ingress_depth", {double(stats.ingress_depth), "Requests waiting in the ingress."}},
      {"tally_ring_backlog", {double(stats.ring_backlog), "Outcomes applied, not yet answered."}},
      {"tally_journal_lag_events", {double(stats.journal_lag), "Events applied, not yet durable."}},
      {"tally_durable_sequence", {double(stats.durable_sequence), "The last durable event."}},
      {"tally_memory_budget_bytes", {double(stats.memory_budget_bytes), "The memory budget."}},
      {"tally_memory_in_use_bytes",
       {double(stats.memory_in_use_bytes), "Memory charged to the budget now."}},
      {"tally_memory_peak_bytes",
       {double(stats.memory_peak_bytes), "The most ever charged to the budget."}},
  };
  for (const auto& [name, value] : values) {
    metrics.single(name, "gauge", value.second, value.first);
  }
}

void latencies(MetricsText& metrics, const ServerStats& stats) {
  metrics.family("tally_stage_latency_seconds", "summary",
                 "Latency of each stage of sampled requests (docs/protocol.md).");
  for (const StageLatency& stage : stats.stage_latencies) {
    const std::string label = "stage=\"" + label_value(stage.stage) + "\"";
    const std::pair<const char*, uint64_t> quantiles[] = {{"0.5", stage.latency.p50_ns},
                                                          {"0.9", stage.latency.p90_ns},
                                                          {"0.99", stage.latency.p99_ns},
                                                          {"0.999", stage.latency.p999_ns}};
    for (const auto& [quantile, nanoseconds] : quantiles) {
      metrics.sample("tally_stage_latency_seconds", label + ",quantile=\"" + quantile + "\"",
                     static_cast<double>(nanoseconds) / 1e9);
    }
    metrics.sample("tally_stage_latency_seconds_count", label,
                   static_cast<double>(stage.latency.count));
  }
}

void projections(MetricsText& metrics, const ProjectionReport& report) {
  metrics.family("tally_projection_lag_events", "gauge",
                 "Durable events a read model has not applied yet.");
  for (const ProjectorStatus& projector : report.projectors) {
    metrics.sample("tally_projection_lag_events", "model=\"" + label_value(projector.name) + "\"",
                   static_cast<double>(projector.lag));
  }
  metrics.family("tally_projection_applied_sequence", "gauge",
                 "The last event a read model applied.");
  for (const ProjectorStatus& projector : report.projectors) {
    metrics.sample("tally_projection_applied_sequence",
                   "model=\"" + label_value(projector.name) + "\"",
                   static_cast<double>(projector.applied_sequence));
  }
}

}  // namespace

HttpAnswer render_metrics(const ServerStats& stats, const ProjectionReport& report) {
  MetricsText metrics;
  counters(metrics, stats);
  gauges(metrics, stats);
  latencies(metrics, stats);
  projections(metrics, report);
  HttpAnswer answer;
  answer.body = metrics.take();
  answer.content_type = "text/plain; version=0.0.4; charset=utf-8";
  return answer;
}

}  // namespace tally::net::http
