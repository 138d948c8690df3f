// Export rows: how events become the rows of the export tables (export_schema.h), in COPY's
// binary format (copy_rows.h), with the columns in the order the writer's COPY statements name
// them and of their types.
//
// - An event row: every field the event carries that means something for its type; the rest
//   NULL (a counterparty's balance only on a transfer, an owner only on an opening, ...).
//   Enums by their schema names ("Deposited", "InsufficientFunds", "Ok" for success). A
//   transaction id as the client gave it, else its lower-case UUID.
// - AccountChanges: each account's final state after a run of events, one row per account
//   named by an accepted event. Fields the events did not fix (an account opened in an earlier
//   batch keeps its owner) are NULL, for the upsert to keep the stored ones.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/base/status.h"
#include "engine/wire/outcome.h"
#include "tools/export/copy_rows.h"

namespace tally::exporter {

// The columns, in order, that append_event_row and AccountChanges::append_rows write.
inline constexpr std::string_view kEventColumns =
    "sequence, timestamp, timestamp_ns, type, command_type, result, request_id, command_index, "
    "account_id, counterparty_id, amount, balance, version, counterparty_balance, "
    "counterparty_version, transaction_id, owner, reason, currency, account_type, "
    "overdraft_limit";
inline constexpr std::string_view kAccountColumns =
    "account_id, owner, currency, account_type, status, balance, version, overdraft_limit, "
    "opened_at, updated_at, last_sequence";

// Ok if the exporter knows `event`'s type, else why it refuses it (an event from a newer
// server, whose effect on accounts and statements it cannot know).
Status check_event_type(const Outcome& event);

void append_event_row(CopyRows& rows, const Outcome& event);

class AccountChanges {
 public:
  // Folds an event in: events in sequence order. Rejections change nothing.
  void apply(const Outcome& event);
  // One row per changed account (kAccountColumns), in the order they were first changed.
  void append_rows(CopyRows& rows) const;
  size_t size() const { return changes_.size(); }
  void clear();

 private:
  struct Opening {
    std::string owner;
    std::string currency;
    AccountType account_type = AccountType::Checking;
    int64_t overdraft_limit = 0;
    int64_t opened_ns = 0;
  };
  struct Change {
    std::string account_id;
    std::optional<Opening> opening;       // set if opened by these events
    std::optional<AccountStatus> status;  // set if these events fixed it
    int64_t balance = 0;
    uint64_t version = 0;
    int64_t updated_ns = 0;
    uint64_t last_sequence = 0;
  };
  Change& change_of(std::string_view account_id);
  static void set_state(Change& change, const Outcome& event, int64_t balance, uint64_t version);

  std::vector<Change> changes_;
  std::unordered_map<std::string, size_t> index_;
};

}  // namespace tally::exporter
