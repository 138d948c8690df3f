#include "net/http/http_answers.h"

#include <algorithm>

#include <boost/json.hpp>

#include "engine/base/id_text.h"
#include "engine/wire/amount_text.h"
#include "engine/wire/wire_decoder.h"
#include "engine/wire/wire_int128.h"

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
  return id == nullptr || (id->low() == 0 && id->high() == 0) ? "" : hex_of(to_id128(id));
}

// A transaction id as the client gave it, or its hex if it gave none (or it predates the text).
std::string transaction_of(const flatbuffers::String* text, const protocol::Uint128* id) {
  return text != nullptr && text->size() > 0 ? text->str() : hex_id(id);
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
      if (const std::string id = transaction_of(entry->transaction_text(), entry->transaction_id());
          !id.empty()) {
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

// A 128-bit sum as a JSON string of minor units (JSON numbers lose precision past 2^53), with
// its decimal beside it under `name`Decimal.
void add_wide(json::object& body, std::string_view name, const protocol::Int128* value,
              std::string_view currency) {
  const WideSum sum = value == nullptr ? 0 : from_wire_int128(*value);
  body[name] = wide_to_string(sum);
  body[std::string(name) + "Decimal"] = format_wide_amount(sum, currency_minor_units(currency));
}

json::object event_json(const protocol::Event& event) {
  json::object line;
  line["sequence"] = event.sequence();
  line["occurredAt"] = iso_time(event.timestamp_ns());
  line["eventType"] = protocol::EnumNameEventType(event.type());
  line["accountId"] = text_of(event.account_id());
  if (event.type() == EventType::CommandRejected) {
    line["reason"] = protocol::EnumNameResultCode(event.reason());
    line["command"] = protocol::EnumNameCommandType(event.command_type());
  }
  if (event.counterparty_id() != nullptr && event.counterparty_id()->size() > 0) {
    line["counterpartyId"] = event.counterparty_id()->str();
  }
  line["amount"] = event.amount();
  line["balance"] = event.balance();
  line["version"] = event.version();
  if (const std::string id = transaction_of(event.transaction_text(), event.transaction_id());
      !id.empty()) {
    line["transactionId"] = id;
  }
  if (event.currency() != nullptr && event.currency()->size() > 0) {
    line["currency"] = event.currency()->str();
  }
  if (event.text() != nullptr && event.text()->size() > 0) {
    line["reasonText"] = event.text()->str();
  }
  return line;
}

json::array events_json(const flatbuffers::Vector<flatbuffers::Offset<protocol::Event>>* events) {
  json::array list;
  if (events != nullptr) {
    for (const protocol::Event* event : *events) {
      list.push_back(event_json(*event));
    }
  }
  return list;
}

// The answers of the queries beyond account, balance and history.
HttpAnswer other_query_answer(const protocol::Response& response) {
  json::object body;
  switch (response.body_type()) {
    case protocol::ResponseBody::AccountListResult: {
      const auto& list = *response.body_as_AccountListResult();
      json::array accounts;
      if (list.accounts() != nullptr) {
        for (const protocol::AccountDetails* account : *list.accounts()) {
          accounts.push_back(account_json(*account));
        }
      }
      body["accounts"] = std::move(accounts);
      body["nextCursor"] = list.next_cursor();
      body["total"] = list.total();
      break;
    }
    case protocol::ResponseBody::EventTrailResult: {
      const auto& trail = *response.body_as_EventTrailResult();
      body["events"] = events_json(trail.events());
      body["nextCursor"] = trail.next_cursor();
      break;
    }
    case protocol::ResponseBody::TransactionSearchResult: {
      const auto& found = *response.body_as_TransactionSearchResult();
      body["events"] = events_json(found.events());
      body["nextCursor"] = found.next_cursor();
      body["scanned"] = found.scanned();
      break;
    }
    case protocol::ResponseBody::ReserveResult: {
      json::array currencies;
      const auto* list = response.body_as_ReserveResult()->currencies();
      for (size_t index = 0; list != nullptr && index < list->size(); ++index) {
        const protocol::CurrencyReserve& reserve =
            *list->Get(static_cast<flatbuffers::uoffset_t>(index));
        json::object line;
        const std::string currency = text_of(reserve.currency());
        line["currency"] = currency;
        add_wide(line, "totalBalance", reserve.total_balance(), currency);
        line["accounts"] = reserve.accounts();
        line["active"] = reserve.active();
        line["frozen"] = reserve.frozen();
        line["closed"] = reserve.closed();
        currencies.push_back(std::move(line));
      }
      body["currencies"] = std::move(currencies);
      break;
    }
    case protocol::ResponseBody::TopAccountsResult: {
      const auto& top = *response.body_as_TopAccountsResult();
      const std::string currency = text_of(top.currency());
      json::array accounts;
      if (top.accounts() != nullptr) {
        for (const protocol::AccountBalance* account : *top.accounts()) {
          accounts.push_back(
              json::object{{"accountId", text_of(account->account_id())},
                           {"ownerId", text_of(account->owner())},
                           {"balance", account->balance()},
                           {"balanceDecimal", decimal(account->balance(), currency)}});
        }
      }
      body["currency"] = currency;
      body["accounts"] = std::move(accounts);
      break;
    }
    case protocol::ResponseBody::AccountSummaryResult: {
      const auto& summary = *response.body_as_AccountSummaryResult();
      const std::string currency = text_of(summary.currency());
      body["accountId"] = text_of(summary.account_id());
      body["currency"] = currency;
      add_wide(body, "deposited", summary.deposited(), currency);
      body["deposits"] = summary.deposits();
      add_wide(body, "withdrawn", summary.withdrawn(), currency);
      body["withdrawals"] = summary.withdrawals();
      add_wide(body, "transferredIn", summary.transferred_in(), currency);
      body["transfersIn"] = summary.transfers_in();
      add_wide(body, "transferredOut", summary.transferred_out(), currency);
      body["transfersOut"] = summary.transfers_out();
      body["rejections"] = summary.rejections();
      body["firstActivityAt"] = iso_time(summary.first_activity_ns());
      body["lastActivityAt"] = iso_time(summary.last_activity_ns());
      break;
    }
    case protocol::ResponseBody::DailyBalancesResult: {
      const auto& daily = *response.body_as_DailyBalancesResult();
      const std::string currency = text_of(daily.currency());
      json::array days;
      if (daily.days() != nullptr) {
        for (const protocol::DailyBalance* day : *daily.days()) {
          days.push_back(json::object{
              {"date", iso_time(int64_t{day->day()} * 86'400'000'000'000).substr(0, 10)},
              {"balance", day->balance()},
              {"balanceDecimal", decimal(day->balance(), currency)}});
        }
      }
      body["accountId"] = text_of(daily.account_id());
      body["currency"] = currency;
      body["days"] = std::move(days);
      break;
    }
    case protocol::ResponseBody::BalanceAsOfResult: {
      const auto& as_of = *response.body_as_BalanceAsOfResult();
      body["accountId"] = text_of(as_of.account_id());
      body["existed"] = as_of.existed();
      body["balance"] = as_of.balance();
      body["version"] = as_of.version();
      body["sequence"] = as_of.sequence();
      body["occurredAt"] = iso_time(as_of.timestamp_ns());
      break;
    }
    default:
      return error_answer(ResultCode::Unavailable, "an answer of an unexpected type");
  }
  body["readSequence"] = response.read_sequence();
  return json_answer(200, body);
}

json::object result_json(const protocol::CommandResult& result) {
  json::object line;
  line["code"] = static_cast<int>(result.code());
  line["result"] = protocol::EnumNameResultCode(result.code());
  if (result.account_id() != nullptr) {
    line["accountId"] = result.account_id()->str();
  }
  line["sequence"] = result.sequence();
  line["balance"] = result.balance();
  line["version"] = result.version();
  line["replayed"] = result.replayed();
  return line;
}

// POST /api/batches: 200 with every command's result when all applied; else the status of the
// first refusal, with every result (in an atomic batch the others are LinkedCommandFailed).
HttpAnswer batch_answer(const protocol::CommandBatchResult& batch) {
  json::array results;
  unsigned status = 200;
  bool replayed = false;
  if (batch.results() != nullptr) {
    for (const protocol::CommandResult* result : *batch.results()) {
      results.push_back(result_json(*result));
      if (status == 200 && result->code() != ResultCode::Ok &&
          result->code() != ResultCode::LinkedCommandFailed) {
        status = status_of(result->code());
      }
      replayed = replayed || result->replayed();
    }
  }
  HttpAnswer answer = json_answer(status, json::object{{"results", std::move(results)}});
  answer.replayed = replayed;
  return answer;
}

HttpAnswer command_answer(const protocol::CommandBatchResult& batch, const EngineCall& call) {
  if (call.shape == AnswerShape::kBatch) {
    return batch_answer(batch);
  }
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
      return other_query_answer(response);
  }
}

std::optional<uint32_t> append_stream_events(std::string& out, const protocol::Response& response) {
  const auto append_event = [&out](std::string_view id, std::string_view type,
                                   const json::object& data) {
    if (!id.empty()) {
      out.append("id: ").append(id).append("\n");
    }
    out.append("event: ").append(type).append("\ndata: ");
    out.append(json::serialize(data)).append("\n\n");
  };
  if (const protocol::EventBatch* batch = response.body_as_EventBatch()) {
    // (events_nested_root() reads the vector without looking whether it is there.)
    const auto* list = batch->events() == nullptr ? nullptr : batch->events_nested_root();
    const auto* events = list == nullptr ? nullptr : list->events();
    if (events == nullptr || events->size() == 0) {
      json::object progress;
      progress["lastSequence"] = batch->last_sequence();
      progress["durableSequence"] = batch->durable_sequence();
      append_event(std::to_string(batch->last_sequence()), "progress", progress);
      return 0;
    }
    for (const protocol::Event* event : *events) {
      append_event(std::to_string(event->sequence()), protocol::EnumNameEventType(event->type()),
                   event_json(*event));
    }
    return events->size();
  }
  json::object end;
  if (const protocol::SubscriptionEnded* ended = response.body_as_SubscriptionEnded()) {
    end["code"] = protocol::EnumNameResultCode(ended->code());
    end["message"] = text_of(ended->message());
    end["lastSequence"] = ended->last_sequence();
  } else if (const protocol::Error* error = response.body_as_Error()) {
    end["code"] = protocol::EnumNameResultCode(error->code());
    end["message"] = text_of(error->message());
  }
  append_event("", "end", end);
  return std::nullopt;
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

HttpAnswer render_ready(const ProjectionReport& report, uint64_t recovered_sequence,
                        bool journal_writable) {
  bool ready = journal_writable;
  for (const ProjectorStatus& projector : report.projectors) {
    ready = ready && !projector.failed && projector.applied_sequence >= recovered_sequence;
  }
  HttpAnswer answer = render_projections(report, false);
  json::object body = json::parse(answer.body).as_object();
  body["ready"] = ready;
  body["journalWritable"] = journal_writable;
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
      {"tally_connections_refused_total",
       {stats.connections_refused, "Connections refused at max-connections."}},
      {"tally_connections_dropped_total",
       {stats.connections_dropped, "Connections dropped for breaking a limit."}},
      {"tally_snapshots_written_total", {stats.snapshots_written, "Ledger snapshots written."}},
      {"tally_journal_bytes_total",
       {stats.journal_bytes, "Journal record bytes made durable since start-up."}},
      {"tally_journal_syncs_total", {stats.journal_syncs, "Syncs of the journal since start-up."}},
      {"tally_subscription_events_sent_total",
       {stats.subscription_events_sent, "Events sent to subscribers since start-up."}},
      {"tally_subscription_batches_sent_total",
       {stats.subscription_batches_sent, "Event batches sent to subscribers since start-up."}},
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
      {"tally_ingress_depth", {double(stats.ingress_depth), "Requests waiting in the ingress."}},
      {"tally_ring_backlog", {double(stats.ring_backlog), "Outcomes applied, not yet answered."}},
      {"tally_journal_lag_events", {double(stats.journal_lag), "Events applied, not yet durable."}},
      {"tally_durable_sequence", {double(stats.durable_sequence), "The last durable event."}},
      {"tally_subscriptions_open",
       {double(stats.subscriptions_open), "Event subscriptions open (binary and HTTP)."}},
      {"tally_journal_writable",
       {stats.journal_failed ? 0.0 : 1.0, "1 while the journal can be written; 0: stopping."}},
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

double seconds_of(uint64_t nanoseconds) {
  return static_cast<double>(nanoseconds) / 1e9;
}

// Each stage as a histogram (cumulative buckets, sum, count), and its percentiles as the
// server computed them from its finer buckets.
void latencies(MetricsText& metrics, const ServerStats& stats) {
  metrics.family("tally_stage_latency_seconds", "histogram",
                 "Latency of each stage of sampled requests (docs/protocol.md).");
  for (const StageLatency& stage : stats.stage_latencies) {
    const std::string label = "stage=\"" + label_value(stage.stage) + "\"";
    for (size_t bound = 0; bound < kLatencyBucketBoundsNs.size(); ++bound) {
      char le[32];
      std::snprintf(le, sizeof(le), "%g", seconds_of(kLatencyBucketBoundsNs[bound]));
      metrics.sample("tally_stage_latency_seconds_bucket", label + ",le=\"" + le + "\"",
                     static_cast<double>(stage.latency.at_most[bound]));
    }
    metrics.sample("tally_stage_latency_seconds_bucket", label + ",le=\"+Inf\"",
                   static_cast<double>(stage.latency.count));
    metrics.sample("tally_stage_latency_seconds_sum", label, seconds_of(stage.latency.sum_ns));
    metrics.sample("tally_stage_latency_seconds_count", label,
                   static_cast<double>(stage.latency.count));
  }
  metrics.family("tally_stage_latency_quantile_seconds", "gauge",
                 "Percentiles of each stage's latency, from the server's finer buckets.");
  for (const StageLatency& stage : stats.stage_latencies) {
    const std::string label = "stage=\"" + label_value(stage.stage) + "\"";
    const std::pair<const char*, uint64_t> quantiles[] = {{"0.5", stage.latency.p50_ns},
                                                          {"0.9", stage.latency.p90_ns},
                                                          {"0.99", stage.latency.p99_ns},
                                                          {"0.999", stage.latency.p999_ns},
                                                          {"1", stage.latency.max_ns}};
    for (const auto& [quantile, nanoseconds] : quantiles) {
      metrics.sample("tally_stage_latency_quantile_seconds",
                     label + ",quantile=\"" + quantile + "\"", seconds_of(nanoseconds));
    }
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

// Connections open and accepted, by protocol.
void connections(MetricsText& metrics, const ServerStats& stats, const HttpConnectionCounts& http) {
  const uint64_t http_open = std::min<uint64_t>(http.http_open, stats.connections_open);
  const uint64_t http_accepted = std::min(http.http_accepted, stats.connections_accepted);
  metrics.family("tally_connections_open", "gauge", "Connections open now, by protocol.");
  metrics.sample("tally_connections_open", "protocol=\"binary\"",
                 static_cast<double>(stats.connections_open - http_open));
  metrics.sample("tally_connections_open", "protocol=\"http\"", static_cast<double>(http_open));
  metrics.family("tally_connections_accepted_total", "counter",
                 "Connections accepted, by protocol.");
  metrics.sample("tally_connections_accepted_total", "protocol=\"binary\"",
                 static_cast<double>(stats.connections_accepted - http_accepted));
  metrics.sample("tally_connections_accepted_total", "protocol=\"http\"",
                 static_cast<double>(http_accepted));
}

HttpAnswer render_metrics(const ServerStats& stats, const ProjectionReport& report,
                          const HttpConnectionCounts& http) {
  MetricsText metrics;
  counters(metrics, stats);
  connections(metrics, stats, http);
  gauges(metrics, stats);
  latencies(metrics, stats);
  projections(metrics, report);
  HttpAnswer answer;
  answer.body = metrics.take();
  answer.content_type = "text/plain; version=0.0.4; charset=utf-8";
  return answer;
}

}  // namespace tally::net::http
