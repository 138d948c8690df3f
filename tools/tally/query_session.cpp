#include "tools/tally/query_session.h"

#include <algorithm>
#include <string>

#include "net/client/client.h"
#include "tools/tally/account_currency_lookup.h"
#include "tools/tally/account_printer.h"
#include "tools/tally/history_printer.h"
#include "tools/tally/projection_printer.h"
#include "tools/tally/query_output.h"
#include "tools/tally/query_planner.h"

namespace tally::cli {
namespace {

using client::ClientError;
using client::QueryReply;

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

  void print(const QueryReply& reply) {
    const uint64_t read = reply.read_sequence();
    switch (request_.kind) {
      case QueryKind::kAccount: {
        const protocol::AccountResult& result = answer_of<protocol::AccountResult>(reply);
        if (result.account() == nullptr) {
          throw ClientError(ClientError::Kind::kProtocol, "the answer holds no account");
        }
        print_account(*result.account(), read, json_);
        return;
      }
      case QueryKind::kBalance:
        print_balance(answer_of<protocol::BalanceResult>(reply), read, json_);
        return;
      case QueryKind::kAccounts:
        print_accounts(answer_of<protocol::AccountListResult>(reply), read, json_);
        return;
      case QueryKind::kHistory:
        print_history(answer_of<protocol::HistoryResult>(reply), read, json_);
        return;
      case QueryKind::kTrail: {
        const protocol::EventTrailResult& result = answer_of<protocol::EventTrailResult>(reply);
        currency_of(request_.account_id, seen_);
        find_other_sides(result);
        print_trail(result, request_.account_id, currencies_.currencies(), read, json_);
        return;
      }
      case QueryKind::kReserve:
        print_reserve(answer_of<protocol::ReserveResult>(reply), read, json_);
        return;
      case QueryKind::kTop:
        print_top(answer_of<protocol::TopAccountsResult>(reply), read, json_);
        return;
      case QueryKind::kSummary:
        print_summary(answer_of<protocol::AccountSummaryResult>(reply), read, json_);
        return;
      case QueryKind::kDaily:
        print_daily(answer_of<protocol::DailyBalancesResult>(reply), read, json_);
        return;
      case QueryKind::kSearch: {
        const auto& result = answer_of<protocol::TransactionSearchResult>(reply);
        if (result.events() != nullptr) {
          for (const protocol::Event* event : *result.events()) {
            if (!currency_known_for(*event, currencies_.currencies())) {
              currency_of(text_of(event->account_id()), seen_);
            }
          }
        }
        print_search(result, currencies_.currencies(), read, json_);
        return;
      }
      case QueryKind::kBalanceAt: {
        const protocol::BalanceAsOfResult& result = answer_of<protocol::BalanceAsOfResult>(reply);
        currency_of(text_of(result.account_id()), seen_);
        print_balance_at(result, currencies_.currencies(), read, json_);
        return;
      }
      case QueryKind::kProjections:
      case QueryKind::kRebuild:
        print_projections(
            net::decode_projection_status(answer_of<protocol::ProjectionStatusResult>(reply)),
            request_.kind == QueryKind::kRebuild, json_);
        return;
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

ExitCode run_query(const SessionSettings& settings, const QueryRequest& request) {
  QueryPlanner planner(request);  // a usage error leaves before anything is sent
  client::Client client(client_options(settings));
  try {
    client.connect();
    return QueryRun(client, planner, settings.json).run();
  } catch (const ClientError& error) {
    return report_client_error(error, std::nullopt);
  }
}

}  // namespace tally::cli
