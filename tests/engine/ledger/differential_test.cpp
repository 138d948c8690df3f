// Differential test of the ledger: the same seeded random batches go to the real Ledger and to a
// small reference model written from the rules alone, and every entry must agree.
//
// The model favours plain, obviously right code over speed: ordered maps, a journal of the
// accounts an atomic batch touched, 128-bit arithmetic instead of overflow tricks. It shares
// nothing with the engine but the public types and command_fingerprint(), which defines what
// "the same command" means for an idempotent retry.
//
// TALLY_DIFFERENTIAL_COMMANDS scales every run (the main test runs that many commands, default
// 1,000,000; the others a fraction). TALLY_DIFFERENTIAL_SEED replaces the fixed seeds, to explore.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <functional>
#include <initializer_list>
#include <iostream>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/base/limits.h"
#include "engine/ledger/ledger.h"
#include "engine/wire/command.h"
#include "engine/wire/outcome.h"
#include "support/ledger_harness.h"

namespace tally {
namespace {

// Exact sums of balances and exact overflow checks, without borrowing the engine's helpers.
__extension__ typedef __int128 WideInteger;

constexpr int64_t kMoneyMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMoneyMin = std::numeric_limits<int64_t>::min();
constexpr uint64_t kDefaultCommandCount = 1'000'000;
constexpr size_t kBatchSizeMax = 8;

std::string wide_to_string(WideInteger value) {
  if (value == 0) {
    return "0";
  }
  const bool negative = value < 0;
  std::string digits;
  while (value != 0) {
    const auto digit = static_cast<int>(value % 10);
    digits.push_back(static_cast<char>('0' + (negative ? -digit : digit)));
    value /= 10;
  }
  if (negative) {
    digits.push_back('-');
  }
  return {digits.rbegin(), digits.rend()};
}

uint64_t environment_number(const char* name, uint64_t fallback) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') {
    return fallback;
  }
  char* end = nullptr;
  const unsigned long long value = std::strtoull(text, &end, 0);
  return (end != nullptr && *end == '\0') ? value : fallback;
}

// ---- The rules, written from the specification -------------------------------------------------

bool is_well_formed_utf8(std::string_view text) {
  size_t position = 0;
  while (position < text.size()) {
    const auto lead = static_cast<unsigned char>(text[position]);
    if (lead < 0x80) {
      ++position;
      continue;
    }
    size_t length = 0;
    uint32_t code_point = 0;
    uint32_t smallest_for_length = 0;
    if ((lead & 0xE0) == 0xC0) {
      length = 2;
      code_point = lead & 0x1Fu;
      smallest_for_length = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3;
      code_point = lead & 0x0Fu;
      smallest_for_length = 0x800;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4;
      code_point = lead & 0x07u;
      smallest_for_length = 0x10000;
    } else {
      return false;
    }
    if (position + length > text.size()) {
      return false;
    }
    for (size_t offset = 1; offset < length; ++offset) {
      const auto continuation = static_cast<unsigned char>(text[position + offset]);
      if ((continuation & 0xC0) != 0x80) {
        return false;
      }
      code_point = (code_point << 6) | (continuation & 0x3Fu);
    }
    const bool overlong = code_point < smallest_for_length;
    const bool surrogate = code_point >= 0xD800 && code_point <= 0xDFFF;
    if (overlong || surrogate || code_point > 0x10FFFF) {
      return false;
    }
    position += length;
  }
  return true;
}

bool is_acceptable_client_account_id(std::string_view account_id) {
  if (account_id.empty() || account_id.size() > 64 || account_id.starts_with("tally:")) {
    return false;
  }
  for (const char character : account_id) {
    const bool allowed = (character >= 'A' && character <= 'Z') ||
                         (character >= 'a' && character <= 'z') ||
                         (character >= '0' && character <= '9') || character == '.' ||
                         character == '_' || character == ':' || character == '-';
    if (!allowed) {
      return false;
    }
  }
  return true;
}

bool is_currency_code(std::string_view text) {
  return text.size() == 3 && std::all_of(text.begin(), text.end(), [](char letter) {
           return letter >= 'A' && letter <= 'Z';
         });
}

struct ModelAccount {
  int64_t balance = 0;
  int64_t overdraft_limit = 0;
  uint64_t version = 0;
  std::string currency;
  AccountStatus status = AccountStatus::Active;
  AccountType type = AccountType::Checking;
};

// What the model predicts for one entry of the ring.
struct ExpectedEntry {
  ResultCode code = ResultCode::Ok;
  EventType type = EventType::Unknown;
  uint64_t sequence = 0;
  int64_t balance = 0;
  uint64_t version = 0;
  int64_t counterparty_balance = 0;
  uint64_t counterparty_version = 0;
  bool replayed = false;
  std::string opened_account_id;  // OpenAccount successes: the id given or generated
};

class ReferenceLedger {
 public:
  using Accounts = std::map<std::string, ModelAccount, std::less<>>;

  explicit ReferenceLedger(const LedgerLimits& limits) : limits_(limits) {}

  std::vector<ExpectedEntry> apply(const CommandBatch& batch) {
    const size_t count = batch.commands.size();
    std::vector<ExpectedEntry> entries(count);
    std::vector<uint64_t> fingerprints(count);
    for (size_t index = 0; index < count; ++index) {
      fingerprints[index] = command_fingerprint(batch.commands[index], batch);
    }

    if (limits_.idempotency_window > 0) {
      const auto found = window_.find(window_key(batch));
      if (found != window_.end() && found->second.fingerprints == fingerprints) {
        return found->second.answers;
      }
      if (found != window_.end()) {
        for (size_t index = 0; index < count; ++index) {
          entries[index].sequence = next_sequence_++;
          reject(batch.commands[index], ResultCode::RequestIdReused, entries[index]);
        }
        return entries;  // not remembered: the original outcomes stay the answer to a retry
      }
    }

    if (batch.atomic) {
      apply_atomic(batch, entries);
    } else {
      apply_each(batch, entries);
    }
    if (limits_.idempotency_window > 0) {
      remember(window_key(batch), fingerprints, entries);
    }
    return entries;
  }

  const ModelAccount* find(std::string_view account_id) const {
    const auto found = accounts_.find(account_id);
    return found == accounts_.end() ? nullptr : &found->second;
  }
  const Accounts& accounts() const { return accounts_; }
  uint64_t next_sequence() const { return next_sequence_; }
  size_t transaction_count() const { return transactions_.size(); }

 private:
  // The window remembers whole requests: a retry must carry the same commands (fingerprint by
  // fingerprint), and the oldest requests are forgotten whole once their commands no longer
  // fit in `idempotency_window` commands.
  struct WindowKey {
    uint64_t request_low = 0;
    uint64_t request_high = 0;
    auto operator<=>(const WindowKey&) const = default;
  };
  struct WindowRecord {
    std::vector<uint64_t> fingerprints;
    std::vector<ExpectedEntry> answers;  // what a retry of each command is answered with
  };
  using TransactionKey = std::pair<uint64_t, uint64_t>;

  static WindowKey window_key(const CommandBatch& batch) {
    return {batch.request_id.low, batch.request_id.high};
  }

  void remember(const WindowKey& key, const std::vector<uint64_t>& fingerprints,
                const std::vector<ExpectedEntry>& outcomes) {
    if (outcomes.size() > limits_.idempotency_window) {
      return;
    }
    while (remembered_commands_ + outcomes.size() > limits_.idempotency_window) {
      const auto& [oldest, oldest_count] = window_order_.front();
      window_.erase(oldest);
      remembered_commands_ -= oldest_count;
      window_order_.pop_front();
    }
    WindowRecord record{.fingerprints = fingerprints, .answers = {}};
    for (const ExpectedEntry& outcome : outcomes) {
      ExpectedEntry answer;
      answer.code = outcome.code;
      answer.sequence = outcome.sequence;
      answer.balance = outcome.balance;
      answer.version = outcome.version;
      answer.opened_account_id = outcome.opened_account_id;
      answer.replayed = true;
      record.answers.push_back(answer);
    }
    window_.emplace(key, std::move(record));
    window_order_.emplace_back(key, outcomes.size());
    remembered_commands_ += outcomes.size();
  }

  void apply_each(const CommandBatch& batch, std::vector<ExpectedEntry>& entries) {
    for (size_t index = 0; index < entries.size(); ++index) {
      entries[index].sequence = next_sequence_++;
      const ResultCode code = execute(batch.commands[index], entries[index]);
      if (code != ResultCode::Ok) {
        reject(batch.commands[index], code, entries[index]);
      }
    }
  }

  void apply_atomic(const CommandBatch& batch, std::vector<ExpectedEntry>& entries) {
    const uint64_t first_sequence = next_sequence_;
    journaling_ = true;
    accounts_before_batch_.clear();
    transactions_added_in_batch_.clear();
    std::optional<size_t> failed_index;
    ResultCode failure = ResultCode::Ok;
    for (size_t index = 0; index < entries.size(); ++index) {
      entries[index].sequence = next_sequence_++;
      failure = execute(batch.commands[index], entries[index]);
      if (failure != ResultCode::Ok) {
        failed_index = index;
        break;
      }
    }
    journaling_ = false;
    if (!failed_index) {
      return;
    }
    undo_batch();
    for (size_t index = 0; index < entries.size(); ++index) {
      entries[index] = ExpectedEntry{};
      entries[index].sequence = first_sequence + index;
      reject(batch.commands[index],
             index == *failed_index ? failure : ResultCode::LinkedCommandFailed, entries[index]);
    }
    next_sequence_ = first_sequence + entries.size();
  }

  // A rejection shows the account as it is now, so a client can see why (a version, a balance).
  void reject(const Command& command, ResultCode code, ExpectedEntry& entry) const {
    entry.code = code;
    entry.type = EventType::CommandRejected;
    entry.balance = 0;
    entry.version = 0;
    entry.counterparty_balance = 0;
    entry.counterparty_version = 0;
    entry.opened_account_id.clear();
    if (const ModelAccount* account = find(command.account_id)) {
      entry.balance = account->balance;
      entry.version = account->version;
    }
  }

  ResultCode execute(const Command& command, ExpectedEntry& entry) {
    switch (command.type) {
      case CommandType::OpenAccount:
        return open_account(command, entry);
      case CommandType::Deposit:
        return deposit(command, entry);
      case CommandType::Withdraw:
        return withdraw(command, entry);
      case CommandType::Transfer:
        return transfer(command, entry);
      case CommandType::FreezeAccount:
        return freeze(command, entry);
      case CommandType::UnfreezeAccount:
        return unfreeze(command, entry);
      case CommandType::CloseAccount:
        return close(command, entry);
      default:
        return ResultCode::InvalidArgument;
    }
  }

  ResultCode open_account(const Command& command, ExpectedEntry& entry) {
    std::string account_id(command.account_id);
    if (account_id.empty()) {
      account_id = "tally:" + std::to_string(entry.sequence);
    } else if (!is_acceptable_client_account_id(account_id)) {
      return ResultCode::InvalidArgument;
    }
    if (command.owner.size() > 128 || !is_well_formed_utf8(command.owner)) {
      return ResultCode::InvalidArgument;
    }
    if (!is_currency_code(command.currency)) {
      return ResultCode::InvalidArgument;
    }
    if (command.account_type != AccountType::Checking &&
        command.account_type != AccountType::Savings) {
      return ResultCode::InvalidArgument;
    }
    if (command.overdraft_limit < 0) {
      return ResultCode::InvalidArgument;
    }
    if (command.amount < 0) {
      return ResultCode::InvalidAmount;
    }
    if (accounts_.contains(account_id)) {
      return ResultCode::AccountExists;
    }
    if (accounts_.size() >= limits_.accounts_max) {
      return ResultCode::LimitExceeded;
    }
    save_for_undo(account_id);
    accounts_[account_id] = ModelAccount{.balance = command.amount,
                                         .overdraft_limit = command.overdraft_limit,
                                         .version = 1,
                                         .currency = std::string(command.currency),
                                         .status = AccountStatus::Active,
                                         .type = command.account_type};
    entry.type = EventType::AccountOpened;
    entry.balance = command.amount;
    entry.version = 1;
    entry.opened_account_id = account_id;
    return ResultCode::Ok;
  }

  ResultCode deposit(const Command& command, ExpectedEntry& entry) {
    if (command.amount <= 0) {
      return ResultCode::InvalidAmount;
    }
    ModelAccount* account = nullptr;
    if (const ResultCode unusable =
            find_usable(command.account_id, false, command.expected_version, account);
        unusable != ResultCode::Ok) {
      return unusable;
    }
    if (const ResultCode taken = check_transaction_id(command.transaction_id);
        taken != ResultCode::Ok) {
      return taken;
    }
    if (WideInteger{account->balance} + command.amount > kMoneyMax) {
      return ResultCode::Overflow;
    }
    save_for_undo(command.account_id);
    account->balance += command.amount;
    ++account->version;
    record_transaction(command.transaction_id);
    entry.type = EventType::Deposited;
    entry.balance = account->balance;
    entry.version = account->version;
    return ResultCode::Ok;
  }

  ResultCode withdraw(const Command& command, ExpectedEntry& entry) {
    if (command.amount <= 0) {
      return ResultCode::InvalidAmount;
    }
    ModelAccount* account = nullptr;
    if (const ResultCode unusable =
            find_usable(command.account_id, false, command.expected_version, account);
        unusable != ResultCode::Ok) {
      return unusable;
    }
    if (const ResultCode taken = check_transaction_id(command.transaction_id);
        taken != ResultCode::Ok) {
      return taken;
    }
    // Computed exactly: a difference below INT64_MIN is also below -overdraft_limit.
    if (WideInteger{account->balance} - command.amount < -WideInteger{account->overdraft_limit}) {
      return ResultCode::InsufficientFunds;
    }
    save_for_undo(command.account_id);
    account->balance -= command.amount;
    ++account->version;
    record_transaction(command.transaction_id);
    entry.type = EventType::Withdrawn;
    entry.balance = account->balance;
    entry.version = account->version;
    return ResultCode::Ok;
  }

  ResultCode transfer(const Command& command, ExpectedEntry& entry) {
    if (command.amount <= 0) {
      return ResultCode::InvalidAmount;
    }
    if (command.account_id == command.counterparty_id) {
      return ResultCode::SameAccount;
    }
    ModelAccount* source = nullptr;
    if (const ResultCode unusable =
            find_usable(command.account_id, false, command.expected_version, source);
        unusable != ResultCode::Ok) {
      return unusable;
    }
    ModelAccount* destination = nullptr;
    if (const ResultCode unusable = find_usable(command.counterparty_id, false,
                                                command.expected_counterparty_version, destination);
        unusable != ResultCode::Ok) {
      return unusable;
    }
    if (source->currency != destination->currency) {
      return ResultCode::CurrencyMismatch;
    }
    if (const ResultCode taken = check_transaction_id(command.transaction_id);
        taken != ResultCode::Ok) {
      return taken;
    }
    if (WideInteger{source->balance} - command.amount < -WideInteger{source->overdraft_limit}) {
      return ResultCode::InsufficientFunds;
    }
    if (WideInteger{destination->balance} + command.amount > kMoneyMax) {
      return ResultCode::Overflow;
    }
    save_for_undo(command.account_id);
    save_for_undo(command.counterparty_id);
    source->balance -= command.amount;
    ++source->version;
    destination->balance += command.amount;
    ++destination->version;
    record_transaction(command.transaction_id);
    entry.type = EventType::Transferred;
    entry.balance = source->balance;
    entry.version = source->version;
    entry.counterparty_balance = destination->balance;
    entry.counterparty_version = destination->version;
    return ResultCode::Ok;
  }

  ResultCode freeze(const Command& command, ExpectedEntry& entry) {
    if (command.reason.size() > 128 || !is_well_formed_utf8(command.reason)) {
      return ResultCode::InvalidArgument;
    }
    ModelAccount* account = nullptr;
    if (const ResultCode unusable =
            find_usable(command.account_id, false, command.expected_version, account);
        unusable != ResultCode::Ok) {
      return unusable;
    }
    save_for_undo(command.account_id);
    account->status = AccountStatus::Frozen;
    ++account->version;
    entry.type = EventType::AccountFrozen;
    entry.balance = account->balance;
    entry.version = account->version;
    return ResultCode::Ok;
  }

  ResultCode unfreeze(const Command& command, ExpectedEntry& entry) {
    ModelAccount* account = nullptr;
    if (const ResultCode unusable =
            find_usable(command.account_id, true, command.expected_version, account);
        unusable != ResultCode::Ok) {
      return unusable;
    }
    if (account->status != AccountStatus::Frozen) {
      return ResultCode::AccountNotFrozen;
    }
    save_for_undo(command.account_id);
    account->status = AccountStatus::Active;
    ++account->version;
    entry.type = EventType::AccountUnfrozen;
    entry.balance = account->balance;
    entry.version = account->version;
    return ResultCode::Ok;
  }

  ResultCode close(const Command& command, ExpectedEntry& entry) {
    ModelAccount* account = nullptr;
    if (const ResultCode unusable =
            find_usable(command.account_id, false, command.expected_version, account);
        unusable != ResultCode::Ok) {
      return unusable;
    }
    if (account->balance != 0) {
      return ResultCode::BalanceNotZero;
    }
    save_for_undo(command.account_id);
    account->status = AccountStatus::Closed;
    ++account->version;
    entry.type = EventType::AccountClosed;
    entry.balance = account->balance;
    entry.version = account->version;
    return ResultCode::Ok;
  }

  // Existence, then closed, then frozen (unless the command allows it), then the version.
  ResultCode find_usable(std::string_view account_id, bool frozen_allowed,
                         const std::optional<uint64_t>& expected_version, ModelAccount*& account) {
    const auto found = accounts_.find(account_id);
    if (found == accounts_.end()) {
      return ResultCode::AccountNotFound;
    }
    if (found->second.status == AccountStatus::Closed) {
      return ResultCode::AccountClosed;
    }
    if (!frozen_allowed && found->second.status == AccountStatus::Frozen) {
      return ResultCode::AccountFrozen;
    }
    if (expected_version.has_value() && *expected_version != found->second.version) {
      return ResultCode::VersionConflict;
    }
    account = &found->second;
    return ResultCode::Ok;
  }

  ResultCode check_transaction_id(const Id128& transaction_id) const {
    if (transaction_id.low == 0 && transaction_id.high == 0) {
      return ResultCode::Ok;
    }
    if (transactions_.contains({transaction_id.low, transaction_id.high})) {
      return ResultCode::DuplicateTransaction;
    }
    if (transactions_.size() >= limits_.transaction_ids_max) {
      return ResultCode::LimitExceeded;
    }
    return ResultCode::Ok;
  }

  void record_transaction(const Id128& transaction_id) {
    if (transaction_id.low == 0 && transaction_id.high == 0) {
      return;
    }
    transactions_.insert({transaction_id.low, transaction_id.high});
    if (journaling_) {
      transactions_added_in_batch_.emplace_back(transaction_id.low, transaction_id.high);
    }
  }

  // Remembers an account as it was before the atomic batch touched it (nothing: not open yet).
  void save_for_undo(std::string_view account_id) {
    if (!journaling_ || accounts_before_batch_.contains(account_id)) {
      return;
    }
    std::optional<ModelAccount> before;
    if (const ModelAccount* account = find(account_id)) {
      before = *account;
    }
    accounts_before_batch_.emplace(std::string(account_id), before);
  }

  void undo_batch() {
    for (const auto& [account_id, before] : accounts_before_batch_) {
      if (before.has_value()) {
        accounts_[account_id] = *before;
      } else {
        accounts_.erase(account_id);
      }
    }
    for (const TransactionKey& transaction : transactions_added_in_batch_) {
      transactions_.erase(transaction);
    }
    accounts_before_batch_.clear();
    transactions_added_in_batch_.clear();
  }

  LedgerLimits limits_;
  Accounts accounts_;
  std::set<TransactionKey> transactions_;
  std::map<WindowKey, WindowRecord> window_;
  std::deque<std::pair<WindowKey, size_t>> window_order_;  // oldest first, with command counts
  size_t remembered_commands_ = 0;
  uint64_t next_sequence_ = 1;
  bool journaling_ = false;  // inside an atomic batch
  std::map<std::string, std::optional<ModelAccount>, std::less<>> accounts_before_batch_;
  std::vector<TransactionKey> transactions_added_in_batch_;
};

// ---- Workload ----------------------------------------------------------------------------------

// Relative weights of the command types, and how batches are formed.
struct WorkloadMix {
  int open = 8;
  int deposit = 24;
  int withdraw = 18;
  int transfer = 30;
  int freeze = 2;
  int unfreeze = 6;
  int close = 5;
  int unknown = 1;
  int atomic_percent = 25;
  int retry_percent = 6;               // re-send a recent batch unchanged
  int reused_request_id_percent = 4;   // re-send a recent request id with another payload
  int fresh_open_id_percent = 15;      // opens with a never-seen id of random length
  int generated_open_id_percent = 15;  // opens with an empty id (the engine names it)
  int failing_tail_percent = 0;        // append a command bound to fail (atomic undo)
  // Batches of well-formed money movements between usable accounts, so that atomic batches
  // commit too, not only undo.
  int careful_percent = 30;
};

enum class BatchKind { kNew, kRetry, kReusedRequestId };

const char* batch_kind_name(BatchKind kind) {
  switch (kind) {
    case BatchKind::kNew:
      return "new";
    case BatchKind::kRetry:
      return "retry";
    case BatchKind::kReusedRequestId:
      return "reused request id, other payload";
  }
  return "?";
}

struct GeneratedBatch {
  BatchKind kind = BatchKind::kNew;
  Id128 request_id;
  bool atomic = false;
  std::vector<Command> commands;  // views into BatchGenerator's stable storage
};

// Produces random batches. It peeks at the model's state so that versions, balances and ids are
// often right (otherwise nearly everything would be rejected); the strings it hands out live as
// long as the generator.
class BatchGenerator {
 public:
  BatchGenerator(uint64_t seed, const WorkloadMix& mix, const ReferenceLedger& model)
      : random_(seed), mix_(mix), model_(model) {
    for (int index = 0; index < 400; ++index) {
      fixed_ids_.push_back("acct-" + std::to_string(index));
    }
    fixed_ids_.push_back(std::string(64, 'L'));  // the longest id allowed
    fixed_ids_.push_back("A.b_c:d-9");           // every kind of character allowed
    for (int index = 0; index < 20; ++index) {
      ghost_ids_.push_back("ghost-" + std::to_string(index));  // never opened
    }
    invalid_ids_ = {std::string(65, 'x'), "has space",   "tally:1",
                    "slash/id",           "caf\xC3\xA9", std::string(200, 'y')};
    texts_ = {"Ada Lovelace",
              "",
              std::string(128, 'o'),
              std::string(126, 'o') + "\xC3\xA9",  // 128 bytes, ends in a two-byte character
              std::string(127, 'o') + "\xC3\xA9",  // 129 bytes
              std::string(129, 'o'),
              "\xF0\x9F\x92\xB0 savings",
              "\xEF\xBF\xBF and \xF4\x8F\xBF\xBF",  // U+FFFF and U+10FFFF: valid
              "\xC3\x28",                           // bad continuation
              "\xED\xA0\x80",                       // surrogate
              "\xF4\x90\x80\x80",                   // above U+10FFFF
              "\xE0\x80\xAF",                       // overlong
              "\xC0\xAF",                           // overlong
              "caf\xC3",                            // truncated
              "\xFF"};
    currencies_ = {"EUR", "USD", "eur", "EU", "EURO", "", "E1R", "EU\xC3"};
    const int weights[] = {mix.unknown,  mix.open,   mix.deposit,  mix.withdraw,
                           mix.transfer, mix.freeze, mix.unfreeze, mix.close};
    command_type_distribution_ =
        std::discrete_distribution<int>(std::begin(weights), std::end(weights));
  }

  GeneratedBatch next() {
    GeneratedBatch batch;
    careful_ = false;
    const int roll = percent();
    if (!recent_batches_.empty() && roll < mix_.retry_percent) {
      batch = pick_recent_batch();
      batch.kind = BatchKind::kRetry;
    } else if (!recent_batches_.empty() &&
               roll < mix_.retry_percent + mix_.reused_request_id_percent) {
      batch = pick_recent_batch();
      batch.kind = BatchKind::kReusedRequestId;
      change_payload(batch);
    } else {
      batch.kind = BatchKind::kNew;
      batch.request_id = {.low = ++request_counter_, .high = 0xd1ffull};
      batch.atomic = percent() < mix_.atomic_percent;
      careful_ = percent() < mix_.careful_percent;
      const size_t size = uniform(1, kBatchSizeMax);
      while (batch.commands.size() < size) {
        add_random_commands(batch.commands);
      }
      batch.commands.resize(size);
      if (percent() < mix_.failing_tail_percent) {
        batch.commands.back() = withdraw_from(pick(ghost_ids_));
      }
    }
    recent_batches_.push_back(batch);
    if (recent_batches_.size() > 2048) {
      recent_batches_.pop_front();
    }
    return batch;
  }

  // Learns the ids the engine generated, so that later commands can use those accounts.
  void learn(const GeneratedBatch& batch, const std::vector<ExpectedEntry>& entries) {
    for (size_t index = 0; index < entries.size(); ++index) {
      const Command& command = batch.commands[index];
      if (entries[index].code != ResultCode::Ok || entries[index].replayed) {
        continue;
      }
      if (command.type == CommandType::OpenAccount && command.account_id.empty()) {
        extra_ids_.push_back(entries[index].opened_account_id);
      }
      if (!command.transaction_id.is_zero()) {
        remember_transaction_id(recorded_transaction_ids_, command.transaction_id);
      }
    }
  }

 private:
  int percent() { return static_cast<int>(uniform(0, 99)); }

  uint64_t uniform(uint64_t low, uint64_t high) {
    return std::uniform_int_distribution<uint64_t>(low, high)(random_);
  }

  template <typename Container>
  const typename Container::value_type& pick(const Container& items) {
    return items[uniform(0, items.size() - 1)];
  }

  GeneratedBatch pick_recent_batch() {
    // Mostly recent ones (still in the idempotency window), sometimes old ones (evicted).
    const size_t count = recent_batches_.size();
    const size_t back =
        percent() < 70 ? uniform(1, std::min<size_t>(count, 64)) : uniform(1, count);
    return recent_batches_[count - back];
  }

  void change_payload(GeneratedBatch& batch) {
    Command& command = batch.commands[uniform(0, batch.commands.size() - 1)];
    switch (uniform(0, 3)) {
      case 0:
        command.amount = command.amount == kMoneyMax ? command.amount - 1 : command.amount + 1;
        break;
      case 1:
        batch.atomic = !batch.atomic;
        break;
      case 2:
        if (batch.commands.size() > 1) {
          batch.commands.pop_back();
        } else {
          batch.atomic = !batch.atomic;
        }
        break;
      default:
        if (batch.commands.size() < kBatchSizeMax) {
          std::vector<Command> more;
          add_random_commands(more);
          batch.commands.push_back(more.front());
        } else {
          command.expected_version = command.expected_version.value_or(0) + 1;
        }
        break;
    }
  }

  std::string_view pick_account_id() {
    if (careful_) {
      return pick_usable_account_id();
    }
    const int roll = percent();
    if (roll < 72) {
      return pick(fixed_ids_);
    }
    if (roll < 87 && !extra_ids_.empty()) {
      return pick_extra_id();
    }
    if (roll < 94) {
      return pick(ghost_ids_);
    }
    return pick(invalid_ids_);
  }

  // Recent extra ids mostly, so that new accounts see some traffic before they drown.
  std::string_view pick_extra_id() {
    const size_t count = extra_ids_.size();
    const size_t back =
        percent() < 80 ? uniform(1, std::min<size_t>(count, 256)) : uniform(1, count);
    return extra_ids_[count - back];
  }

  // A fixed account that is open and not frozen, if a few tries find one.
  std::string_view pick_usable_account_id() {
    std::string_view account_id = pick(fixed_ids_);
    for (int attempt = 0; attempt < 4; ++attempt) {
      const ModelAccount* account = model_.find(account_id);
      if (account != nullptr && account->status == AccountStatus::Active) {
        break;
      }
      account_id = pick(fixed_ids_);
    }
    return account_id;
  }

  // Another usable account in the same currency, if a few tries find one.
  std::string_view pick_counterparty_id(std::string_view source_id) {
    const ModelAccount* source = model_.find(source_id);
    std::string_view account_id = pick_usable_account_id();
    for (int attempt = 0; attempt < 4; ++attempt) {
      const ModelAccount* account = model_.find(account_id);
      if (account_id != source_id && source != nullptr && account != nullptr &&
          account->currency == source->currency) {
        break;
      }
      account_id = pick_usable_account_id();
    }
    return account_id;
  }

  int64_t random_amount() {
    if (careful_) {
      return static_cast<int64_t>(uniform(1, 2'000));
    }
    const int roll = percent();
    if (roll < 2) {
      return 0;
    }
    if (roll < 4) {
      return percent() < 80 ? -static_cast<int64_t>(uniform(1, 1000)) : kMoneyMin;
    }
    if (roll < 7) {
      return kMoneyMax - static_cast<int64_t>(uniform(0, percent() < 50 ? 0 : 1'000'000));
    }
    if (roll < 9) {
      return kMoneyMax / 2 + static_cast<int64_t>(uniform(0, 1000));
    }
    return static_cast<int64_t>(uniform(1, percent() < 90 ? 5'000 : 1'000'000));
  }

  Id128 random_transaction_id() {
    const int roll = careful_ ? 0 : percent();
    if (roll < 40) {
      return {};
    }
    if (roll < 45 && !recorded_transaction_ids_.empty()) {
      return pick(recorded_transaction_ids_);  // a duplicate, unless its batch was undone
    }
    if (roll < 50 && !recent_transaction_ids_.empty()) {
      return pick(recent_transaction_ids_);  // maybe a duplicate
    }
    ++transaction_counter_;
    // Sometimes only the high half is set: still a transaction id.
    const Id128 fresh = percent() < 5 ? Id128{.low = 0, .high = transaction_counter_}
                                      : Id128{.low = transaction_counter_, .high = 0xfeed};
    remember_transaction_id(recent_transaction_ids_, fresh);
    return fresh;
  }

  static void remember_transaction_id(std::deque<Id128>& recent, const Id128& transaction_id) {
    recent.push_back(transaction_id);
    if (recent.size() > 64) {
      recent.pop_front();
    }
  }

  std::optional<uint64_t> random_expected_version(std::string_view account_id) {
    const int roll = careful_ ? 0 : percent();
    if (roll < 80) {
      return std::nullopt;
    }
    const ModelAccount* account = model_.find(account_id);
    const uint64_t current = account != nullptr ? account->version : uniform(1, 3);
    if (roll < 94) {
      return current;
    }
    return percent() < 50 ? current + 1 : uniform(0, 2);
  }

  Command withdraw_from(std::string_view account_id) {
    Command command;
    command.type = CommandType::Withdraw;
    command.account_id = account_id;
    command.amount = static_cast<int64_t>(uniform(1, 100));
    return command;
  }

  // Appends one command, or a short pattern (empty an account, then close it).
  void add_random_commands(std::vector<Command>& commands) {
    Command command;
    command.type = static_cast<CommandType>(careful_ ? careful_type_distribution_(random_)
                                                     : command_type_distribution_(random_));
    switch (command.type) {
      case CommandType::OpenAccount:
        add_open(command);
        break;
      case CommandType::Deposit:
      case CommandType::Withdraw:
      case CommandType::Unknown:
        command.account_id = pick_account_id();
        command.amount = random_amount();
        if (command.type == CommandType::Withdraw && percent() < 2) {
          if (const ModelAccount* account = model_.find(command.account_id)) {
            command.amount = account->balance;  // drains it exactly (or is not positive)
          }
        }
        command.transaction_id = random_transaction_id();
        command.expected_version = random_expected_version(command.account_id);
        break;
      case CommandType::Transfer:
        command.account_id = pick_account_id();
        if (careful_) {
          command.counterparty_id = pick_counterparty_id(command.account_id);
        } else {
          command.counterparty_id = percent() < 4 ? command.account_id : pick_account_id();
        }
        command.amount = random_amount();
        command.transaction_id = random_transaction_id();
        command.expected_version = random_expected_version(command.account_id);
        command.expected_counterparty_version = random_expected_version(command.counterparty_id);
        break;
      case CommandType::FreezeAccount:
        command.account_id = pick_account_id();
        command.reason = pick(texts_);
        command.expected_version = random_expected_version(command.account_id);
        break;
      case CommandType::UnfreezeAccount:
        command.account_id = pick_account_id();
        command.expected_version = random_expected_version(command.account_id);
        break;
      case CommandType::CloseAccount:
        add_close(command, commands);
        break;
      default:
        break;
    }
    commands.push_back(command);
  }

  void add_open(Command& command) {
    const int roll = percent();
    if (roll < mix_.fresh_open_id_percent) {
      // Unique, of random length, so the directory keeps growing with ids of every size.
      // Appended piecewise: GCC 12 reports a false -Wrestrict for "literal" + std::string.
      std::string fresh = "n";
      fresh += std::to_string(++fresh_id_counter_);
      fresh += '-';
      fresh.resize(std::max<size_t>(fresh.size(), uniform(1, 64)), 'f');
      extra_ids_.push_back(std::move(fresh));
      command.account_id = extra_ids_.back();
    } else if (roll < mix_.fresh_open_id_percent + mix_.generated_open_id_percent) {
      command.account_id = {};
    } else if (roll < 93) {
      command.account_id = pick(fixed_ids_);
    } else {
      command.account_id = pick(invalid_ids_);
    }
    command.owner = percent() < 80 ? texts_.front() : pick(texts_);
    command.currency = percent() < 90 ? currencies_[uniform(0, 1)] : pick(currencies_);
    const int type_roll = percent();
    command.account_type = type_roll < 60   ? AccountType::Checking
                           : type_roll < 97 ? AccountType::Savings
                                            : static_cast<AccountType>(uniform(2, 255));
    const int overdraft_roll = percent();
    command.overdraft_limit = overdraft_roll < 70   ? 0
                              : overdraft_roll < 90 ? static_cast<int64_t>(uniform(1, 10'000))
                              : overdraft_roll < 95 ? -static_cast<int64_t>(uniform(1, 10))
                                                    : kMoneyMax;
    const int deposit_roll = percent();
    command.amount = deposit_roll < 15   ? 0
                     : deposit_roll < 90 ? static_cast<int64_t>(uniform(1, 100'000))
                     : deposit_roll < 95 ? -static_cast<int64_t>(uniform(1, 10))
                                         : kMoneyMax - static_cast<int64_t>(uniform(0, 10));
  }

  void add_close(Command& command, std::vector<Command>& commands) {
    // Closing is for good, so it mostly targets the accounts that come and go (and only those
    // are emptied first): the fixed accounts must stay in play for the whole run.
    const bool transient = !extra_ids_.empty() && percent() < 95;
    command.account_id = transient ? pick_extra_id() : pick_account_id();
    command.expected_version = random_expected_version(command.account_id);
    const ModelAccount* account = model_.find(command.account_id);
    if (transient && account != nullptr && account->balance != 0 && percent() < 40) {
      Command empty_it;
      empty_it.type = account->balance > 0 ? CommandType::Withdraw : CommandType::Deposit;
      empty_it.account_id = command.account_id;
      empty_it.amount = account->balance > 0 ? account->balance : -account->balance;
      commands.push_back(empty_it);
      command.expected_version.reset();
    }
  }

  std::mt19937_64 random_;
  WorkloadMix mix_;
  const ReferenceLedger& model_;
  std::discrete_distribution<int> command_type_distribution_;
  // Careful batches: deposits, withdrawals and transfers only (indexed like CommandType).
  std::discrete_distribution<int> careful_type_distribution_{0, 0, 35, 25, 40};
  bool careful_ = false;  // the batch being generated is a careful one
  // Id storage: the vectors are filled once; the deque only grows, so views stay valid.
  std::vector<std::string> fixed_ids_;
  std::vector<std::string> ghost_ids_;
  std::vector<std::string> invalid_ids_;
  std::vector<std::string> texts_;
  std::vector<std::string> currencies_;
  std::deque<std::string> extra_ids_;           // fresh client ids and ids the engine generated
  std::deque<Id128> recent_transaction_ids_;    // handed out lately
  std::deque<Id128> recorded_transaction_ids_;  // of successful commands, lately
  std::deque<GeneratedBatch> recent_batches_;
  uint64_t request_counter_ = 0;
  uint64_t transaction_counter_ = 0;
  uint64_t fresh_id_counter_ = 0;
};

// ---- Comparison and reporting ------------------------------------------------------------------

std::string describe_optional(const std::optional<uint64_t>& value) {
  return value.has_value() ? std::to_string(*value) : "-";
}

std::string describe_command(const Command& command) {
  std::ostringstream text;
  text << protocol::EnumNameCommandType(command.type) << "{account_id=\"" << command.account_id
       << "\"";
  if (!command.counterparty_id.empty()) {
    text << " counterparty_id=\"" << command.counterparty_id << "\"";
  }
  text << " amount=" << command.amount;
  if (command.type == CommandType::OpenAccount) {
    text << " currency=\"" << command.currency << "\" owner_bytes=" << command.owner.size()
         << " account_type=" << static_cast<int>(command.account_type)
         << " overdraft_limit=" << command.overdraft_limit;
  }
  if (command.type == CommandType::FreezeAccount) {
    text << " reason_bytes=" << command.reason.size();
  }
  text << " transaction_id=" << command.transaction_id.low << "/" << command.transaction_id.high
       << " expected_version=" << describe_optional(command.expected_version)
       << " expected_counterparty_version="
       << describe_optional(command.expected_counterparty_version) << "}";
  return text.str();
}

std::string describe_expected(const ExpectedEntry& entry) {
  std::ostringstream text;
  text << "{code=" << result_code_name(entry.code)
       << " type=" << protocol::EnumNameEventType(entry.type) << " sequence=" << entry.sequence
       << " balance=" << entry.balance << " version=" << entry.version
       << " counterparty_balance=" << entry.counterparty_balance
       << " counterparty_version=" << entry.counterparty_version << " replayed=" << entry.replayed
       << " opened_account_id=\"" << entry.opened_account_id << "\"}";
  return text.str();
}

std::string describe_actual(const Outcome& event) {
  std::ostringstream text;
  text << "{code=" << result_code_name(event.code)
       << " type=" << protocol::EnumNameEventType(event.type) << " sequence=" << event.sequence
       << " balance=" << event.balance << " version=" << event.version
       << " counterparty_balance=" << event.counterparty_balance
       << " counterparty_version=" << event.counterparty_version
       << " replayed=" << event.is_replayed_answer() << " last=" << event.is_last_in_request()
       << " account_id=\"" << event.account_id.view() << "\"}";
  return text.str();
}

// The first field on which the entry differs from the model, or nothing.
std::optional<std::string> first_difference(const Outcome& actual, const ExpectedEntry& expected,
                                            bool last_in_request) {
  if (actual.is_replayed_answer() != expected.replayed) {
    return "replayed flag";
  }
  if (actual.sequence != expected.sequence) {
    return "sequence";
  }
  if (actual.code != expected.code) {
    return "code";
  }
  if (actual.balance != expected.balance) {
    return "balance";
  }
  if (actual.version != expected.version) {
    return "version";
  }
  if (actual.is_last_in_request() != last_in_request) {
    return "kLastInRequest flag";
  }
  if (expected.code == ResultCode::Ok && !expected.opened_account_id.empty() &&
      actual.account_id.view() != expected.opened_account_id) {
    return "opened account id";
  }
  // A replayed answer carries the remembered outcome only (code, sequence, balance, version);
  // it is not an event, so its type and counterparty fields are not part of the promise.
  if (!expected.replayed) {
    if (actual.type != expected.type) {
      return "type";
    }
    if (actual.counterparty_balance != expected.counterparty_balance) {
      return "counterparty balance";
    }
    if (actual.counterparty_version != expected.counterparty_version) {
      return "counterparty version";
    }
  }
  return std::nullopt;
}

// Whether the entry carries what its command and request said (the parts of an event that
// echo the input rather than the rules): the first field that does not, or nothing.
std::optional<std::string> first_echo_difference(const Outcome& actual, const Command& command,
                                                 uint32_t index, const CommandBatch& batch,
                                                 uint64_t fingerprint) {
  const auto truncated = [](std::string_view text, size_t capacity) {
    return text.substr(0, std::min(text.size(), capacity));
  };
  if (actual.command_index != index || actual.request_id != batch.request_id) {
    return "command index or request id";
  }
  if (actual.fingerprint != fingerprint) {
    return "request fingerprint";
  }
  if (actual.is_replayed_answer()) {
    return std::nullopt;  // an answer, not an event: it carries the outcome only
  }
  if (actual.command_type != command.type || actual.amount != command.amount) {
    return "command type or amount";
  }
  const bool generated_open = command.type == CommandType::OpenAccount &&
                              command.account_id.empty() && actual.code == ResultCode::Ok;
  if (!generated_open && actual.account_id.view() != truncated(command.account_id, 64)) {
    return "account id";
  }
  if (actual.counterparty_id.view() != truncated(command.counterparty_id, 64)) {
    return "counterparty id";
  }
  const bool has_transaction = (actual.flags & kHasTransactionId) != 0;
  if (actual.transaction_id != command.transaction_id ||
      has_transaction == command.transaction_id.is_zero()) {
    return "transaction id";
  }
  if (((actual.flags & kAtomicBatch) != 0) != batch.atomic) {
    return "atomic flag";
  }
  const std::string_view text = command.type == CommandType::OpenAccount     ? command.owner
                                : command.type == CommandType::FreezeAccount ? command.reason
                                                                             : std::string_view();
  if (actual.text.view() != truncated(text, 128)) {
    return "owner or reason text";
  }
  return std::nullopt;
}

struct DifferentialRun {
  uint64_t seed = 0;
  uint64_t command_count = 0;
  LedgerLimits limits;
  WorkloadMix mix;
  uint64_t conservation_check_interval = 4096;  // in batches
};

struct DifferentialReport {
  std::string first_mismatch;        // empty: every entry matched the model
  std::string conservation_failure;  // empty: money was conserved at every check
  std::string state_mismatch;        // empty: the final states agree account by account
  uint64_t batches = 0;
  uint64_t commands = 0;
  uint64_t replayed_entries = 0;
  uint64_t conservation_checks = 0;
  uint64_t committed_atomic_batches = 0;  // atomic, of 2 or more commands, all applied
  std::map<BatchKind, uint64_t> batch_kinds;
  std::map<ResultCode, uint64_t> codes;  // of entries that are events (not replayed answers)
  std::map<EventType, uint64_t> event_types;
  size_t final_accounts = 0;
  double seconds = 0;
};

WideInteger ledger_balance_sum(const Ledger& ledger) {
  WideInteger sum = 0;
  ledger.accounts().for_each(
      [&](std::string_view, const Account& account) { sum += account.balance; });
  return sum;
}

std::string compare_final_states(const Ledger& ledger, const ReferenceLedger& model) {
  std::ostringstream problems;
  size_t ledger_accounts = 0;
  ledger.accounts().for_each([&](std::string_view account_id, const Account& account) {
    ++ledger_accounts;
    if (!problems.str().empty()) {
      return;  // the first difference is enough
    }
    const ModelAccount* expected = model.find(account_id);
    if (expected == nullptr) {
      problems << "account \"" << account_id << "\" exists in the ledger, not in the model";
      return;
    }
    if (account.balance != expected->balance || account.version != expected->version ||
        account.overdraft_limit != expected->overdraft_limit ||
        account.currency.to_string() != expected->currency || account.status != expected->status ||
        account.type != expected->type) {
      problems << "account \"" << account_id << "\": ledger {balance=" << account.balance
               << " version=" << account.version << " overdraft_limit=" << account.overdraft_limit
               << " currency=" << account.currency.to_string()
               << " status=" << protocol::EnumNameAccountStatus(account.status)
               << "}, model {balance=" << expected->balance << " version=" << expected->version
               << " overdraft_limit=" << expected->overdraft_limit
               << " currency=" << expected->currency
               << " status=" << protocol::EnumNameAccountStatus(expected->status) << "}";
    }
  });
  if (problems.str().empty() && ledger_accounts != model.accounts().size()) {
    problems << "the ledger has " << ledger_accounts << " accounts, the model "
             << model.accounts().size();
  }
  if (problems.str().empty() && ledger.next_sequence() != model.next_sequence()) {
    problems << "next sequence: ledger " << ledger.next_sequence() << ", model "
             << model.next_sequence();
  }
  if (problems.str().empty() && ledger.transaction_count() != model.transaction_count()) {
    problems << "transaction ids: ledger " << ledger.transaction_count() << ", model "
             << model.transaction_count();
  }
  return problems.str();
}

DifferentialReport run_differential(const DifferentialRun& run) {
  const auto started = std::chrono::steady_clock::now();
  DifferentialReport report;
  testing::LedgerHarness harness(run.limits);
  ReferenceLedger model(run.limits);
  BatchGenerator generator(run.seed, run.mix, model);
  // Money that entered or left the ledger, from the events themselves: initial deposits and
  // deposits in, withdrawals out. Transfers only move it.
  WideInteger money_in_minus_out = 0;

  while (report.commands < run.command_count) {
    const GeneratedBatch batch = generator.next();
    const std::vector<Outcome> actual =
        harness.apply_with_id(batch.request_id, batch.commands, batch.atomic);
    const CommandBatch model_batch{.request_id = batch.request_id,
                                   .origin = 0,
                                   .atomic = batch.atomic,
                                   .commands = batch.commands};
    const std::vector<ExpectedEntry> expected = model.apply(model_batch);
    ++report.batches;
    ++report.batch_kinds[batch.kind];
    report.commands += batch.commands.size();

    const uint64_t fingerprint =
        run.limits.idempotency_window > 0 ? request_fingerprint(model_batch) : 0;
    for (size_t index = 0; index < batch.commands.size(); ++index) {
      const Outcome& event = actual[index];
      const bool last = index + 1 == batch.commands.size();
      std::optional<std::string> difference = first_difference(event, expected[index], last);
      if (!difference) {
        difference = first_echo_difference(event, batch.commands[index],
                                           static_cast<uint32_t>(index), model_batch, fingerprint);
      }
      if (difference) {
        std::ostringstream message;
        message << "seed " << run.seed << ", batch " << report.batches << " ("
                << batch_kind_name(batch.kind) << ", request id " << batch.request_id.low << "/"
                << batch.request_id.high << ", " << (batch.atomic ? "atomic" : "not atomic") << ", "
                << batch.commands.size() << " commands), command " << index << ": " << *difference
                << " differs\n  command:  " << describe_command(batch.commands[index])
                << "\n  expected: " << describe_expected(expected[index])
                << "\n  actual:   " << describe_actual(event) << "\n  the batch:";
        for (const Command& command : batch.commands) {
          message << "\n    " << describe_command(command);
        }
        report.first_mismatch = message.str();
        report.seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        return report;
      }
      if (event.is_replayed_answer()) {
        ++report.replayed_entries;
        continue;
      }
      ++report.codes[event.code];
      ++report.event_types[event.type];
      if (event.type == EventType::AccountOpened || event.type == EventType::Deposited) {
        money_in_minus_out += event.amount;
      } else if (event.type == EventType::Withdrawn) {
        money_in_minus_out -= event.amount;
      }
    }
    generator.learn(batch, expected);
    if (batch.atomic && batch.commands.size() >= 2 &&
        std::all_of(actual.begin(), actual.end(), [](const Outcome& event) {
          return event.code == ResultCode::Ok && !event.is_replayed_answer();
        })) {
      ++report.committed_atomic_batches;
    }

    const bool finished = report.commands >= run.command_count;
    if (report.conservation_failure.empty() &&
        (finished || report.batches % run.conservation_check_interval == 0)) {
      ++report.conservation_checks;
      const WideInteger held = ledger_balance_sum(harness.ledger());
      if (held != money_in_minus_out) {
        report.conservation_failure = "after batch " + std::to_string(report.batches) +
                                      ": the accounts hold " + wide_to_string(held) +
                                      ", deposits minus withdrawals of the events are " +
                                      wide_to_string(money_in_minus_out);
      }
    }
  }
  report.state_mismatch = compare_final_states(harness.ledger(), model);
  report.final_accounts = model.accounts().size();
  report.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return report;
}

template <typename Key>
uint64_t count_of(const std::map<Key, uint64_t>& counts, Key key) {
  const auto found = counts.find(key);
  return found == counts.end() ? 0 : found->second;
}

void print_summary(const std::string& name, const DifferentialRun& run,
                   const DifferentialReport& report) {
  std::cout << "[ differential ] " << name << ": seed " << run.seed << ", " << report.commands
            << " commands in " << report.batches << " batches ("
            << count_of(report.batch_kinds, BatchKind::kRetry) << " retries, "
            << count_of(report.batch_kinds, BatchKind::kReusedRequestId) << " reused request ids), "
            << report.replayed_entries << " replayed entries, " << report.committed_atomic_batches
            << " committed atomic batches, " << report.final_accounts << " accounts, "
            << report.seconds << " s\n"
            << "[ differential ] codes:";
  for (const auto& [code, count] : report.codes) {
    std::cout << " " << result_code_name(code) << "=" << count;
  }
  std::cout << "\n[ differential ] events:";
  for (const auto& [type, count] : report.event_types) {
    std::cout << " " << protocol::EnumNameEventType(type) << "=" << count;
  }
  std::cout << std::endl;
}

// The codes (and event types) a run must have produced, so that a workload that quietly stops
// reaching a rule fails instead of passing vacuously.
void expect_seen(const DifferentialReport& report, std::initializer_list<ResultCode> codes,
                 std::initializer_list<EventType> types) {
  for (const ResultCode code : codes) {
    EXPECT_GT(report.codes.count(code), 0u) << "never produced " << result_code_name(code);
  }
  for (const EventType type : types) {
    EXPECT_GT(report.event_types.count(type), 0u)
        << "never produced " << protocol::EnumNameEventType(type);
  }
}

uint64_t seed_or(uint64_t fixed_seed) {
  return environment_number("TALLY_DIFFERENTIAL_SEED", fixed_seed);
}

uint64_t command_budget() {
  return environment_number("TALLY_DIFFERENTIAL_COMMANDS", kDefaultCommandCount);
}

// The window is small so that retries of older batches find them evicted (then they apply
// again, as new requests) as well as remembered.
LedgerLimits small_window_limits() {
  LedgerLimits limits;
  limits.idempotency_window = 4096;
  limits.initial_account_capacity = 1024;
  limits.batch_commands_max = static_cast<uint32_t>(kBatchSizeMax);
  return limits;
}

// Fatal on the first mismatch: everything after it would be noise.
void expect_agreement(const DifferentialReport& report) {
  ASSERT_TRUE(report.first_mismatch.empty()) << report.first_mismatch;
  EXPECT_TRUE(report.conservation_failure.empty()) << report.conservation_failure;
  EXPECT_TRUE(report.state_mismatch.empty()) << report.state_mismatch;
}

TEST(Differential, RandomCommandsMatchReferenceModel) {
  DifferentialRun run;
  run.seed = seed_or(0x7a11'd1ff'0000'0001);
  run.command_count = command_budget();
  run.limits = small_window_limits();
  const DifferentialReport report = run_differential(run);
  print_summary("RandomCommandsMatchReferenceModel", run, report);
  ASSERT_NO_FATAL_FAILURE(expect_agreement(report));
  if (run.command_count >= 100'000) {  // smaller runs are for quick looks, not for coverage
    EXPECT_GT(report.replayed_entries, 0u);
    EXPECT_GT(report.committed_atomic_batches, 0u);
    expect_seen(
        report,
        {ResultCode::Ok, ResultCode::AccountExists, ResultCode::AccountNotFound,
         ResultCode::InvalidAmount, ResultCode::InsufficientFunds, ResultCode::AccountFrozen,
         ResultCode::AccountClosed, ResultCode::CurrencyMismatch, ResultCode::SameAccount,
         ResultCode::BalanceNotZero, ResultCode::VersionConflict, ResultCode::DuplicateTransaction,
         ResultCode::Overflow, ResultCode::AccountNotFrozen, ResultCode::LinkedCommandFailed,
         ResultCode::RequestIdReused, ResultCode::InvalidArgument},
        {EventType::AccountOpened, EventType::Deposited, EventType::Withdrawn,
         EventType::Transferred, EventType::AccountFrozen, EventType::AccountUnfrozen,
         EventType::AccountClosed, EventType::CommandRejected});
  }
}

TEST(Differential, MoneyIsConserved) {
  // Money movements only, half of them in atomic batches that often fail at the end, with the
  // balance checked against the events every 256 batches.
  DifferentialRun run;
  run.seed = seed_or(0x7a11'd1ff'0000'0002);
  run.command_count = std::max<uint64_t>(command_budget() / 4, 1);
  run.limits = small_window_limits();
  run.mix = WorkloadMix{.open = 4,
                        .deposit = 25,
                        .withdraw = 25,
                        .transfer = 45,
                        .freeze = 0,
                        .unfreeze = 0,
                        .close = 1,
                        .unknown = 0,
                        .atomic_percent = 50,
                        .retry_percent = 6,
                        .reused_request_id_percent = 2,
                        .fresh_open_id_percent = 10,
                        .generated_open_id_percent = 10,
                        .failing_tail_percent = 20};
  run.conservation_check_interval = 256;
  const DifferentialReport report = run_differential(run);
  print_summary("MoneyIsConserved", run, report);
  ASSERT_NO_FATAL_FAILURE(expect_agreement(report));
  // Checked along the way, not only at the end (a tiny scaled-down run may have one check).
  EXPECT_GE(report.conservation_checks,
            std::max<uint64_t>(1, report.batches / run.conservation_check_interval));
}

TEST(Differential, TransactionIdAndAccountLimitsMatchReferenceModel) {
  // Tiny limits: the registry fills up (and frees up again when atomic batches are undone),
  // and opening accounts runs into accounts_max.
  DifferentialRun run;
  run.seed = seed_or(0x7a11'd1ff'0000'0003);
  run.command_count = std::max<uint64_t>(command_budget() / 10, 1);
  run.limits = small_window_limits();
  run.limits.transaction_ids_max = 64;
  run.limits.accounts_max = 300;
  run.mix.atomic_percent = 50;
  run.mix.failing_tail_percent = 10;
  const DifferentialReport report = run_differential(run);
  print_summary("TransactionIdAndAccountLimitsMatchReferenceModel", run, report);
  ASSERT_NO_FATAL_FAILURE(expect_agreement(report));
  if (run.command_count >= 10'000) {
    expect_seen(report, {ResultCode::LimitExceeded, ResultCode::DuplicateTransaction}, {});
  }
}

TEST(Differential, DisabledIdempotencyWindowAppliesRetriesAgain) {
  // With no window a re-sent batch is simply a new batch, applied again.
  DifferentialRun run;
  run.seed = seed_or(0x7a11'd1ff'0000'0004);
  run.command_count = std::max<uint64_t>(command_budget() / 10, 1);
  run.limits = small_window_limits();
  run.limits.idempotency_window = 0;
  const DifferentialReport report = run_differential(run);
  print_summary("DisabledIdempotencyWindowAppliesRetriesAgain", run, report);
  ASSERT_NO_FATAL_FAILURE(expect_agreement(report));
  EXPECT_EQ(report.replayed_entries, 0u);
  EXPECT_EQ(report.codes.count(ResultCode::RequestIdReused), 0u);
}

TEST(Differential, AccountChurnMatchesReferenceModel) {
  // Mostly opens of new ids of every length, in atomic batches that often fail and undo them,
  // so the directory grows well past its first allocations while openings are rolled back.
  DifferentialRun run;
  run.seed = seed_or(0x7a11'd1ff'0000'0005);
  run.command_count = std::max<uint64_t>(command_budget() / 5, 1);
  run.limits = small_window_limits();
  run.mix = WorkloadMix{.open = 70,
                        .deposit = 8,
                        .withdraw = 5,
                        .transfer = 8,
                        .freeze = 2,
                        .unfreeze = 2,
                        .close = 5,
                        .unknown = 0,
                        .atomic_percent = 60,
                        .retry_percent = 3,
                        .reused_request_id_percent = 1,
                        .fresh_open_id_percent = 85,
                        .generated_open_id_percent = 10,
                        .failing_tail_percent = 30,
                        .careful_percent = 0};
  const DifferentialReport report = run_differential(run);
  print_summary("AccountChurnMatchesReferenceModel", run, report);
  ASSERT_NO_FATAL_FAILURE(expect_agreement(report));
}

}  // namespace
}  // namespace tally
