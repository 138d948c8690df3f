// Ledger: the business rules. Applies batches of commands to the accounts and records each
// outcome as one ring entry (an event, or the replayed answer to a retry).
//
// Owned by the business-logic thread, the only writer of account state; no other thread may
// call it. Deterministic: the same batches with the same timestamps give the same entries,
// byte for byte in their encoding. Allocates only when a table grows past its reserved size.
//
// Per batch, in order:
//  1. retry check: if the request id is remembered with the same commands (same count, same
//     fingerprint over all of them), the batch is answered from the window and nothing new is
//     written; if it is remembered with other commands, every command is rejected with
//     RequestIdReused;
//  2. otherwise each command is validated and applied; a failing one becomes a CommandRejected
//     event with its reason. In an atomic batch the first failure undoes the batch: the failing
//     command keeps its reason and every other command is rejected with LinkedCommandFailed.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "engine/base/limits.h"
#include "engine/base/status.h"
#include "engine/ledger/account_directory.h"
#include "engine/ledger/complete_requests.h"
#include "engine/ledger/idempotency_window.h"
#include "engine/ledger/outcome_slots.h"
#include "engine/ledger/transaction_registry.h"
#include "engine/wire/command.h"
#include "engine/wire/fingerprint.h"

namespace tally {

class Ledger {
 public:
  // Throws std::invalid_argument if limits.validate() finds a problem (start-up only).
  explicit Ledger(const LedgerLimits& limits);
  Ledger(const Ledger&) = delete;
  Ledger& operator=(const Ledger&) = delete;

  // Writes exactly batch.commands.size() entries into out[0..n). The caller ensures
  // 1 <= n <= limits().batch_commands_max and out.count == n. `now_ns` is the wall clock;
  // timestamps never go backwards even if it does.
  void apply(const CommandBatch& batch, int64_t now_ns, const OutcomeSlots& out);

  // Hints for a batch that will be applied soon (the processor overlaps small requests): fetch
  // the table slots of its first accounts, and later their records. Change nothing.
  void prefetch_slots(const CommandBatch& batch) const;
  void prefetch_records(const CommandBatch& batch) const;

  // Recovery: feeds one journaled event (never a replayed answer), in sequence order. A
  // request's events take effect (accounts, transaction ids, retry window) only when its last
  // event (kLastInRequest) arrives: a request the journal holds only part of was never
  // acknowledged, so it stays without effect, though its sequences stay used. Returns ok, or
  // kCorruption saying which event contradicts the state and how ("event N: ...").
  Status replay(const Outcome& event);
  // True while a replayed request's last event has not come yet (its effects are not applied,
  // so the state is not "as of" the last replayed sequence: no snapshot may be taken).
  bool replay_in_progress() const { return replay_requests_.in_progress(); }
  // The last sequence of the last request replay() applied whole (or restore_position's): the
  // state is exactly "as of" it. Requests cut by a crash (never completed) are not counted.
  uint64_t replayed_complete_sequence() const { return replay_requests_.complete_through(); }

  // Snapshots: what a snapshot carries beside accounts(), and restoring it into a ledger that
  // has applied nothing yet: accounts, transaction ids, remembered requests oldest first, then
  // the position. Business-logic thread (or the thread that owns a mirror ledger).
  int64_t timestamp_ns() const { return timestamp_ns_; }
  const TransactionRegistry& transactions() const { return transactions_; }
  const IdempotencyWindow& window() const { return window_; }
  // kCorruption naming the account if its id is already present: a snapshot lists each account
  // once, so one listed twice is corrupt (not a question the caller may answer otherwise). With
  // the id's hash (AccountDirectory::hash_of), restores can be prefetched a few accounts ahead.
  Status restore_account(std::string_view account_id, const Account& account) {
    return restore_account(account_id, AccountDirectory::hash_of(account_id), account);
  }
  Status restore_account(std::string_view account_id, uint64_t hash, const Account& account);
  void prefetch_restore(uint64_t hash) const { accounts_.prefetch_slot(hash); }
  void restore_transaction(const Id128& transaction_id) { transactions_.add(transaction_id); }
  void restore_request(const Id128& request_id, uint64_t fingerprint,
                       std::span<const RememberedOutcome> outcomes);
  void restore_position(uint64_t next_sequence, int64_t timestamp_ns);

  uint64_t next_sequence() const { return next_sequence_; }
  const AccountDirectory& accounts() const { return accounts_; }
  const LedgerLimits& limits() const { return limits_; }
  size_t transaction_count() const { return transactions_.size(); }

  // Bytes of the account state alone (directory), and of everything the ledger holds.
  size_t account_memory_bytes() const { return accounts_.memory_bytes(); }
  size_t memory_bytes() const;

 private:
  enum class RetryVerdict { kNew, kRetry, kRequestIdReused };

  // A command's account hashes, computed once per batch for prefetching and lookups.
  struct AccountHashes {
    uint64_t account = 0;
    uint64_t counterparty = 0;
  };

  struct UndoEntry {
    enum class Kind : uint8_t { kAccountChanged, kAccountOpened, kTransactionAdded };
    Kind kind;
    AccountRef account = kNoAccount;
    Account previous;
    Id128 transaction_id;
  };

  RetryVerdict check_retry(const CommandBatch& batch);
  void apply_each(const CommandBatch& batch, const OutcomeSlots& out);
  void apply_atomic(const CommandBatch& batch, const OutcomeSlots& out);
  void answer_retry(const CommandBatch& batch, const OutcomeSlots& out);
  void reject_all(const CommandBatch& batch, ResultCode code, const OutcomeSlots& out);
  void remember_outcomes(const CommandBatch& batch, const OutcomeSlots& out);
  void prepare_batch(const CommandBatch& batch);
  void prefetch_ahead(uint32_t index, uint32_t count) const;

  void begin_event(const CommandBatch& batch, uint32_t index, Outcome& event);
  ResultCode execute(const Command& command, const AccountHashes& hashes, Outcome& event);
  void record_rejection(const Command& command, ResultCode code, Outcome& event);

  ResultCode open_account(const Command& command, Outcome& event);
  // Deposit and Withdraw: one rule but for the direction.
  ResultCode move_money(const Command& command, const AccountHashes& hashes, Outcome& event);
  ResultCode transfer(const Command& command, const AccountHashes& hashes, Outcome& event);
  // Freeze checks its reason, then changes the status as unfreeze and close do.
  ResultCode freeze(const Command& command, const AccountHashes& hashes, Outcome& event);
  // Freeze (to Frozen), unfreeze (to Active) and close (to Closed): one rule but for the
  // status they set, which says which accounts may take it (outcome_fields.h: the event).
  ResultCode change_status(const Command& command, const AccountHashes& hashes,
                           AccountStatus status, Outcome& event);

  // Shared checks: the account exists, is not closed, (optionally) not frozen, at the version.
  ResultCode find_usable(std::string_view account_id, uint64_t hash, bool allow_frozen,
                         const std::optional<uint64_t>& expected_version, AccountRef& found);
  ResultCode check_transaction_id(const Id128& transaction_id) const;

  Status replay_request(std::span<const Outcome> request);
  // kCorruption without the event's sequence (replay_request adds it).
  Status replay_effect(const Outcome& event);
  Status replay_change(std::string_view account_id, int64_t balance, uint64_t version,
                       std::optional<AccountStatus> status);

  void change_account(AccountRef ref, const Account& updated);
  void add_transaction(const Id128& transaction_id);
  void rollback();

  LedgerLimits limits_;
  AccountDirectory accounts_;
  IdempotencyWindow window_;
  TransactionRegistry transactions_;
  uint64_t next_sequence_ = 1;
  int64_t timestamp_ns_ = 0;
  bool recording_undo_ = false;
  std::vector<UndoEntry> undo_log_;          // reserved at start-up: 3 entries per command
  std::vector<AccountHashes> hashes_;        // per command of the current batch
  uint64_t request_fingerprint_ = 0;         // of the current batch (request_fingerprint)
  std::vector<RememberedOutcome> outcomes_;  // the current batch's, for the window
  CompleteRequests<> replay_requests_;       // recovery: the one rule for partial requests
};

}  // namespace tally
