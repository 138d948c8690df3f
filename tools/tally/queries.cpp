// The queries of queries.h: their CLI11 syntax, their planning into a client::Query, the
// currencies of accounts asked of the server, and the run of one query up to its printing.
#include "tools/tally/queries.h"

#include <algorithm>

#include "engine/wire/query_limits.h"

namespace tally::cli {
namespace {

using client::ClientError;
using client::QueryReply;

EventType search_type(const std::string& type) {
  if (type == "deposited") {
    return EventType::Deposited;
  }
  if (type == "withdrawn") {
    return EventType::Withdrawn;
  }
  if (type == "transferred") {
    return EventType::Transferred;
  }
  if (type == "opened") {
    return EventType::AccountOpened;
  }
  if (type.empty()) {
    return EventType::Unknown;
  }
  throw UsageError("--type \"" + type +
                   "\" is not one of deposited, withdrawn, transferred, opened");
}

// The time in `text`, or 0 (no bound) if it is empty.
int64_t optional_time(const std::string& text, std::string_view what) {
  return text.empty() ? 0 : parse_time(text, what);
}

// The answer's result table, which must be of the type the query asks for.
template <typename Result>
const Result& answer_of(const QueryReply& reply) {
  const Result* result = reply.body<Result>();
  if (result == nullptr) {
    throw ClientError(ClientError::Kind::kProtocol,
                      "the server answered the query with a result of another kind");
  }
  return *result;
}

// One query, from the currency its amounts may need to the printed answer.
class QueryRun {
 public:
  QueryRun(client::Client& client, QueryPlanner& planner, bool json)
      : client_(client),
        planner_(planner),
        request_(planner.request()),
        json_(json),
        currencies_(client) {}

  ExitCode run() {
    if (planner_.needs_account_currency()) {
      const std::string currency = currency_of(request_.account_id, request_.min_sequence);
      planner_.set_account_currency(currency);
    }
    const QueryReply reply = client_.query(planner_.query());
    // Lookups wait for what the answer saw, so every account it names is known to them.
    seen_ = std::max(reply.read_sequence(), request_.min_sequence);
    print(reply);
    return ExitCode::kOk;
  }

 private:
  // The currency of `account_id`, asked of the server once its read model has applied
  // `min_sequence`; remembered. An unknown account is the server's refusal.
  std::string currency_of(const std::string& account_id, uint64_t min_sequence) {
    return currencies_.require(account_id, min_sequence);
  }

  // The currencies of the other accounts of refused transfers in `result`, where they exist:
  // an applied transfer's other side has the trail's currency, a refused one's may not.
  void find_other_sides(const protocol::EventTrailResult& result) {
    if (result.events() == nullptr) {
      return;
    }
    for (const protocol::Event* event : *result.events()) {
      if (event->type() == EventType::CommandRejected && event->counterparty_id() != nullptr) {
        currencies_.find(text_of(event->account_id()), seen_);
        currencies_.find(text_of(event->counterparty_id()), seen_);
      }
    }
  }

  void print_trail_answer(const QueryReply& reply) {
    const protocol::EventTrailResult& result = answer_of<protocol::EventTrailResult>(reply);
    currency_of(request_.account_id, seen_);
    find_other_sides(result);
    print_trail(result, request_.account_id, currencies_.currencies(), reply.read_sequence(),
                json_);
  }

  void print_search_answer(const QueryReply& reply) {
    const auto& result = answer_of<protocol::TransactionSearchResult>(reply);
    if (result.events() != nullptr) {
      for (const protocol::Event* event : *result.events()) {
        if (!currency_known_for(*event, currencies_.currencies())) {
          currency_of(text_of(event->account_id()), seen_);
        }
      }
    }
    print_search(result, currencies_.currencies(), reply.read_sequence(), json_);
  }

  void print_balance_at_answer(const QueryReply& reply) {
    const protocol::BalanceAsOfResult& result = answer_of<protocol::BalanceAsOfResult>(reply);
    currency_of(text_of(result.account_id()), seen_);
    print_balance_at(result, currencies_.currencies(), reply.read_sequence(), json_);
  }

  void print_account_answer(const QueryReply& reply) {
    const protocol::AccountResult& result = answer_of<protocol::AccountResult>(reply);
    if (result.account() == nullptr) {
      throw ClientError(ClientError::Kind::kProtocol, "the answer holds no account");
    }
    print_account(*result.account(), reply.read_sequence(), json_);
  }

  void print(const QueryReply& reply) {
    const uint64_t read = reply.read_sequence();
    switch (request_.kind) {
      case QueryKind::kAccount:
        return print_account_answer(reply);
      case QueryKind::kBalance:
        return print_balance(answer_of<protocol::BalanceResult>(reply), read, json_);
      case QueryKind::kAccounts:
        return print_accounts(answer_of<protocol::AccountListResult>(reply), read, json_);
      case QueryKind::kHistory:
        return print_history(answer_of<protocol::HistoryResult>(reply), read, json_);
      case QueryKind::kTrail:
        return print_trail_answer(reply);
      case QueryKind::kReserve:
        return print_reserve(answer_of<protocol::ReserveResult>(reply), read, json_);
      case QueryKind::kTop:
        return print_top(answer_of<protocol::TopAccountsResult>(reply), read, json_);
      case QueryKind::kSummary:
        return print_summary(answer_of<protocol::AccountSummaryResult>(reply), read, json_);
      case QueryKind::kDaily:
        return print_daily(answer_of<protocol::DailyBalancesResult>(reply), read, json_);
      case QueryKind::kSearch:
        return print_search_answer(reply);
      case QueryKind::kBalanceAt:
        return print_balance_at_answer(reply);
      case QueryKind::kProjections:
      case QueryKind::kRebuild:
        return print_projections(
            net::decode_projection_status(answer_of<protocol::ProjectionStatusResult>(reply)),
            request_.kind == QueryKind::kRebuild, json_);
    }
  }

  client::Client& client_;
  QueryPlanner& planner_;
  const QueryRequest& request_;
  bool json_;
  uint64_t seen_ = 0;
  AccountCurrencyLookup currencies_;
};

}  // namespace

std::string_view query_kind_name(QueryKind kind) {
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

// ---- QuerySyntax --------------------------------------------------------------------------

QuerySyntax::QuerySyntax(CLI::App& app) {
  add_account_argument(*add(app, QueryKind::kAccount, "account", "an account's details"));
  add_account_argument(
      *add(app, QueryKind::kBalance, "balance", "an account's balance, version and status"));
  add_accounts(app);
  add_history(app);
  add_trail(app);
  add_reserve_and_top(app);
  add_account_argument(*add(app, QueryKind::kSummary, "summary",
                            "an account's totals and counts: deposited, withdrawn, transferred "
                            "in and out, rejections"));
  add_daily(app);
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

void QuerySyntax::add_accounts(CLI::App& app) {
  CLI::App* accounts =
      add(app, QueryKind::kAccounts, "accounts", "the accounts, in the order they were opened");
  accounts->add_option("--owner", typed_.owner, "only this owner's accounts (the exact name)");
  add_paging(*accounts, 100, kPageEntriesMax);
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

void QuerySyntax::add_trail(CLI::App& app) {
  CLI::App* trail = add(app, QueryKind::kTrail, "trail",
                        "every event of an account, oldest first, rejected commands included "
                        "with their reason: the audit log");
  add_account_argument(*trail);
  add_paging(*trail, 100, kPageEntriesMax);
}

void QuerySyntax::add_reserve_and_top(CLI::App& app) {
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
}

void QuerySyntax::add_daily(CLI::App& app) {
  CLI::App* daily = add(app, QueryKind::kDaily, "daily",
                        "an account's balance at the end of each UTC day of a range (days before "
                        "it was opened, or still to come, are left out)");
  add_account_argument(*daily);
  daily->add_option("from-date", typed_.from_date, "the first day, YYYY-MM-DD")->required();
  daily
      ->add_option("to-date", typed_.to_date,
                   "the last day, YYYY-MM-DD (at most " + std::to_string(kDailyBalanceDaysMax) +
                       " days after the first)")
      ->required();
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

// ---- QueryPlanner -------------------------------------------------------------------------

QueryPlanner::QueryPlanner(QueryRequest request) : request_(std::move(request)) {
  from_ns_ = optional_time(request_.from, "--from");
  to_ns_ = optional_time(request_.to, "--to");
  switch (request_.kind) {
    case QueryKind::kDaily:
      from_day_ = parse_date(request_.from_date, "from-date");
      to_day_ = parse_date(request_.to_date, "to-date");
      break;
    case QueryKind::kBalanceAt:
      plan_balance_at();
      break;
    case QueryKind::kSearch:
      plan_search();
      break;
    default:
      break;
  }
}

void QueryPlanner::plan_balance_at() {
  if (request_.at_time.empty() == !request_.at_sequence.has_value()) {
    throw UsageError("balance-at takes one of --time TIME and --sequence N");
  }
  at_ns_ = optional_time(request_.at_time, "--time");
  if (!request_.at_time.empty() && at_ns_ == 0) {
    // On the wire 0 means "no time given".
    throw UsageError("--time must be after 1970-01-01T00:00:00Z");
  }
}

void QueryPlanner::plan_search() {
  type_ = search_type(request_.type);
  if (!request_.account_id.empty()) {
    needs_account_currency_ = !request_.min_amount.empty() || !request_.max_amount.empty();
    return;
  }
  // The currency is not known: whole minor units.
  if (!request_.min_amount.empty()) {
    min_amount_ = parse_minor_units(request_.min_amount, "--min");
  }
  if (!request_.max_amount.empty()) {
    max_amount_ = parse_minor_units(request_.max_amount, "--max");
  }
  check_amount_max();
}

void QueryPlanner::set_account_currency(std::string_view currency) {
  const AmountFormat format = AmountFormat::for_currency(currency);
  if (!request_.min_amount.empty()) {
    min_amount_ = parse_amount(request_.min_amount, format, "--min");
  }
  if (!request_.max_amount.empty()) {
    max_amount_ = parse_amount(request_.max_amount, format, "--max");
  }
  check_amount_max();
  needs_account_currency_ = false;
}

void QueryPlanner::check_amount_max() const {
  // On the wire a maximum of 0 means "no upper bound": --max 0 cannot be sent as it reads.
  if (!request_.max_amount.empty() && max_amount_ == 0) {
    throw UsageError("--max must be above 0 (leave it out for no upper bound)");
  }
}

client::Query QueryPlanner::history_query() const {
  client::HistoryOptions options;
  options.order =
      request_.oldest_first ? protocol::Order::OldestFirst : protocol::Order::NewestFirst;
  options.from_ns = from_ns_;
  options.to_ns = to_ns_;
  options.limit = request_.limit.value_or(options.limit);
  options.cursor = request_.cursor;
  return client::Query::history(request_.account_id, options);
}

client::Query QueryPlanner::search_query() const {
  client::SearchOptions options;
  options.account_id = request_.account_id;
  options.type = type_;
  options.min_amount = min_amount_;
  options.max_amount = max_amount_;
  options.from_ns = from_ns_;
  options.to_ns = to_ns_;
  options.limit = request_.limit.value_or(options.limit);
  options.cursor = request_.cursor;
  return client::Query::search(std::move(options));
}

client::Query QueryPlanner::query() const {
  const QueryRequest& request = request_;
  client::Query query = [&] {
    switch (request.kind) {
      case QueryKind::kAccount:
        return client::Query::account(request.account_id);
      case QueryKind::kBalance:
        return client::Query::balance(request.account_id);
      case QueryKind::kAccounts:
        return client::Query::accounts(request.owner, request.cursor, request.limit.value_or(100));
      case QueryKind::kHistory:
        return history_query();
      case QueryKind::kTrail:
        return client::Query::event_trail(request.account_id, request.cursor,
                                          request.limit.value_or(100));
      case QueryKind::kReserve:
        return client::Query::reserve(request.currency);
      case QueryKind::kTop:
        return client::Query::top_accounts(request.currency, request.limit.value_or(10));
      case QueryKind::kSummary:
        return client::Query::summary(request.account_id);
      case QueryKind::kDaily:
        return client::Query::daily_balances(request.account_id, from_day_, to_day_);
      case QueryKind::kSearch:
        return search_query();
      case QueryKind::kBalanceAt:
        return request.at_sequence
                   ? client::Query::balance_at_sequence(request.account_id, *request.at_sequence)
                   : client::Query::balance_at_time(request.account_id, at_ns_);
      case QueryKind::kProjections:
        return client::Query::projection_status();
      case QueryKind::kRebuild:
        return client::Query::rebuild_projections();
    }
    return client::Query::projection_status();
  }();
  query.min_sequence(request.min_sequence);
  return query;
}

// ---- AccountCurrencyLookup ----------------------------------------------------------------

std::string AccountCurrencyLookup::ask(std::string_view account_id, uint64_t min_sequence) {
  const client::QueryReply reply =
      client_.query(client::Query::balance(std::string(account_id)).min_sequence(min_sequence));
  const protocol::BalanceResult* result = reply.body<protocol::BalanceResult>();
  if (result == nullptr) {
    throw ClientError(ClientError::Kind::kProtocol,
                      "the server answered a balance query with a result of another kind");
  }
  const std::string currency = text_of(result->currency());
  if (currency.empty()) {
    throw ClientError(ClientError::Kind::kProtocol,
                      "the server answered a balance query without the account's currency");
  }
  currencies_.add(account_id, currency);
  return currency;
}

std::string AccountCurrencyLookup::require(std::string_view account_id, uint64_t min_sequence) {
  return currencies_.knows(account_id) ? currencies_.currency_of(account_id)
                                       : ask(account_id, min_sequence);
}

std::optional<std::string> AccountCurrencyLookup::find(std::string_view account_id,
                                                       uint64_t min_sequence) {
  if (currencies_.knows(account_id)) {
    return currencies_.currency_of(account_id);
  }
  if (account_id.empty()) {
    return std::nullopt;  // no account has an empty id: nothing to ask
  }
  const auto missing = missing_.find(account_id);
  if (missing != missing_.end() && missing->second >= min_sequence) {
    return std::nullopt;
  }
  try {
    return ask(account_id, min_sequence);
  } catch (const ClientError& error) {
    if (error.kind() != ClientError::Kind::kRefused ||
        error.code() != ResultCode::AccountNotFound) {
      throw;
    }
  }
  missing_.insert_or_assign(std::string(account_id), min_sequence);
  return std::nullopt;
}

std::optional<std::string> AccountCurrencyLookup::find_acknowledged(std::string_view account_id) {
  // Most accounts are long known to the read models: ask without waiting first.
  if (std::optional<std::string> currency = find(account_id, 0)) {
    return currency;
  }
  if (account_id.empty()) {
    return std::nullopt;
  }
  if (!durable_sequence_) {
    durable_sequence_ = client_.stats().durable_sequence;
  }
  return find(account_id, *durable_sequence_);
}

// ---- answer_query -------------------------------------------------------------------------

ExitCode answer_query(client::Client& client, QueryPlanner& planner, bool json) {
  return QueryRun(client, planner, json).run();
}

}  // namespace tally::cli
