// AccountCurrencyLookup: the currencies of accounts, asked of tallyd (one BalanceQuery per
// account, remembered for the rest of the run), so that amounts are read and printed with the
// decimal places of the account they belong to. An account's currency is set when it is
// opened and never changes, so an answer stays true for the whole run; asking first and
// sending later is race-free.
//
// Queries are answered by read models a moment behind the ledger: an account opened a moment
// ago may not be there yet. find() asks as of a sequence; find_acknowledged() asks again, for
// an account missing at first, once the read models have applied everything the server has
// made durable (its durable sequence, from its counters), and every account whose opening was
// ever acknowledged is then known. One thread; the client must be connected.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "net/client/client.h"
#include "tools/tally/query_output.h"

namespace tally::cli {

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

}  // namespace tally::cli
