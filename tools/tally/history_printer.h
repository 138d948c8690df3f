// Prints the answers of the history read model's queries on standard output: history (a
// statement with the running balance), trail (every event, rejections with their reasons),
// search, daily and balance-at. Aligned text for people or, with --json, one object per
// answer (see query_output.h for the JSON conventions).
//
// A history and daily balances carry their currency. Events (trail, search) and a balance as
// of do not: their amounts take the decimal places of the currencies in `currencies`, which
// the caller fills in for every account they name (an applied transfer's two sides share
// theirs). In JSON an event's "currency" is that of its amount and balance (its account's;
// on the wire only an opening carries one), "counterparty_currency" that of the counterparty's
// balance.
#pragma once

#include <cstdint>
#include <string_view>

#include "engine/wire/protocol.h"
#include "tools/tally/query_output.h"

namespace tally::cli {

void print_history(const protocol::HistoryResult& result, uint64_t read_sequence, bool json);
// `account_id`: the account whose trail it is; its balance and version are the ones shown.
void print_trail(const protocol::EventTrailResult& result, std::string_view account_id,
                 const AccountCurrencies& currencies, uint64_t read_sequence, bool json);
void print_search(const protocol::TransactionSearchResult& result,
                  const AccountCurrencies& currencies, uint64_t read_sequence, bool json);
void print_daily(const protocol::DailyBalancesResult& result, uint64_t read_sequence, bool json);
void print_balance_at(const protocol::BalanceAsOfResult& result,
                      const AccountCurrencies& currencies, uint64_t read_sequence, bool json);

// The accounts whose currency `event`'s amounts need: its account, or for a transfer either
// side (both have the same currency). True if `currencies` already knows one.
bool currency_known_for(const protocol::Event& event, const AccountCurrencies& currencies);

}  // namespace tally::cli
