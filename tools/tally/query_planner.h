// QueryPlanner: turns a QueryRequest, as typed, into the client::Query to send. The form of
// times, days and amounts is checked here, before anything is sent: a bad one is a UsageError
// (exit 2). What they mean (a range backwards or too long, a limit over the maximum, an
// unknown account) is the server's to judge: it refuses the query (exit 3) with its reason.
//
// Search amounts (--min, --max) are decimals in the account's currency when the search is for
// one account: the planner then needs that currency, which only the server knows, before it
// can read them (needs_account_currency, then set_account_currency). Without --account the
// currency is not known and the amounts are whole minor units, read at once.
#pragma once

#include <cstdint>
#include <string_view>

#include "engine/wire/protocol.h"
#include "net/client/query.h"
#include "tools/tally/query_request.h"

namespace tally::cli {

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
  client::Query search_query() const;
  void check_max_amount() const;

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

}  // namespace tally::cli
