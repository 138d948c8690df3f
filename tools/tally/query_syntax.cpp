#include "tools/tally/query_syntax.h"

#include "engine/wire/query_limits.h"
#include "engine/wire/wire_int128.h"

namespace tally::cli {

QuerySyntax::QuerySyntax(CLI::App& app) {
  add_account_argument(*add(app, QueryKind::kAccount, "account", "an account's details"));
  add_account_argument(
      *add(app, QueryKind::kBalance, "balance", "an account's balance, version and status"));
  CLI::App* accounts =
      add(app, QueryKind::kAccounts, "accounts", "the accounts, in the order they were opened");
  accounts->add_option("--owner", typed_.owner, "only this owner's accounts (the exact name)");
  add_paging(*accounts, 100, kPageEntriesMax);
  add_history(app);
  CLI::App* trail = add(app, QueryKind::kTrail, "trail",
                        "every event of an account, oldest first, rejected commands included "
                        "with their reason: the audit log");
  add_account_argument(*trail);
  add_paging(*trail, 100, kPageEntriesMax);
  CLI::App* reserve = add(app, QueryKind::kReserve, "reserve",
                          "the total of the balances and the number of accounts, per currency");
  reserve->add_option("currency", typed_.currency, "only this currency (e.g. EUR)");
  CLI::App* top = add(app, QueryKind::kTop, "top",
                      "the accounts of a currency with the highest "
                      "balances (closed ones left out)");
  top->add_option("currency", typed_.currency, "the currency, e.g. EUR")->required();
  top->add_option(
      "--limit", typed_.limit,
      "how many accounts (default 10, at most " + std::to_string(kTopAccountsMax) + ")");
  add_account_argument(*add(app, QueryKind::kSummary, "summary",
                            "an account's totals and counts: deposited, withdrawn, transferred "
                            "in and out, rejections"));
  CLI::App* daily = add(app, QueryKind::kDaily, "daily",
                        "an account's balance at the end of each UTC day of a range (days before "
                        "it was opened, or still to come, are left out)");
  add_account_argument(*daily);
  daily->add_option("from-date", typed_.from_date, "the first day, YYYY-MM-DD")->required();
  daily
      ->add_option("to-date", typed_.to_date,
                   "the last day, YYYY-MM-DD (at most " +
                       std::to_string(kDailyBalanceDaysMax) + " days after the first)")
      ->required();
  add_search(app);
  add_balance_at(app);
  add_projections(app);
}

std::optional<QueryRequest> QuerySyntax::parsed() const {
  // The deepest subcommand parsed is the query: "projections rebuild" before "projections".
  for (auto entry = subcommands_.rbegin(); entry != subcommands_.rend(); ++entry) {
    if (entry->first->parsed()) {
      QueryRequest request = typed_;
      request.kind = entry->second;
      return request;
    }
  }
  return std::nullopt;
}

CLI::App* QuerySyntax::add(CLI::App& parent, QueryKind kind, std::string name,
                           std::string description) {
  // --min-sequence is the app's, a global option: it may come before the query's name too.
  CLI::App* query = parent.add_subcommand(std::move(name), std::move(description));
  subcommands_.emplace_back(query, kind);
  return query;
}

void QuerySyntax::add_account_argument(CLI::App& query) {
  query.add_option("account", typed_.account_id, "the account's id")->required();
}

void QuerySyntax::add_paging(CLI::App& query, uint32_t default_limit, uint32_t maximum) {
  query.add_option("--limit", typed_.limit,
                   "how many on this page (default " + std::to_string(default_limit) +
                       ", at most " + std::to_string(maximum) + ")");
  query.add_option("--cursor", typed_.cursor,
                   "continue where a previous page stopped (it prints \"next: --cursor N\")");
}

void QuerySyntax::add_time_range(CLI::App& query) {
  query.add_option("--from", typed_.from,
                   "only at or after this time: RFC 3339 (2026-11-23T10:00:00Z) or Unix "
                   "nanoseconds");
  query.add_option("--to", typed_.to, "only before this time (as --from)");
}

void QuerySyntax::add_history(CLI::App& app) {
  CLI::App* history = add(app, QueryKind::kHistory, "history",
                          "an account's statement: the money moved (the opening deposit, "
                          "deposits, withdrawals, transfers), newest first, with the balance "
                          "after each");
  add_account_argument(*history);
  history->add_flag("--oldest-first", typed_.oldest_first, "oldest first instead");
  add_time_range(*history);
  add_paging(*history, 50, kPageEntriesMax);
}

void QuerySyntax::add_search(CLI::App& app) {
  CLI::App* search = add(app, QueryKind::kSearch, "search",
                         "transactions (money moved) matching every filter given, oldest first; "
                         "without --account the server scans the journal, a bounded number of "
                         "events per page");
  search->add_option("--account", typed_.account_id, "only this account's (default: every one)");
  search->add_option("--type", typed_.type, "only this kind")
      ->check(CLI::IsMember({"deposited", "withdrawn", "transferred", "opened"}));
  const std::string amounts =
      ": a decimal in the account's currency with --account (12.50); without --account the "
      "currency is not known, so whole minor units (1250 for 12.50 EUR)";
  search->add_option("--min", typed_.min_amount, "only amounts at least this" + amounts);
  search->add_option("--max", typed_.max_amount, "only amounts at most this" + amounts);
  add_time_range(*search);
  add_paging(*search, 100, kPageEntriesMax);
}

void QuerySyntax::add_balance_at(CLI::App& app) {
  CLI::App* balance_at = add(app, QueryKind::kBalanceAt, "balance-at",
                             "an account's balance as it was at a time, or after a sequence");
  add_account_argument(*balance_at);
  CLI::Option* time =
      balance_at->add_option("--time", typed_.at_time,
                             "at this time: RFC 3339 (2026-11-23T10:00:00Z) or Unix nanoseconds");
  CLI::Option* sequence =
      balance_at->add_option("--sequence", typed_.at_sequence, "after the event with this sequence")
          ->check(CLI::PositiveNumber);
  time->excludes(sequence);
  sequence->excludes(time);
}

void QuerySyntax::add_projections(CLI::App& app) {
  CLI::App* projections =
      add(app, QueryKind::kProjections, "projections",
          "how far each projector (the read side's threads) has got, and its query counters");
  add(*projections, QueryKind::kRebuild, "rebuild",
      "drop every read model and rebuild it from the journal (queries meanwhile see the part "
      "rebuilt so far)");
}

}  // namespace tally::cli
