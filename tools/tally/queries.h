// The read side's queries (account, balance, accounts, history, trail, reserve, top, summary,
// daily, search, balance-at, projections [rebuild]), from what the user typed to the printed
// answer:
//   - QueryRequest: one query as typed (tally history alice --limit 5): text.
//   - QuerySyntax: the subcommands, defined with CLI11.
//   - QueryPlanner: the client::Query to send. The form of times, days and amounts is checked
//     before anything is sent: a bad one is a UsageError (exit 2). What they mean (a range
//     backwards or too long, a limit over the maximum, an unknown account) is the server's to
//     judge: it refuses the query (exit 3) with its reason.
//   - AccountCurrencyLookup: the currencies of accounts, asked of tallyd, which give amounts
//     their decimal places; the ledger commands use it too.
//   - answer_query: sends the query on a connected client and prints the answer.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "engine/base/exit_code.h"
#include "engine/wire/protocol.h"
#include "net/client/client.h"
#include "net/client/query.h"
#include "tools/tally/parsers.h"
#include "tools/tally/printing.h"

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

// One read-side query as the user typed it: text, not yet checked.
struct QueryRequest {
  QueryKind kind = QueryKind::kAccount;
  std::string account_id;         // the account queried; search: --account, empty for every account
  std::string owner;              // accounts: empty for every owner
  std::string currency;           // reserve (empty: every currency), top
  uint64_t cursor = 0;            // a previous page's "next: --cursor N"
  std::optional<uint32_t> limit;  // the query's own default without it
  bool oldest_first = false;      // history
  std::string from;               // history, search: a time, as parse_time reads it
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

// The query subcommands on a CLI11 app. Every one takes, through the app (global options,
// before or after the query), --min-sequence N (read your own writes; the caller sets it in the
// parsed request) and --json. CLI11 writes the parsed values into this object's QueryRequest:
// it must outlive the app's parse and never move.
class QuerySyntax {
 public:
  // Adds the subcommands to `app`.
  explicit QuerySyntax(CLI::App& app);
  QuerySyntax(const QuerySyntax&) = delete;
  QuerySyntax& operator=(const QuerySyntax&) = delete;

  // After app.parse(): the query given, if it was one of these subcommands.
  std::optional<QueryRequest> parsed() const;

 private:
  CLI::App* add(CLI::App& parent, QueryKind kind, std::string name, std::string description);
  void add_account_argument(CLI::App& query);
  void add_paging(CLI::App& query, uint32_t default_limit, uint32_t maximum);
  void add_time_range(CLI::App& query);
  void add_accounts(CLI::App& app);
  void add_history(CLI::App& app);
  void add_trail(CLI::App& app);
  void add_reserve_and_top(CLI::App& app);
  void add_daily(CLI::App& app);
  void add_search(CLI::App& app);
  void add_balance_at(CLI::App& app);
  void add_projections(CLI::App& app);

  QueryRequest typed_;
  std::vector<std::pair<CLI::App*, QueryKind>> subcommands_;
};

// Turns a QueryRequest into the client::Query to send.
//
// Search amounts (--min, --max) are decimals in the account's currency when the search is for
// one account: the planner then needs that currency, which only the server knows, before it
// can read them (needs_account_currency, then set_account_currency). Without --account the
// currency is not known and the amounts are whole minor units, read at once.
class QueryPlanner {
 public:
  // Throws UsageError.
  explicit QueryPlanner(QueryRequest request);

  const QueryRequest& request() const { return request_; }
  // A search for one account with --min or --max, whose currency is not set yet.
  bool needs_account_currency() const { return needs_account_currency_; }
  // Reads --min and --max with `currency`'s decimal places. Throws UsageError.
  void set_account_currency(std::string_view currency);

  // The query to send (with --min-sequence). needs_account_currency() must be false.
  client::Query query() const;

 private:
  void plan_balance_at();
  void plan_search();
  client::Query history_query() const;
  client::Query search_query() const;
  void check_amount_max() const;

  QueryRequest request_;
  int64_t from_ns_ = 0;  // history, search; 0: no bound
  int64_t to_ns_ = 0;
  int64_t at_ns_ = 0;  // balance-at --time
  int32_t from_day_ = 0;
  int32_t to_day_ = 0;
  EventType type_ = EventType::Unknown;  // search; Unknown: any
  int64_t min_amount_ = 0;               // search, minor units
  int64_t max_amount_ = 0;               // 0: no bound
  bool needs_account_currency_ = false;
};

// The currencies of accounts, asked of tallyd (one BalanceQuery per account, remembered for
// the rest of the run), so that amounts are read and printed with the decimal places of the
// account they belong to. An account's currency is set when it is opened and never changes,
// so an answer stays true for the whole run; asking first and sending later is race-free.
//
// Queries are answered by read models a moment behind the ledger: an account opened a moment
// ago may not be there yet. find() asks as of a sequence; find_acknowledged() asks again, for
// an account missing at first, once the read models have applied everything the server has
// made durable (its durable sequence, from its counters), and every account whose opening was
// ever acknowledged is then known. One thread; the client must be connected.
class AccountCurrencyLookup {
 public:
  explicit AccountCurrencyLookup(client::Client& client) : client_(client) {}

  // The currency of `account_id` as the read models have it once they applied `min_sequence`,
  // or nullopt if they know no such account. Throws client::ClientError for any other refusal
  // (a Timeout, ...) and when the server cannot be reached.
  std::optional<std::string> find(std::string_view account_id, uint64_t min_sequence);
  // The same, as of every command the server has acknowledged.
  std::optional<std::string> find_acknowledged(std::string_view account_id);
  // The currency of `account_id`; the server's refusal (AccountNotFound, ...) is thrown as it
  // came, a client::ClientError.
  std::string require(std::string_view account_id, uint64_t min_sequence);

  // Every currency found so far.
  const AccountCurrencies& currencies() const { return currencies_; }

 private:
  std::string ask(std::string_view account_id, uint64_t min_sequence);

  client::Client& client_;
  AccountCurrencies currencies_;
  // Account -> the highest sequence as of which the read models did not know it.
  std::map<std::string, uint64_t, std::less<>> missing_;
  std::optional<uint64_t> durable_sequence_;  // asked once per run
};

// Sends `planner`'s query on `client` (connected) and prints the answer; kOk once printed.
// Answers that do not carry the currency of their amounts (a trail, a search, a balance as of)
// are completed with one balance query per account they name, asked once the account read
// model has got as far as the answer, so that every account in it is known (for a trail: the
// account asked about, and the other side of each refused transfer, which may have another
// currency). Throws client::ClientError (a refusal: an unknown account, a bad range, a limit
// over the maximum, a --min-sequence not reached in time), and UsageError for search amounts
// that do not fit the account's currency.
ExitCode answer_query(client::Client& client, QueryPlanner& planner, bool json);

}  // namespace tally::cli
