// QuerySyntax: the read-side subcommands (account, balance, accounts, history, trail, reserve,
// top, summary, daily, search, balance-at, projections [rebuild]) defined with CLI11. Every one
// takes, through the app (global options, before or after the query), --min-sequence N (read
// your own writes; the caller sets it in the parsed request) and --json.
//
// CLI11 writes the parsed values into this object's QueryRequest: it must outlive the app's
// parse and never move.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "tools/tally/query_request.h"

namespace tally::cli {

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
  void add_history(CLI::App& app);
  void add_search(CLI::App& app);
  void add_balance_at(CLI::App& app);
  void add_projections(CLI::App& app);

  QueryRequest typed_;
  std::vector<std::pair<CLI::App*, QueryKind>> subcommands_;
};

}  // namespace tally::cli
