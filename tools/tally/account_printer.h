// Prints the answers of the account read model's queries on standard output: account,
// balance, accounts, reserve, top and summary. Aligned text for people or, with --json, one
// object per answer (see query_output.h for the JSON conventions). Every answer carries the
// currency of its amounts, so each is printed with that currency's decimal places.
#pragma once

#include <cstdint>

#include "engine/wire/protocol.h"

namespace tally::cli {

// Each takes the answer, the sequence its read model had reached, and whether to print JSON.
void print_account(const protocol::AccountDetails& account, uint64_t read_sequence, bool json);
void print_balance(const protocol::BalanceResult& result, uint64_t read_sequence, bool json);
void print_accounts(const protocol::AccountListResult& result, uint64_t read_sequence, bool json);
void print_reserve(const protocol::ReserveResult& result, uint64_t read_sequence, bool json);
void print_top(const protocol::TopAccountsResult& result, uint64_t read_sequence, bool json);
void print_summary(const protocol::AccountSummaryResult& result, uint64_t read_sequence, bool json);

}  // namespace tally::cli
