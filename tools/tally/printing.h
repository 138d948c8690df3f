// Everything tally prints on standard output: the results of ledger commands, the server's
// counters, the projectors' progress, and the answers of the read side's queries. Each as
// aligned text for people (columns two spaces apart, numbers right-aligned, no line ending in
// spaces) or, with --json, one JSON object per line.
//
// Amounts print with the decimal places of their account's currency. JSON conventions: an
// amount is two fields, NAME_minor (the integer) and NAME (the decimal in its currency, a
// string); a time is NAME_ns (Unix nanoseconds) and NAME (RFC 3339 UTC, or null when the time
// is 0: never); enums are the schema's names ("Deposited", "Active"), and a value newer than
// this build prints as its number. Every query's object starts with {"query":NAME,
// "read_sequence":N}, N being how far the answering read model had got; a page that stopped
// before the end prints "next: --cursor N" (JSON: next_cursor, 0 for no more).
//
// Defined by concern: printing_commands.cpp (command results, counters, projections),
// printing_accounts.cpp and printing_history.cpp (each read model's answers), and
// printing_support.cpp (what they share: tables, names, JSON fields; printing_support.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "engine/wire/protocol.h"
#include "net/client/client.h"
#include "net/protocol/messages.h"
#include "tools/tally/commands.h"

namespace tally::cli {

// A string of an answer; empty for a missing one.
std::string text_of(const flatbuffers::String* text);

// Account id -> currency, for answers that do not carry the currency of every amount (an
// event trail, a search, a balance as of).
class AccountCurrencies {
 public:
  void add(std::string_view account_id, std::string_view currency);
  bool knows(std::string_view account_id) const;
  // Empty if not known.
  std::string currency_of(std::string_view account_id) const;
  // The decimal places of the account's currency; the default if not known.
  size_t decimal_places_of(std::string_view account_id) const;

 private:
  std::map<std::string, std::string, std::less<>> currencies_;
};

// ---- Commands and the server --------------------------------------------------------------

// One line per command result: result, sequence, balance, version, account; `results` holds
// one outcome per command of `commands`, in the same order. JSON: one object per result.
void print_results(const std::vector<PlannedCommand>& commands, const client::BatchResult& results,
                   bool json);

// Every ServerStats field, rejections by reason with their names, and who the server is, as
// aligned "name  value" lines or one object. money_in and money_out add up every currency, so
// they are printed as raw minor units. Then the latency of each stage of a request's path over
// the sampled requests: a second table in microseconds, or "stage_latencies" in nanoseconds.
void print_stats(const net::ServerStats& stats, const net::ServerHello& server, bool json);

// How far each projector has got: one row per projector with its applied sequence, lag, events
// applied, query counters and rebuilds. `rebuild_started`: the answer to projections rebuild.
void print_projections(const net::ProjectionReport& report, bool rebuild_started, bool json);

// ---- The account read model's answers -----------------------------------------------------

// Each takes the answer, the sequence its read model had reached, and whether to print JSON.
// Every one of these answers carries the currency of its amounts.
void print_account(const protocol::AccountDetails& account, uint64_t read_sequence, bool json);
void print_balance(const protocol::BalanceResult& result, uint64_t read_sequence, bool json);
void print_accounts(const protocol::AccountListResult& result, uint64_t read_sequence, bool json);
void print_reserve(const protocol::ReserveResult& result, uint64_t read_sequence, bool json);
void print_top(const protocol::TopAccountsResult& result, uint64_t read_sequence, bool json);
void print_summary(const protocol::AccountSummaryResult& result, uint64_t read_sequence, bool json);

// ---- The history read model's answers -----------------------------------------------------

// A history and daily balances carry their currency. Events (trail, search) and a balance as
// of do not: their amounts take the decimal places of the currencies in `currencies`, which
// the caller fills in for every account they name (an applied transfer's two sides share
// theirs). In JSON an event's "currency" is that of its amount and balance (its account's;
// on the wire only an opening carries one), "counterparty_currency" that of the counterparty's
// balance.
void print_history(const protocol::HistoryResult& result, uint64_t read_sequence, bool json);
// `account_id`: the account whose trail it is; its balance and version are the ones shown.
void print_trail(const protocol::EventTrailResult& result, std::string_view account_id,
                 const AccountCurrencies& currencies, uint64_t read_sequence, bool json);
// One event of `tally tail`: a line of sequence, time, type, command, result, account,
// counterparty, amount, balance and detail, or (json) the event's JSON object on a line.
void print_tail_event(const protocol::Event& event, const AccountCurrencies& currencies, bool json);
void print_search(const protocol::TransactionSearchResult& result,
                  const AccountCurrencies& currencies, uint64_t read_sequence, bool json);
void print_daily(const protocol::DailyBalancesResult& result, uint64_t read_sequence, bool json);
void print_balance_at(const protocol::BalanceAsOfResult& result,
                      const AccountCurrencies& currencies, uint64_t read_sequence, bool json);

// The accounts whose currency `event`'s amounts need: its account, or for a transfer either
// side (both have the same currency). True if `currencies` already knows one.
bool currency_known_for(const protocol::Event& event, const AccountCurrencies& currencies);

}  // namespace tally::cli
