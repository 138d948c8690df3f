#include "engine/ledger/ledger.h"

#include <algorithm>
#include <cstring>

#include "engine/base/checked_math.h"
#include "engine/base/hashing.h"
#include "engine/base/id_text.h"
#include "engine/base/invariant.h"
#include "engine/base/text_validation.h"
#include "engine/base/validated.h"
#include "engine/ledger/outcome_fields.h"

namespace tally {
Ledger::Ledger(const LedgerLimits& limits)
    : limits_(validated(limits, "ledger limits")),
      accounts_(limits.initial_account_capacity),
      window_(limits.idempotency_window),
      transactions_(limits.transaction_ids_max, limits.initial_transaction_capacity) {
  // At most three undo entries per command: a transfer's two accounts and its transaction id.
  undo_log_.reserve(3 * size_t{limits.batch_commands_max});
  hashes_.resize(limits.batch_commands_max);
  outcomes_.reserve(limits.batch_commands_max);
}

size_t Ledger::memory_bytes() const {
  return accounts_.memory_bytes() + window_.memory_bytes() + transactions_.memory_bytes() +
         undo_log_.capacity() * sizeof(UndoEntry) +
         outcomes_.capacity() * sizeof(RememberedOutcome);
}

void Ledger::apply(const CommandBatch& batch, int64_t now_ns, const OutcomeSlots& out) {
  const size_t count = batch.commands.size();
  TALLY_ASSERT(count >= 1);
  TALLY_ASSERT(count <= limits_.batch_commands_max);
  TALLY_ASSERT(out.count == count);
  timestamp_ns_ = std::max(timestamp_ns_, now_ns);

  const uint64_t first_sequence = next_sequence_;
  prepare_batch(batch);
  const RetryVerdict verdict = check_retry(batch);
  switch (verdict) {
    case RetryVerdict::kNew:
      if (batch.atomic) {
        apply_atomic(batch, out);
      } else {
        apply_each(batch, out);
      }
      remember_outcomes(batch, out);
      break;
    case RetryVerdict::kRetry:
      answer_retry(batch, out);
      break;
    case RetryVerdict::kRequestIdReused:
      reject_all(batch, ResultCode::RequestIdReused, out);
      break;
  }
  // What the ring's consumers rely on: a request's events take the next sequences, one each
  // (begin_event hands them out in order; an atomic batch that failed reuses its own), and a
  // retry's answers take none.
  TALLY_ASSERT(next_sequence_ == first_sequence + (verdict == RetryVerdict::kRetry ? 0 : count));
  out[out.count - 1].flags |= kLastInRequest;
}

Ledger::RetryVerdict Ledger::check_retry(const CommandBatch& batch) {
  if (!window_.enabled()) {
    return RetryVerdict::kNew;
  }
  const auto count = static_cast<uint32_t>(batch.commands.size());
  const RememberedRequest* remembered = window_.find(batch.request_id);
  if (remembered == nullptr) {
    return RetryVerdict::kNew;
  }
  const bool same = remembered->count == count && remembered->fingerprint == request_fingerprint_;
  return same ? RetryVerdict::kRetry : RetryVerdict::kRequestIdReused;
}

// Software pipelining over the batch: while command i runs, the table slots of command
// i + kSlotDistance and the record of command i + kRecordDistance (whose slot is cached by
// then) are on their way, so a batch's cache misses overlap instead of queueing.
constexpr uint32_t kSlotDistance = 24;
constexpr uint32_t kRecordDistance = 12;
constexpr uint32_t kCommandDistance = 4;

void Ledger::prepare_batch(const CommandBatch& batch) {
  // One pass over the commands (their first touch): the request's fingerprint for the retry
  // check unless the submitter computed it, account hashes for lookups, the first prefetches.
  const bool fingerprinting = window_.enabled() && batch.fingerprint == kFingerprintNotComputed;
  request_fingerprint_ = fingerprinting ? 0 : batch.fingerprint;
  const auto count = static_cast<uint32_t>(batch.commands.size());
  for (uint32_t index = 0; index < count; ++index) {
    if (index + kCommandDistance < count) {  // commands arrive cold from another core
      const auto* ahead = reinterpret_cast<const char*>(&batch.commands[index + kCommandDistance]);
      for (size_t offset = 0; offset < sizeof(Command); offset += 64) {
        __builtin_prefetch(ahead + offset);
      }
    }
    const Command& command = batch.commands[index];
    if (fingerprinting) {
      request_fingerprint_ =
          add_to_request_fingerprint(request_fingerprint_, command_fingerprint(command, batch));
    }
    AccountHashes& hashes = hashes_[index];
    hashes.account = AccountDirectory::hash_of(command.account_id);
    hashes.counterparty =
        command.counterparty_id.empty() ? 0 : AccountDirectory::hash_of(command.counterparty_id);
    if (index < kSlotDistance) {  // prime the pipeline
      accounts_.prefetch_slot(hashes.account);
      if (hashes.counterparty != 0)
        accounts_.prefetch_slot(hashes.counterparty);
    }
  }
  if (fingerprinting) {
    request_fingerprint_ = finish_request_fingerprint(request_fingerprint_);
  }
  for (uint32_t index = 0; index < std::min(count, kRecordDistance); ++index) {
    accounts_.prefetch_record(hashes_[index].account);
    if (hashes_[index].counterparty != 0)
      accounts_.prefetch_record(hashes_[index].counterparty);
  }
}

// How many of an upcoming batch's commands the cross-batch hints cover: the batch's own
// pipelining (prepare_batch, prefetch_ahead) takes over from there.
constexpr size_t kHintedCommands = 4;

void Ledger::prefetch_slots(const CommandBatch& batch) const {
  for (const Command& command :
       batch.commands.first(std::min(batch.commands.size(), kHintedCommands))) {
    accounts_.prefetch_slot(AccountDirectory::hash_of(command.account_id));
    if (!command.counterparty_id.empty()) {
      accounts_.prefetch_slot(AccountDirectory::hash_of(command.counterparty_id));
    }
  }
}

void Ledger::prefetch_records(const CommandBatch& batch) const {
  for (const Command& command :
       batch.commands.first(std::min(batch.commands.size(), kHintedCommands))) {
    accounts_.prefetch_record(AccountDirectory::hash_of(command.account_id));
    if (!command.counterparty_id.empty()) {
      accounts_.prefetch_record(AccountDirectory::hash_of(command.counterparty_id));
    }
  }
}

void Ledger::prefetch_ahead(uint32_t index, uint32_t count) const {
  if (index + kSlotDistance < count) {
    const AccountHashes& ahead = hashes_[index + kSlotDistance];
    accounts_.prefetch_slot(ahead.account);
    if (ahead.counterparty != 0)
      accounts_.prefetch_slot(ahead.counterparty);
  }
  if (index + kRecordDistance < count) {
    const AccountHashes& ahead = hashes_[index + kRecordDistance];
    accounts_.prefetch_record(ahead.account);
    if (ahead.counterparty != 0)
      accounts_.prefetch_record(ahead.counterparty);
  }
}

void Ledger::apply_each(const CommandBatch& batch, const OutcomeSlots& out) {
  for (uint32_t index = 0; index < out.count; ++index) {
    prefetch_ahead(index, out.count);
    const Command& command = batch.commands[index];
    Outcome& event = out[index];
    begin_event(batch, index, event);
    const ResultCode code = execute(command, hashes_[index], event);
    if (!is_ok(code)) {
      record_rejection(command, code, event);
    }
  }
}

void Ledger::apply_atomic(const CommandBatch& batch, const OutcomeSlots& out) {
  const uint64_t first_sequence = next_sequence_;
  const size_t accounts_before = accounts_.size();
  const size_t transactions_before = transactions_.size();
  undo_log_.clear();
  recording_undo_ = true;
  uint32_t failed_index = out.count;
  ResultCode failure = ResultCode::Ok;
  for (uint32_t index = 0; index < out.count; ++index) {
    prefetch_ahead(index, out.count);
    Outcome& event = out[index];
    begin_event(batch, index, event);
    failure = execute(batch.commands[index], hashes_[index], event);
    if (!is_ok(failure)) {
      failed_index = index;
      break;
    }
  }
  recording_undo_ = false;
  if (failed_index == out.count) {
    return;
  }
  // Undo, then record the whole batch as rejected under the same sequences.
  rollback();
  TALLY_ASSERT(accounts_.size() == accounts_before && transactions_.size() == transactions_before);
  next_sequence_ = first_sequence;
  for (uint32_t index = 0; index < out.count; ++index) {
    Outcome& event = out[index];
    begin_event(batch, index, event);
    const ResultCode code = index == failed_index ? failure : ResultCode::LinkedCommandFailed;
    record_rejection(batch.commands[index], code, event);
  }
}

void Ledger::answer_retry(const CommandBatch& batch, const OutcomeSlots& out) {
  const RememberedRequest* request = window_.find(batch.request_id);
  TALLY_ASSERT(request != nullptr);
  TALLY_ASSERT(request->count == out.count);
  for (uint32_t index = 0; index < out.count; ++index) {
    const RememberedOutcome& outcome = window_.outcome(*request, index);
    const Command& command = batch.commands[index];
    Outcome& answer = out[index];
    answer = Outcome{};
    record_remembered(outcome, answer);
    answer.timestamp_ns = timestamp_ns_;
    answer.origin = batch.origin;
    answer.request_id = batch.request_id;
    answer.command_index = static_cast<uint16_t>(index);
    answer.fingerprint = request_fingerprint_;
    const bool generated = command.type == CommandType::OpenAccount && command.account_id.empty() &&
                           is_ok(outcome.code);
    if (generated) {
      answer.account_id.assign(GeneratedAccountId(outcome.sequence).view());
    } else {
      answer.account_id.assign_truncated(command.account_id);
    }
  }
}

void Ledger::reject_all(const CommandBatch& batch, ResultCode code, const OutcomeSlots& out) {
  for (uint32_t index = 0; index < out.count; ++index) {
    Outcome& event = out[index];
    begin_event(batch, index, event);
    record_rejection(batch.commands[index], code, event);
  }
}

void Ledger::remember_outcomes(const CommandBatch& batch, const OutcomeSlots& out) {
  if (!window_.enabled()) {
    return;
  }
  outcomes_.clear();
  for (uint32_t index = 0; index < out.count; ++index) {
    outcomes_.push_back(remembered_outcome(out[index]));
  }
  window_.remember(batch.request_id, request_fingerprint_, outcomes_);
}

void Ledger::begin_event(const CommandBatch& batch, uint32_t index, Outcome& event) {
  const Command& command = batch.commands[index];
  // Field by field rather than `event = Outcome{}`: zeroing 384 bytes per command costs more than
  // the rule checks; every field a consumer reads is set here or by the command's handler.
  event.sequence = next_sequence_++;
  event.timestamp_ns = timestamp_ns_;
  event.origin = batch.origin;
  event.request_id = batch.request_id;
  event.command_index = static_cast<uint16_t>(index);
  event.type = EventType::Unknown;
  event.command_type = command.type;
  event.code = ResultCode::Ok;
  event.flags = static_cast<uint8_t>((command.transaction_id.is_zero() ? 0 : kHasTransactionId) |
                                     (batch.atomic ? kAtomicBatch : 0));
  event.account_type = AccountType::Checking;
  event.amount = command.amount;
  event.balance = 0;
  event.version = 0;
  event.counterparty_balance = 0;
  event.counterparty_version = 0;
  event.transaction_id = command.transaction_id;
  event.overdraft_limit = 0;
  event.fingerprint = request_fingerprint_;
  event.currency = CurrencyCode();
  event.account_id.assign_truncated(command.account_id);
  event.counterparty_id.assign_truncated(command.counterparty_id);
  event.text.clear();
  // A money movement keeps its transaction text, applied or rejected, when it is well formed:
  // a rejection shows what was sent (even a text that names other bits), but a malformed text,
  // or one without bits, is not kept (the journal could not store or show it).
  if (moves_money(command.type) && !command.transaction_id.is_zero() &&
      is_valid_transaction_text(command.transaction_text)) {
    event.text.assign(command.transaction_text);
  }
}

ResultCode Ledger::execute(const Command& command, const AccountHashes& hashes, Outcome& event) {
  switch (command.type) {
    case CommandType::OpenAccount:
      return open_account(command, event);
    case CommandType::Deposit:
    case CommandType::Withdraw:
      return move_money(command, hashes, event);
    case CommandType::Transfer:
      return transfer(command, hashes, event);
    case CommandType::FreezeAccount:
      return freeze(command, hashes, event);
    case CommandType::UnfreezeAccount:
      return change_status(command, hashes, AccountStatus::Active, event);
    case CommandType::CloseAccount:
      return change_status(command, hashes, AccountStatus::Closed, event);
    default:
      return ResultCode::InvalidArgument;
  }
}

void Ledger::record_rejection(const Command& command, ResultCode code, Outcome& event) {
  TALLY_ASSERT(!is_ok(code));
  event.type = EventType::CommandRejected;
  event.code = code;
  // What the client sent: an open that failed after generating an id did not open anything.
  event.account_id.assign_truncated(command.account_id);
  event.balance = 0;
  event.version = 0;
  event.counterparty_balance = 0;
  event.counterparty_version = 0;
  // The current state of the account, if it exists, helps the client decide what to do next
  // (a version conflict's current version, say).
  if (const AccountRef ref = accounts_.find(command.account_id); ref != kNoAccount) {
    event.balance = accounts_.at(ref).balance;
    event.version = accounts_.at(ref).version;
  }
  if (command.type == CommandType::OpenAccount) {
    event.text.assign_truncated(command.owner);
  } else if (command.type == CommandType::FreezeAccount) {
    event.text.assign_truncated(command.reason);
  }
}

ResultCode Ledger::find_usable(std::string_view account_id, uint64_t hash, bool allow_frozen,
                               const std::optional<uint64_t>& expected_version, AccountRef& found) {
  const AccountRef ref = accounts_.find(account_id, hash);
  if (ref == kNoAccount) {
    return ResultCode::AccountNotFound;
  }
  const Account& account = accounts_.at(ref);
  if (account.status == AccountStatus::Closed) {
    return ResultCode::AccountClosed;
  }
  if (!allow_frozen && account.status == AccountStatus::Frozen) {
    return ResultCode::AccountFrozen;
  }
  if (expected_version && *expected_version != account.version) {
    return ResultCode::VersionConflict;
  }
  found = ref;
  return ResultCode::Ok;
}

ResultCode Ledger::check_transaction_id(const Id128& transaction_id) const {
  if (transaction_id.is_zero()) {
    return ResultCode::Ok;
  }
  if (transactions_.contains(transaction_id)) {
    return ResultCode::DuplicateTransaction;
  }
  if (transactions_.is_full()) {
    return ResultCode::LimitExceeded;
  }
  return ResultCode::Ok;
}

void Ledger::change_account(AccountRef ref, const Account& updated) {
  Account& account = accounts_.at(ref);
  if (recording_undo_) {
    undo_log_.push_back({.kind = UndoEntry::Kind::kAccountChanged,
                         .account = ref,
                         .previous = account,
                         .transaction_id = {}});
  }
  TALLY_ASSERT(updated.version == account.version + 1);
  TALLY_ASSERT(updated.balance >= -updated.overdraft_limit);
  account = updated;
}

void Ledger::add_transaction(const Id128& transaction_id) {
  if (transaction_id.is_zero()) {
    return;
  }
  transactions_.add(transaction_id);
  if (recording_undo_) {
    undo_log_.push_back({.kind = UndoEntry::Kind::kTransactionAdded,
                         .account = kNoAccount,
                         .previous = {},
                         .transaction_id = transaction_id});
  }
}

void Ledger::rollback() {
  for (auto entry = undo_log_.rbegin(); entry != undo_log_.rend(); ++entry) {
    switch (entry->kind) {
      case UndoEntry::Kind::kAccountChanged:
        accounts_.at(entry->account) = entry->previous;
        break;
      case UndoEntry::Kind::kTransactionAdded:
        transactions_.remove(entry->transaction_id);
        break;
      case UndoEntry::Kind::kAccountOpened:
        accounts_.remove_last(entry->account);
        break;
    }
  }
  undo_log_.clear();
}

}  // namespace tally
