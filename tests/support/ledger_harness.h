// LedgerHarness: drives a Ledger directly (no threads) for tests: builds commands, applies
// batches with unique request ids and a deterministic clock, and returns the entries written.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/ledger/ledger.h"
#include "engine/wire/command.h"
#include "engine/wire/outcome.h"

namespace tally::testing {

Command open_command(std::string_view account_id, std::string_view currency = "EUR",
                     int64_t initial_deposit = 0, int64_t overdraft_limit = 0,
                     std::string_view owner = "Ada Lovelace");
Command deposit_command(std::string_view account_id, int64_t amount);
Command withdraw_command(std::string_view account_id, int64_t amount);
Command transfer_command(std::string_view from_account_id, std::string_view to_account_id,
                         int64_t amount);
Command freeze_command(std::string_view account_id, std::string_view reason = "audit");
Command unfreeze_command(std::string_view account_id);
Command close_command(std::string_view account_id);

// One account as a test compares it, and every account of a ledger sorted by id: two ledgers
// with equal images hold the same state.
struct AccountImage {
  std::string id;
  int64_t balance = 0;
  uint64_t version = 0;
  AccountStatus status = AccountStatus::Active;
  uint32_t currency = 0;
  int64_t overdraft_limit = 0;
  friend bool operator==(const AccountImage&, const AccountImage&) = default;
};
std::vector<AccountImage> image_of(const Ledger& ledger);

// Events from a real ledger: an opening of "acc-0000001", then `count - 1` deposits to it.
std::vector<Outcome> make_deposit_events(int count);

class LedgerHarness {
 public:
  explicit LedgerHarness(const LedgerLimits& limits = LedgerLimits{});

  // Applies one batch under a fresh request id; returns its entries in order.
  std::vector<Outcome> apply(std::span<const Command> commands, bool atomic = false);
  // Applies one batch under `request_id` (for retry tests).
  std::vector<Outcome> apply_with_id(const Id128& request_id, std::span<const Command> commands,
                                     bool atomic = false);
  // One command in a batch of its own.
  Outcome apply_one(const Command& command);

  Ledger& ledger() { return ledger_; }
  const Account* find(std::string_view account_id) const;

  // The clock the next batch will see; it advances 1 microsecond per batch.
  int64_t now_ns = 1'700'000'000'000'000'000;

 private:
  Ledger ledger_;
  uint64_t next_request_ = 1;
};

}  // namespace tally::testing
