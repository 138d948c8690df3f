// The printers of printing.h. Each answer is printed by two halves, one for the JSON object
// and one for the aligned table, sharing the helpers at the top (tables, names, JSON fields).
#include "tools/tally/printing.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <utility>

#include "engine/wire/wire_decoder.h"
#include "engine/wire/wire_int128.h"
#include "tools/common/json.h"
#include "tools/tally/parsers.h"

namespace tally::cli {
namespace {

using tools::JsonObject;

// ---- Tables -------------------------------------------------------------------------------

// Rows of text printed in aligned columns, two spaces apart.
class TextTable {
 public:
  enum class Align { kLeft, kRight };

  explicit TextTable(std::vector<Align> alignments) : alignments_(std::move(alignments)) {}

  // One cell per column; missing cells are empty.
  void add_row(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }
  // Each row on its own line of standard output; no line ends in spaces.
  void print() const {
    const std::vector<size_t> widths = column_widths();
    for (const std::vector<std::string>& row : rows_) {
      std::printf("%s\n", line_of(row, widths).c_str());
    }
  }

 private:
  std::vector<size_t> column_widths() const {
    std::vector<size_t> widths(alignments_.size(), 0);
    for (const std::vector<std::string>& row : rows_) {
      for (size_t column = 0; column < row.size() && column < widths.size(); ++column) {
        widths[column] = std::max(widths[column], row[column].size());
      }
    }
    return widths;
  }

  std::string line_of(const std::vector<std::string>& row,
                      const std::vector<size_t>& widths) const {
    std::string line;
    for (size_t column = 0; column < widths.size(); ++column) {
      const std::string cell = column < row.size() ? row[column] : std::string();
      const std::string padding(widths[column] - cell.size(), ' ');
      if (column > 0) {
        line += "  ";
      }
      line += alignments_[column] == Align::kRight ? padding + cell : cell + padding;
    }
    line.erase(line.find_last_not_of(' ') + 1);  // an empty last cell leaves the gap before it
    return line;
  }

  std::vector<Align> alignments_;
  std::vector<std::vector<std::string>> rows_;
};

using Align = TextTable::Align;

// A table of two left-aligned columns: "name  value" lines.
TextTable name_value_table() {
  return TextTable({Align::kLeft, Align::kLeft});
}

// ---- Names and values of answers ----------------------------------------------------------

std::string name_or_number(const char* name, unsigned number) {
  return name != nullptr && *name != '\0' ? std::string(name) : std::to_string(number);
}

std::string event_type_name(EventType type) {
  return name_or_number(protocol::EnumNameEventType(type), static_cast<unsigned>(type));
}

std::string command_type_name(protocol::CommandType type) {
  return name_or_number(protocol::EnumNameCommandType(type), static_cast<unsigned>(type));
}

std::string account_type_name(AccountType type) {
  return name_or_number(protocol::EnumNameAccountType(type), static_cast<unsigned>(type));
}

std::string account_status_name(AccountStatus status) {
  return name_or_number(protocol::EnumNameAccountStatus(status), static_cast<unsigned>(status));
}

WideSum wide_of(const protocol::Int128* value) {
  return value == nullptr ? WideSum{0} : from_wire_int128(*value);
}

// A transaction id as hex without leading zeros; empty when there is none.
std::string transaction_id_text(const protocol::Uint128* id) {
  const Id128 value = to_id128(id);
  return value.is_zero() ? std::string() : to_short_hex(value);
}

// RFC 3339 UTC, or "-" for 0 (never).
std::string time_text(int64_t timestamp_ns) {
  return timestamp_ns == 0 ? "-" : format_time(timestamp_ns);
}

// ---- JSON ---------------------------------------------------------------------------------

JsonObject answer_object(std::string_view query, uint64_t read_sequence) {
  JsonObject object;
  object.add_text("query", query).add_unsigned("read_sequence", read_sequence);
  return object;
}

void add_amount(JsonObject& object, std::string_view name, int64_t minor_units,
                size_t decimal_places) {
  object.add_signed(std::string(name) + "_minor", minor_units)
      .add_text(name, format_amount(minor_units, decimal_places));
}

void add_wide_amount(JsonObject& object, std::string_view name, WideSum minor_units,
                     size_t decimal_places) {
  // A JSON number has no size limit; the digits are the integer whatever its size.
  object.add_raw(std::string(name) + "_minor", wide_to_string(minor_units))
      .add_text(name, format_wide_amount(minor_units, decimal_places));
}

void add_time(JsonObject& object, std::string_view name, int64_t timestamp_ns) {
  object.add_signed(std::string(name) + "_ns", timestamp_ns);
  if (timestamp_ns == 0) {
    object.add_raw(name, "null");
  } else {
    object.add_text(name, format_time(timestamp_ns));
  }
}

void add_bool(JsonObject& object, std::string_view name, bool value) {
  object.add_raw(name, value ? "true" : "false");
}

// `objects` (each already JSON) as an array.
std::string json_array(const std::vector<std::string>& objects) {
  std::string array = "[";
  for (const std::string& object : objects) {
    if (array.size() > 1) {
      array += ',';
    }
    array += object;
  }
  return array + "]";
}

// The array of `to_json(item)` for every item of an answer's vector (none if it is missing).
template <typename Items, typename ToJson>
std::string json_array_of(const Items* items, ToJson to_json) {
  std::vector<std::string> objects;
  if (items != nullptr) {
    for (const auto* item : *items) {
      objects.push_back(to_json(*item));
    }
  }
  return json_array(objects);
}

// `add_row(item)` for every item of an answer's vector (none if it is missing).
template <typename Items, typename AddRow>
void for_each_item(const Items* items, AddRow add_row) {
  if (items != nullptr) {
    for (const auto* item : *items) {
      add_row(*item);
    }
  }
}

void print_json_line(const JsonObject& object) {
  std::printf("%s\n", object.str().c_str());
}

// A page that stopped before the end: "next: --cursor N" (nothing when next_cursor is 0).
void print_next_cursor(uint64_t next_cursor) {
  if (next_cursor != 0) {
    std::printf("next: --cursor %llu\n", static_cast<unsigned long long>(next_cursor));
  }
}

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

JsonObject stats_json(const net::ServerStats& stats, const net::ServerHello& server) {
  JsonObject object;
  for (const auto& [name, value] : counters_of(stats)) {
    object.add_raw(name, value);  // every counter is a plain integer
  }
  object.add_raw("rejections_by_reason", rejections_json(stats));
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

void add_limit_rows(TextTable& table, const net::ServerLimits& limits) {
  table.add_row({"max_batch_commands", std::to_string(limits.batch_commands_max), "limit"});
  table.add_row({"max_frame_bytes", std::to_string(limits.frame_bytes_max), "limit"});
  table.add_row({"max_requests_in_flight", std::to_string(limits.requests_in_flight_max), "limit"});
  table.add_row({"max_connections", std::to_string(limits.connections_max), "limit"});
  table.add_row(
      {"idempotency_window_commands", std::to_string(limits.idempotency_window_commands), "limit"});
}

// ---- Projections --------------------------------------------------------------------------

std::string projector_json(const net::ProjectorReport& projector) {
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
  return object.str();
}

JsonObject projections_json(const net::ProjectionReport& report, bool rebuild_started) {
  std::vector<std::string> projectors;
  for (const net::ProjectorReport& projector : report.projectors) {
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

std::vector<std::string> projector_row(const net::ProjectorReport& projector) {
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

// ---- Accounts -----------------------------------------------------------------------------

std::string details_json(const protocol::AccountDetails& account) {
  const std::string currency = text_of(account.currency());
  const size_t places = currency_minor_units(currency);
  JsonObject object;
  object.add_text("account_id", text_of(account.account_id()))
      .add_text("owner", text_of(account.owner()))
      .add_text("type", account_type_name(account.account_type()))
      .add_text("currency", currency)
      .add_text("status", account_status_name(account.status()));
  add_amount(object, "balance", account.balance(), places);
  add_amount(object, "overdraft_limit", account.overdraft_limit(), places);
  object.add_unsigned("version", account.version())
      .add_unsigned("opened_sequence", account.opened_sequence());
  add_time(object, "created", account.created_ns());
  add_time(object, "updated", account.updated_ns());
  object.add_text("freeze_reason", text_of(account.freeze_reason()));
  return object.str();
}

TextTable details_table(const protocol::AccountDetails& account) {
  const size_t places = currency_minor_units(text_of(account.currency()));
  TextTable table = name_value_table();
  table.add_row({"account", text_of(account.account_id())});
  table.add_row({"owner", text_of(account.owner())});
  table.add_row({"type", account_type_name(account.account_type())});
  table.add_row({"currency", text_of(account.currency())});
  table.add_row({"status", account_status_name(account.status())});
  if (account.status() == AccountStatus::Frozen) {
    table.add_row({"freeze_reason", text_of(account.freeze_reason())});
  }
  table.add_row({"balance", format_amount(account.balance(), places)});
  table.add_row({"overdraft_limit", format_amount(account.overdraft_limit(), places)});
  table.add_row({"version", std::to_string(account.version())});
  table.add_row({"opened_sequence", std::to_string(account.opened_sequence())});
  table.add_row({"created", time_text(account.created_ns())});
  table.add_row({"updated", time_text(account.updated_ns())});
  return table;
}

JsonObject balance_json(const protocol::BalanceResult& result, uint64_t read_sequence) {
  const std::string currency = text_of(result.currency());
  JsonObject object = answer_object("balance", read_sequence);
  object.add_text("account_id", text_of(result.account_id())).add_text("currency", currency);
  add_amount(object, "balance", result.balance(), currency_minor_units(currency));
  object.add_unsigned("version", result.version())
      .add_text("status", account_status_name(result.status()));
  return object;
}

std::vector<std::string> account_list_row(const protocol::AccountDetails& account) {
  const std::string currency = text_of(account.currency());
  return {text_of(account.account_id()),
          text_of(account.owner()),
          account_type_name(account.account_type()),
          currency,
          account_status_name(account.status()),
          format_amount(account.balance(), currency_minor_units(currency)),
          std::to_string(account.version())};
}

std::string reserve_json(const protocol::CurrencyReserve& reserve) {
  const std::string currency = text_of(reserve.currency());
  JsonObject object;
  object.add_text("currency", currency);
  add_wide_amount(object, "total_balance", wide_of(reserve.total_balance()),
                  currency_minor_units(currency));
  object.add_unsigned("accounts", reserve.accounts())
      .add_unsigned("active", reserve.active())
      .add_unsigned("frozen", reserve.frozen())
      .add_unsigned("closed", reserve.closed());
  return object.str();
}

std::vector<std::string> reserve_row(const protocol::CurrencyReserve& reserve) {
  const std::string currency = text_of(reserve.currency());
  return {currency,
          format_wide_amount(wide_of(reserve.total_balance()), currency_minor_units(currency)),
          std::to_string(reserve.accounts()),
          std::to_string(reserve.active()),
          std::to_string(reserve.frozen()),
          std::to_string(reserve.closed())};
}

std::string ranked_json(uint64_t rank, const protocol::AccountBalance& account, size_t places) {
  JsonObject object;
  object.add_unsigned("rank", rank)
      .add_text("account_id", text_of(account.account_id()))
      .add_text("owner", text_of(account.owner()));
  add_amount(object, "balance", account.balance(), places);
  return object.str();
}

// One of an account's totals and how many entries made it.
struct Total {
  const char* name;
  const protocol::Int128* amount;
  const char* count_name;
  uint64_t count;
};

std::array<Total, 4> totals_of(const protocol::AccountSummaryResult& result) {
  return {{{"deposited", result.deposited(), "deposits", result.deposits()},
           {"withdrawn", result.withdrawn(), "withdrawals", result.withdrawals()},
           {"transferred_in", result.transferred_in(), "transfers_in", result.transfers_in()},
           {"transferred_out", result.transferred_out(), "transfers_out", result.transfers_out()}}};
}

JsonObject summary_json(const protocol::AccountSummaryResult& result, uint64_t read_sequence) {
  const std::string currency = text_of(result.currency());
  const size_t places = currency_minor_units(currency);
  JsonObject object = answer_object("summary", read_sequence);
  object.add_text("account_id", text_of(result.account_id())).add_text("currency", currency);
  for (const Total& total : totals_of(result)) {
    add_wide_amount(object, total.name, wide_of(total.amount), places);
    object.add_unsigned(total.count_name, total.count);
  }
  object.add_unsigned("rejections", result.rejections());
  add_time(object, "first_activity", result.first_activity_ns());
  add_time(object, "last_activity", result.last_activity_ns());
  return object;
}

TextTable summary_table(const protocol::AccountSummaryResult& result) {
  const std::string currency = text_of(result.currency());
  const size_t places = currency_minor_units(currency);
  TextTable table = name_value_table();
  table.add_row({"account", text_of(result.account_id())});
  table.add_row({"currency", currency});
  for (const Total& total : totals_of(result)) {
    table.add_row({total.name, format_wide_amount(wide_of(total.amount), places)});
    table.add_row({total.count_name, std::to_string(total.count)});
  }
  table.add_row({"rejections", std::to_string(result.rejections())});
  table.add_row({"first_activity", time_text(result.first_activity_ns())});
  table.add_row({"last_activity", time_text(result.last_activity_ns())});
  return table;
}

// ---- Events and statements ----------------------------------------------------------------

// The currency of `event`'s amount and balance, which are its account's: an opening names it;
// otherwise that of its account, or of the other side of a transfer that was applied (the two
// have the same currency; a refused one may not). Empty if not known.
std::string currency_for(const protocol::Event& event, const AccountCurrencies& currencies) {
  const std::string own = text_of(event.currency());
  if (event.type() == EventType::AccountOpened && !own.empty()) {
    return own;
  }
  const std::string account = text_of(event.account_id());
  if (currencies.knows(account) || event.type() != EventType::Transferred) {
    return currencies.currency_of(account);
  }
  return currencies.currency_of(text_of(event.counterparty_id()));
}

// The currency of `event`'s counterparty balance: the other side's own. Empty if not known or
// if there is no other side.
std::string counterparty_currency_for(const protocol::Event& event,
                                      const AccountCurrencies& currencies) {
  const std::string counterparty = text_of(event.counterparty_id());
  if (counterparty.empty() || currencies.knows(counterparty) ||
      event.type() != EventType::Transferred) {
    return currencies.currency_of(counterparty);
  }
  return currency_for(event, currencies);
}

bool moves_money(EventType type) {
  return type == EventType::Deposited || type == EventType::Withdrawn ||
         type == EventType::Transferred;
}

// Every field of `event`, each amount in the currency of the account it belongs to: "currency"
// (of the amount, the balance and an opening's overdraft: the event's account) and
// "counterparty_currency" (of the counterparty's balance). On the wire only an opening carries
// a currency; the others come from `currencies`.
std::string event_json(const protocol::Event& event, const AccountCurrencies& currencies) {
  const std::string currency = currency_for(event, currencies);
  const std::string counterparty_currency = counterparty_currency_for(event, currencies);
  const size_t places = currency_minor_units(currency);
  JsonObject object;
  object.add_unsigned("sequence", event.sequence());
  add_time(object, "timestamp", event.timestamp_ns());
  object.add_text("type", event_type_name(event.type()))
      .add_text("command", command_type_name(event.command_type()))
      .add_unsigned("command_index", event.command_index())
      .add_unsigned("code", static_cast<uint64_t>(event.reason()))
      .add_text("result", result_code_text(event.reason()))
      .add_text("request_id", to_hex(to_id128(event.request_id())))
      .add_text("account_id", text_of(event.account_id()))
      .add_text("counterparty_id", text_of(event.counterparty_id()));
  add_amount(object, "amount", event.amount(), places);
  add_amount(object, "balance", event.balance(), places);
  object.add_unsigned("version", event.version());
  add_amount(object, "counterparty_balance", event.counterparty_balance(),
             currency_minor_units(counterparty_currency));
  object.add_unsigned("counterparty_version", event.counterparty_version())
      .add_text("transaction_id", transaction_id_text(event.transaction_id()))
      .add_text("owner", text_of(event.owner()))
      .add_text("account_type", account_type_name(event.account_type()))
      .add_text("currency", currency)
      .add_text("counterparty_currency", counterparty_currency);
  add_amount(object, "overdraft_limit", event.overdraft_limit(), places);
  object.add_text("text", text_of(event.text()));
  return object.str();
}

// The events of a trail or a search as a JSON array.
template <typename Events>
std::string events_json(const Events* events, const AccountCurrencies& currencies) {
  return json_array_of(events, [&currencies](const protocol::Event& event) {
    return event_json(event, currencies);
  });
}

// What the trail's text adds after the numbers: who opened it and how, why it was frozen.
std::string event_detail(const protocol::Event& event, size_t places) {
  switch (event.type()) {
    case EventType::AccountOpened:
      return account_type_name(event.account_type()) + " " + text_of(event.currency()) +
             ", overdraft " + format_amount(event.overdraft_limit(), places) + ", owner " +
             text_of(event.owner());
    case EventType::AccountFrozen:
      return text_of(event.text());
    default:
      return "";
  }
}

// One row of `account_id`'s trail: the event with that account's own balance and version
// after it (it may be the receiving side of a transfer, applied or refused), in its currency.
// The amount is in the currency of the event's account; a refused transfer between two
// currencies says which.
std::vector<std::string> trail_row(const protocol::Event& event, std::string_view account_id,
                                   const AccountCurrencies& currencies) {
  const bool other_side =
      text_of(event.account_id()) != account_id && text_of(event.counterparty_id()) == account_id;
  const int64_t balance = other_side ? event.counterparty_balance() : event.balance();
  const uint64_t version = other_side ? event.counterparty_version() : event.version();
  const std::string own_currency = currencies.currency_of(account_id);
  const std::string amount_currency = currency_for(event, currencies);
  const bool foreign_amount = !amount_currency.empty() && amount_currency != own_currency;
  const size_t amount_places =
      currency_minor_units(amount_currency.empty() ? own_currency : amount_currency);
  const size_t places = currency_minor_units(own_currency);
  const bool has_amount = moves_money(event.type()) || event.amount() != 0;
  return {std::to_string(event.sequence()),
          time_text(event.timestamp_ns()),
          event_type_name(event.type()),
          command_type_name(event.command_type()),
          result_code_text(event.reason()),
          text_of(event.account_id()),
          text_of(event.counterparty_id()),
          has_amount ? format_amount(event.amount(), amount_places) : "",
          format_amount(balance, places),
          std::to_string(version),
          foreign_amount ? "amount in " + amount_currency : event_detail(event, places)};
}

std::vector<std::string> search_row(const protocol::Event& event,
                                    const AccountCurrencies& currencies) {
  const size_t places = currency_minor_units(currency_for(event, currencies));
  return {std::to_string(event.sequence()),       time_text(event.timestamp_ns()),
          event_type_name(event.type()),          text_of(event.account_id()),
          text_of(event.counterparty_id()),       format_amount(event.amount(), places),
          format_amount(event.balance(), places), transaction_id_text(event.transaction_id())};
}

std::string statement_entry_json(const protocol::StatementEntry& entry, size_t places) {
  JsonObject object;
  object.add_unsigned("sequence", entry.sequence());
  add_time(object, "timestamp", entry.timestamp_ns());
  object.add_text("type", event_type_name(entry.type()));
  add_amount(object, "amount", entry.amount(), places);
  add_amount(object, "balance", entry.balance(), places);
  object.add_text("counterparty_id", text_of(entry.counterparty_id()))
      .add_text("transaction_id", transaction_id_text(entry.transaction_id()));
  return object.str();
}

std::vector<std::string> statement_row(const protocol::StatementEntry& entry, size_t places) {
  return {std::to_string(entry.sequence()),
          time_text(entry.timestamp_ns()),
          event_type_name(entry.type()),
          format_amount(entry.amount(), places),
          format_amount(entry.balance(), places),
          text_of(entry.counterparty_id()),
          transaction_id_text(entry.transaction_id())};
}

std::string daily_json(const protocol::DailyBalance& day, size_t places) {
  JsonObject object;
  object.add_text("date", format_date(day.day())).add_signed("day", day.day());
  add_amount(object, "balance", day.balance(), places);
  return object.str();
}

JsonObject balance_at_json(const protocol::BalanceAsOfResult& result,
                           const AccountCurrencies& currencies, uint64_t read_sequence) {
  const std::string account_id = text_of(result.account_id());
  JsonObject object = answer_object("balance-at", read_sequence);
  object.add_text("account_id", account_id)
      .add_text("currency", currencies.currency_of(account_id));
  add_bool(object, "existed", result.existed());
  add_amount(object, "balance", result.balance(), currencies.decimal_places_of(account_id));
  object.add_unsigned("version", result.version()).add_unsigned("sequence", result.sequence());
  add_time(object, "timestamp", result.timestamp_ns());
  return object;
}

TextTable balance_at_table(const protocol::BalanceAsOfResult& result,
                           const AccountCurrencies& currencies) {
  const std::string account_id = text_of(result.account_id());
  TextTable table = name_value_table();
  table.add_row({"account", account_id});
  table.add_row({"currency", currencies.currency_of(account_id)});
  table.add_row({"existed", result.existed() ? "yes" : "no (not open yet then)"});
  table.add_row(
      {"balance", format_amount(result.balance(), currencies.decimal_places_of(account_id))});
  if (result.existed()) {
    table.add_row({"version", std::to_string(result.version())});
    table.add_row({"sequence", std::to_string(result.sequence())});
    table.add_row({"time", time_text(result.timestamp_ns())});
  }
  return table;
}

}  // namespace

// ---- Shared -------------------------------------------------------------------------------

std::string text_of(const flatbuffers::String* text) {
  return text == nullptr ? std::string() : text->str();
}

void AccountCurrencies::add(std::string_view account_id, std::string_view currency) {
  if (!currency.empty()) {
    currencies_.insert_or_assign(std::string(account_id), std::string(currency));
  }
}

bool AccountCurrencies::knows(std::string_view account_id) const {
  return currencies_.find(account_id) != currencies_.end();
}

std::string AccountCurrencies::currency_of(std::string_view account_id) const {
  const auto found = currencies_.find(account_id);
  return found == currencies_.end() ? std::string() : found->second;
}

size_t AccountCurrencies::decimal_places_of(std::string_view account_id) const {
  const auto found = currencies_.find(account_id);
  return found == currencies_.end() ? kDefaultMinorUnits : currency_minor_units(found->second);
}

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
  for (const net::ProjectorReport& projector : report.projectors) {
    table.add_row(projector_row(projector));
  }
  table.print();
}

// ---- The account read model's answers -----------------------------------------------------

void print_account(const protocol::AccountDetails& account, uint64_t read_sequence, bool json) {
  if (json) {
    print_json_line(
        answer_object("account", read_sequence).add_raw("account", details_json(account)));
    return;
  }
  details_table(account).print();
}

void print_balance(const protocol::BalanceResult& result, uint64_t read_sequence, bool json) {
  if (json) {
    print_json_line(balance_json(result, read_sequence));
    return;
  }
  const std::string currency = text_of(result.currency());
  TextTable table({Align::kLeft, Align::kRight, Align::kLeft, Align::kRight, Align::kLeft});
  table.add_row({"account", "balance", "currency", "version", "status"});
  table.add_row({text_of(result.account_id()),
                 format_amount(result.balance(), currency_minor_units(currency)), currency,
                 std::to_string(result.version()), account_status_name(result.status())});
  table.print();
}

void print_accounts(const protocol::AccountListResult& result, uint64_t read_sequence, bool json) {
  if (json) {
    print_json_line(answer_object("accounts", read_sequence)
                        .add_raw("accounts", json_array_of(result.accounts(), details_json))
                        .add_unsigned("total", result.total())
                        .add_unsigned("next_cursor", result.next_cursor()));
    return;
  }
  TextTable table({Align::kLeft, Align::kLeft, Align::kLeft, Align::kLeft, Align::kLeft,
                   Align::kRight, Align::kRight});
  table.add_row({"account", "owner", "type", "currency", "status", "balance", "version"});
  for_each_item(result.accounts(), [&table](const protocol::AccountDetails& account) {
    table.add_row(account_list_row(account));
  });
  table.print();
  std::printf("total: %llu\n", static_cast<unsigned long long>(result.total()));
  print_next_cursor(result.next_cursor());
}

void print_reserve(const protocol::ReserveResult& result, uint64_t read_sequence, bool json) {
  if (json) {
    print_json_line(answer_object("reserve", read_sequence)
                        .add_raw("currencies", json_array_of(result.currencies(), reserve_json)));
    return;
  }
  TextTable table(
      {Align::kLeft, Align::kRight, Align::kRight, Align::kRight, Align::kRight, Align::kRight});
  table.add_row({"currency", "total_balance", "accounts", "active", "frozen", "closed"});
  for_each_item(result.currencies(), [&table](const protocol::CurrencyReserve& reserve) {
    table.add_row(reserve_row(reserve));
  });
  table.print();
}

void print_top(const protocol::TopAccountsResult& result, uint64_t read_sequence, bool json) {
  const std::string currency = text_of(result.currency());
  const size_t places = currency_minor_units(currency);
  uint64_t rank = 0;
  if (json) {
    const std::string accounts =
        json_array_of(result.accounts(), [&](const protocol::AccountBalance& account) {
          return ranked_json(++rank, account, places);
        });
    print_json_line(answer_object("top", read_sequence)
                        .add_text("currency", currency)
                        .add_raw("accounts", accounts));
    return;
  }
  TextTable table({Align::kRight, Align::kLeft, Align::kLeft, Align::kRight});
  table.add_row({"rank", "account", "owner", "balance"});
  for_each_item(result.accounts(), [&](const protocol::AccountBalance& account) {
    table.add_row({std::to_string(++rank), text_of(account.account_id()), text_of(account.owner()),
                   format_amount(account.balance(), places)});
  });
  table.print();
}

void print_summary(const protocol::AccountSummaryResult& result, uint64_t read_sequence,
                   bool json) {
  if (json) {
    print_json_line(summary_json(result, read_sequence));
    return;
  }
  summary_table(result).print();
}

// ---- The history read model's answers -----------------------------------------------------

bool currency_known_for(const protocol::Event& event, const AccountCurrencies& currencies) {
  return (event.type() == EventType::AccountOpened && event.currency() != nullptr &&
          event.currency()->size() > 0) ||
         currencies.knows(text_of(event.account_id())) ||
         currencies.knows(text_of(event.counterparty_id()));
}

void print_history(const protocol::HistoryResult& result, uint64_t read_sequence, bool json) {
  const std::string currency = text_of(result.currency());
  const size_t places = currency_minor_units(currency);
  if (json) {
    const std::string entries =
        json_array_of(result.entries(), [places](const protocol::StatementEntry& entry) {
          return statement_entry_json(entry, places);
        });
    print_json_line(answer_object("history", read_sequence)
                        .add_text("account_id", text_of(result.account_id()))
                        .add_text("currency", currency)
                        .add_raw("entries", entries)
                        .add_unsigned("next_cursor", result.next_cursor()));
    return;
  }
  TextTable table({Align::kRight, Align::kLeft, Align::kLeft, Align::kRight, Align::kRight,
                   Align::kLeft, Align::kLeft});
  table.add_row({"sequence", "time", "type", "amount", "balance", "counterparty", "transaction"});
  for_each_item(result.entries(), [&](const protocol::StatementEntry& entry) {
    table.add_row(statement_row(entry, places));
  });
  table.print();
  print_next_cursor(result.next_cursor());
}

void print_trail(const protocol::EventTrailResult& result, std::string_view account_id,
                 const AccountCurrencies& currencies, uint64_t read_sequence, bool json) {
  if (json) {
    print_json_line(answer_object("trail", read_sequence)
                        .add_text("account_id", account_id)
                        .add_text("currency", currencies.currency_of(account_id))
                        .add_raw("events", events_json(result.events(), currencies))
                        .add_unsigned("next_cursor", result.next_cursor()));
    return;
  }
  TextTable table({Align::kRight, Align::kLeft, Align::kLeft, Align::kLeft, Align::kLeft,
                   Align::kLeft, Align::kLeft, Align::kRight, Align::kRight, Align::kRight,
                   Align::kLeft});
  table.add_row({"sequence", "time", "event", "command", "result", "account", "counterparty",
                 "amount", "balance", "version", "detail"});
  for_each_item(result.events(), [&](const protocol::Event& event) {
    table.add_row(trail_row(event, account_id, currencies));
  });
  table.print();
  print_next_cursor(result.next_cursor());
}

void print_search(const protocol::TransactionSearchResult& result,
                  const AccountCurrencies& currencies, uint64_t read_sequence, bool json) {
  if (json) {
    print_json_line(answer_object("search", read_sequence)
                        .add_raw("events", events_json(result.events(), currencies))
                        .add_unsigned("scanned", result.scanned())
                        .add_unsigned("next_cursor", result.next_cursor()));
    return;
  }
  TextTable table({Align::kRight, Align::kLeft, Align::kLeft, Align::kLeft, Align::kLeft,
                   Align::kRight, Align::kRight, Align::kLeft});
  table.add_row(
      {"sequence", "time", "type", "account", "counterparty", "amount", "balance", "transaction"});
  for_each_item(result.events(), [&](const protocol::Event& event) {
    table.add_row(search_row(event, currencies));
  });
  table.print();
  print_next_cursor(result.next_cursor());
}

void print_daily(const protocol::DailyBalancesResult& result, uint64_t read_sequence, bool json) {
  const std::string currency = text_of(result.currency());
  const size_t places = currency_minor_units(currency);
  if (json) {
    const std::string days = json_array_of(
        result.days(),
        [places](const protocol::DailyBalance& day) { return daily_json(day, places); });
    print_json_line(answer_object("daily", read_sequence)
                        .add_text("account_id", text_of(result.account_id()))
                        .add_text("currency", currency)
                        .add_raw("days", days));
    return;
  }
  TextTable table({Align::kLeft, Align::kRight});
  table.add_row({"date", "balance"});
  for_each_item(result.days(), [&](const protocol::DailyBalance& day) {
    table.add_row({format_date(day.day()), format_amount(day.balance(), places)});
  });
  table.print();
}

void print_balance_at(const protocol::BalanceAsOfResult& result,
                      const AccountCurrencies& currencies, uint64_t read_sequence, bool json) {
  if (json) {
    print_json_line(balance_at_json(result, currencies, read_sequence));
    return;
  }
  balance_at_table(result, currencies).print();
}

}  // namespace tally::cli
