// BatchBuilder: the commands of one request, built with typed calls and encoded as a Request
// frame. Owns copies of every string, so the caller's may go away. One builder can be reused:
// clear() keeps its capacity.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/wire/command.h"

namespace tally::client {

// Optional fields of the money movements and status changes.
struct CommandOptions {
  Id128 transaction_id;                                   // zero: none
  std::optional<uint64_t> expected_version;               // of the (source) account
  std::optional<uint64_t> expected_counterparty_version;  // Transfer: of the destination
  // Deposit, Withdraw, Transfer: the currency the client means (ISO 4217); the ledger refuses
  // the command (CurrencyMismatch) if the account's is another. Empty: not checked.
  std::string currency;
  // Deposit, Withdraw, Transfer: the transaction id as text (a UUID or 1-64 printable ASCII
  // bytes), sent with the command and shown back as given. transaction_id left zero: the
  // builder sets it to id_of_text of it, so that a server that predates the text still finds
  // duplicates by the same bits. Empty: none.
  std::string transaction_text;

  static CommandOptions with_transaction(const Id128& id) {
    CommandOptions options;
    options.transaction_id = id;
    return options;
  }
  static CommandOptions expecting_version(uint64_t version) {
    CommandOptions options;
    options.expected_version = version;
    return options;
  }
};

class BatchBuilder {
 public:
  BatchBuilder() = default;
  // Commands view the builder's own strings: a copy would view the original's. Moving is
  // safe (neither the deque's strings nor the views move).
  BatchBuilder(const BatchBuilder&) = delete;
  BatchBuilder& operator=(const BatchBuilder&) = delete;
  BatchBuilder(BatchBuilder&&) = default;
  BatchBuilder& operator=(BatchBuilder&&) = default;

  // `account_id` empty: the server generates one (returned in the result).
  BatchBuilder& open_account(std::string_view account_id, std::string_view owner,
                             std::string_view currency, AccountType type = AccountType::Checking,
                             int64_t overdraft_limit = 0, int64_t initial_deposit = 0);
  BatchBuilder& deposit(std::string_view account_id, int64_t amount,
                        const CommandOptions& options = {});
  BatchBuilder& withdraw(std::string_view account_id, int64_t amount,
                         const CommandOptions& options = {});
  BatchBuilder& transfer(std::string_view from_account_id, std::string_view to_account_id,
                         int64_t amount, const CommandOptions& options = {});
  BatchBuilder& freeze(std::string_view account_id, std::string_view reason,
                       const CommandOptions& options = {});
  BatchBuilder& unfreeze(std::string_view account_id, const CommandOptions& options = {});
  BatchBuilder& close(std::string_view account_id, const CommandOptions& options = {});
  // All commands apply, or none do.
  BatchBuilder& atomic(bool value = true);

  size_t size() const { return commands_.size(); }
  bool empty() const { return commands_.empty(); }
  void clear();

  // Appends the framed Request (length header included) carrying these commands to `out`.
  void encode(const Id128& request_id, std::vector<uint8_t>& out) const;

 private:
  std::string_view keep(std::string_view text);
  Command& add(CommandType type, std::string_view account_id, const CommandOptions& options);
  // A money movement's own options: currency and transaction text.
  void add_movement_options(Command& command, const CommandOptions& options);

  std::deque<std::string> strings_;  // a deque: growing it never moves the strings viewed
  std::vector<Command> commands_;
  bool atomic_ = false;
};

}  // namespace tally::client
