// The answers of the history read model (printing.h): a statement, an audit trail, a search,
// daily balances and a balance as of. Events carry no currency but an opening's: each amount
// takes that of the account it belongs to, from AccountCurrencies.
#include "tools/tally/printing.h"

#include <string>
#include <vector>

#include "engine/wire/wire_decoder.h"
#include "tools/tally/parsers.h"
#include "tools/tally/printing_support.h"

namespace tally::cli {
namespace {

using tools::JsonObject;

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
      .add_text("transaction_text", text_of(event.transaction_text()))
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
  return {std::to_string(event.sequence()),
          time_text(event.timestamp_ns()),
          event_type_name(event.type()),
          text_of(event.account_id()),
          text_of(event.counterparty_id()),
          format_amount(event.amount(), places),
          format_amount(event.balance(), places),
          transaction_shown(event.transaction_text(), event.transaction_id())};
}

std::string statement_entry_json(const protocol::StatementEntry& entry, size_t places) {
  JsonObject object;
  object.add_unsigned("sequence", entry.sequence());
  add_time(object, "timestamp", entry.timestamp_ns());
  object.add_text("type", event_type_name(entry.type()));
  add_amount(object, "amount", entry.amount(), places);
  add_amount(object, "balance", entry.balance(), places);
  object.add_text("counterparty_id", text_of(entry.counterparty_id()))
      .add_text("transaction_id", transaction_id_text(entry.transaction_id()))
      .add_text("transaction_text", text_of(entry.transaction_text()));
  return object.str();
}

std::vector<std::string> statement_row(const protocol::StatementEntry& entry, size_t places) {
  return {std::to_string(entry.sequence()),
          time_text(entry.timestamp_ns()),
          event_type_name(entry.type()),
          format_amount(entry.amount(), places),
          format_amount(entry.balance(), places),
          text_of(entry.counterparty_id()),
          transaction_shown(entry.transaction_text(), entry.transaction_id())};
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

void print_tail_event(const protocol::Event& event, const AccountCurrencies& currencies,
                      bool json) {
  if (json) {
    std::printf("%s\n", event_json(event, currencies).c_str());
    return;
  }
  const std::string currency = currency_for(event, currencies);
  const size_t places = currency_minor_units(currency);
  const bool has_amount = moves_money(event.type()) || event.amount() != 0;
  std::string line = std::to_string(event.sequence());
  for (const std::string& field :
       {time_text(event.timestamp_ns()), event_type_name(event.type()),
        command_type_name(event.command_type()), result_code_text(event.reason()),
        text_of(event.account_id()), text_of(event.counterparty_id()),
        has_amount ? format_amount(event.amount(), places) + " " + currency : std::string(),
        "balance " + format_amount(event.balance(), places), text_of(event.transaction_text()),
        event_detail(event, places)}) {
    if (!field.empty()) {
      line.append("  ").append(field);
    }
  }
  std::printf("%s\n", line.c_str());
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
