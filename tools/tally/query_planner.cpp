#include "tools/tally/query_planner.h"

#include <string>

#include "tools/tally/amount.h"
#include "tools/tally/exit_code.h"
#include "tools/tally/time_text.h"

namespace tally::cli {
namespace {

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

}  // namespace

QueryPlanner::QueryPlanner(QueryRequest request) : request_(std::move(request)) {
  from_ns_ = optional_time(request_.from, "--from");
  to_ns_ = optional_time(request_.to, "--to");
  switch (request_.kind) {
    case QueryKind::kDaily:
      from_day_ = parse_date(request_.from_date, "from-date");
      to_day_ = parse_date(request_.to_date, "to-date");
      break;
    case QueryKind::kBalanceAt:
      if (request_.at_time.empty() == !request_.at_sequence.has_value()) {
        throw UsageError("balance-at takes one of --time TIME and --sequence N");
      }
      at_ns_ = optional_time(request_.at_time, "--time");
      if (!request_.at_time.empty() && at_ns_ == 0) {
        // On the wire 0 means "no time given".
        throw UsageError("--time must be after 1970-01-01T00:00:00Z");
      }
      break;
    case QueryKind::kSearch:
      type_ = search_type(request_.type);
      if (request_.account_id.empty()) {
        // The currency is not known: whole minor units.
        if (!request_.min_amount.empty()) {
          min_amount_ = parse_minor_units(request_.min_amount, "--min");
        }
        if (!request_.max_amount.empty()) {
          max_amount_ = parse_minor_units(request_.max_amount, "--max");
        }
        check_max_amount();
      } else {
        needs_account_currency_ = !request_.min_amount.empty() || !request_.max_amount.empty();
      }
      break;
    default:
      break;
  }
}

void QueryPlanner::set_account_currency(std::string_view currency) {
  const AmountFormat format = AmountFormat::for_currency(currency);
  if (!request_.min_amount.empty()) {
    min_amount_ = parse_amount(request_.min_amount, format, "--min");
  }
  if (!request_.max_amount.empty()) {
    max_amount_ = parse_amount(request_.max_amount, format, "--max");
  }
  check_max_amount();
  needs_account_currency_ = false;
}

void QueryPlanner::check_max_amount() const {
  // On the wire a maximum of 0 means "no upper bound": --max 0 cannot be sent as it reads.
  if (!request_.max_amount.empty() && max_amount_ == 0) {
    throw UsageError("--max must be above 0 (leave it out for no upper bound)");
  }
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
      case QueryKind::kHistory: {
        client::HistoryOptions options;
        options.order =
            request.oldest_first ? protocol::Order::OldestFirst : protocol::Order::NewestFirst;
        options.from_ns = from_ns_;
        options.to_ns = to_ns_;
        options.limit = request.limit.value_or(options.limit);
        options.cursor = request.cursor;
        return client::Query::history(request.account_id, options);
      }
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

}  // namespace tally::cli
