// QueryRequest: one read-side query as the user typed it (tally history alice --limit 5):
// text, not yet checked. QueryPlanner turns it into the client::Query to send.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tally::cli {

enum class QueryKind {
  kAccount,
  kBalance,
  kAccounts,
  kHistory,
  kTrail,
  kReserve,
  kTop,
  kSummary,
  kDaily,
  kSearch,
  kBalanceAt,
  kProjections,
  kRebuild,
};

// The subcommand's name: "account", "balance-at", "projections rebuild", ...
std::string_view query_kind_name(QueryKind kind);

struct QueryRequest {
  QueryKind kind = QueryKind::kAccount;
  std::string account_id;         // the account queried; search: --account, empty for every account
  std::string owner;              // accounts: empty for every owner
  std::string currency;           // reserve (empty: every currency), top
  uint64_t cursor = 0;            // a previous page's "next: --cursor N"
  std::optional<uint32_t> limit;  // the query's own default without it
  bool oldest_first = false;      // history
  std::string from;               // history, search: a time, see time_text.h
  std::string to;
  std::string from_date;  // daily: YYYY-MM-DD
  std::string to_date;
  std::string type;        // search: deposited, withdrawn, transferred or opened
  std::string min_amount;  // search: decimal with --account, else minor units
  std::string max_amount;
  std::string at_time;                  // balance-at
  std::optional<uint64_t> at_sequence;  // balance-at
  uint64_t min_sequence = 0;            // answer once the read models reached this sequence
};

inline std::string_view query_kind_name(QueryKind kind) {
  switch (kind) {
    case QueryKind::kAccount:
      return "account";
    case QueryKind::kBalance:
      return "balance";
    case QueryKind::kAccounts:
      return "accounts";
    case QueryKind::kHistory:
      return "history";
    case QueryKind::kTrail:
      return "trail";
    case QueryKind::kReserve:
      return "reserve";
    case QueryKind::kTop:
      return "top";
    case QueryKind::kSummary:
      return "summary";
    case QueryKind::kDaily:
      return "daily";
    case QueryKind::kSearch:
      return "search";
    case QueryKind::kBalanceAt:
      return "balance-at";
    case QueryKind::kProjections:
      return "projections";
    case QueryKind::kRebuild:
      return "projections rebuild";
  }
  return "unknown";
}

}  // namespace tally::cli
