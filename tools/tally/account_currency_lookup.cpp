#include "tools/tally/account_currency_lookup.h"

#include "net/client/query.h"

namespace tally::cli {

using client::ClientError;

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

}  // namespace tally::cli
