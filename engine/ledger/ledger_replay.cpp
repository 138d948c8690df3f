// Recovery: rebuilding the ledger's state from journaled events, and restoring snapshots. The
// journal holds decisions already made, so no rule is checked again; what is checked is that each
// event fits the state (it names accounts that exist, versions follow), since a journal that
// contradicts itself is corrupt and must not be trusted.
#include <charconv>
#include <cstdio>
#include <string>

#include "engine/base/invariant.h"
#include "engine/base/text_validation.h"
#include "engine/ledger/ledger.h"
#include "engine/ledger/outcome_fields.h"

namespace tally {

Status Ledger::replay(const Outcome& event) {
  TALLY_ASSERT(!event.is_replayed_answer());
  if (event.sequence != next_sequence_) {
    return Status::corruption("event " + std::to_string(event.sequence) + " where " +
                              std::to_string(next_sequence_) + " was expected");
  }
  ++next_sequence_;
  timestamp_ns_ = std::max(timestamp_ns_, event.timestamp_ns);
  // A request the journal holds only part of (cut by a crash, never acknowledged) stays in the
  // journal without effect: the rule every reader shares (complete_requests.h).
  const std::span<const Outcome> request = replay_requests_.add(event);
  return request.empty() ? Status::ok() : replay_request(request);
}

Status Ledger::replay_request(std::span<const Outcome> request) {
  bool request_id_reused = false;
  for (const Outcome& event : request) {
    if (Status status = replay_effect(event); !status.is_ok()) {
      return Status::corruption("event " + std::to_string(event.sequence) + ": " +
                                status.message());
    }
    request_id_reused |= event.code == ResultCode::RequestIdReused;
  }
  // As apply() did: a request rejected for reusing an id is not remembered.
  if (!window_.enabled() || request_id_reused) {
    return Status::ok();
  }
  outcomes_.clear();
  for (const Outcome& event : request) {
    outcomes_.push_back(remembered_outcome(event));
  }
  const Outcome& last = request.back();
  if (window_.find(last.request_id) == nullptr) {
    window_.remember(last.request_id, last.fingerprint, outcomes_);
  }
  return Status::ok();
}

Status Ledger::replay_change(std::string_view account_id, int64_t balance, uint64_t version,
                             std::optional<AccountStatus> status) {
  const AccountRef ref = accounts_.find(account_id);
  if (ref == kNoAccount) {
    return Status::corruption("account " + std::string(account_id) + " does not exist");
  }
  Account& account = accounts_.at(ref);
  if (version != account.version + 1) {
    return Status::corruption("version of " + std::string(account_id) + " does not follow");
  }
  account.balance = balance;
  account.version = version;
  if (status) {
    account.status = *status;
  }
  return Status::ok();
}

Status Ledger::replay_effect(const Outcome& event) {
  // Only money movements register their transaction id, as applying them does: an opening or
  // a status change may carry one in its event, but it claims nothing.
  const bool moves_money = event.type == EventType::Deposited ||
                           event.type == EventType::Withdrawn ||
                           event.type == EventType::Transferred;
  if (moves_money && (event.flags & kHasTransactionId) != 0) {
    transactions_.add(event.transaction_id);
  }
  switch (event.type) {
    case EventType::AccountOpened: {
      if (accounts_.find(event.account_id.view()) != kNoAccount) {
        return Status::corruption("account " + std::string(event.account_id.view()) +
                                  " opened twice");
      }
      if (accounts_.size() >= limits_.accounts_max) {
        return Status::corruption("more accounts than max_accounts allows");
      }
      accounts_.insert(event.account_id.view(), account_opened_by(event));
      return Status::ok();
    }
    case EventType::Deposited:
    case EventType::Withdrawn:
    case EventType::AccountFrozen:
    case EventType::AccountUnfrozen:
    case EventType::AccountClosed:
      return replay_change(event.account_id.view(), event.balance, event.version,
                           status_set_by(event.type));
    case EventType::Transferred: {
      Status status =
          replay_change(event.account_id.view(), event.balance, event.version, std::nullopt);
      return status.is_ok()
                 ? replay_change(event.counterparty_id.view(), event.counterparty_balance,
                                 event.counterparty_version, std::nullopt)
                 : status;
    }
    case EventType::CommandRejected:
      return Status::ok();
    default:
      return Status::corruption("unknown event type");
  }
}

// A snapshot is input from disk, checked only by a checksum its writer computed: restoring
// refuses any state this ledger could never have produced (the rules of ledger_commands.cpp,
// account.h and LedgerLimits), so that a bad snapshot is skipped at load time instead of
// tripping an assertion or answering with wrong balances later. The checks are compares on
// values already in registers; a message is built only for a refusal.
namespace {

// Bytes read from disk, for a message: printable ASCII as it is, anything else escaped.
std::string printable(std::string_view text) {
  std::string shown;
  for (const char character : text) {
    const auto byte = static_cast<unsigned char>(character);
    if (byte >= 0x20 && byte < 0x7f && byte != '"' && byte != '\\') {
      shown.push_back(character);
    } else {
      constexpr char kHex[] = "0123456789abcdef";
      shown += "\\x";
      shown.push_back(kHex[byte >> 4]);
      shown.push_back(kHex[byte & 0xf]);
    }
  }
  return shown;
}

// "tally:<sequence>" as GeneratedAccountId writes it, for an event at or before `last_sequence`.
bool is_generated_account_id(std::string_view account_id, uint64_t last_sequence) {
  if (!account_id.starts_with(kGeneratedAccountIdPrefix)) {
    return false;
  }
  const std::string_view digits = account_id.substr(kGeneratedAccountIdPrefix.size());
  if (digits.empty() || digits.front() == '0') {
    return false;
  }
  uint64_t sequence = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), sequence);
  return error == std::errc() && end == digits.data() + digits.size() && sequence <= last_sequence;
}

// Three letters A-Z, as CurrencyCode::parse packs them.
bool is_valid_currency(CurrencyCode currency) {
  const uint32_t packed = currency.packed();
  for (size_t index = 0; index < kCurrencyCodeBytes; ++index) {
    const uint32_t letter = (packed >> (8 * index)) & 0xff;
    if (letter < 'A' || letter > 'Z') {
      return false;
    }
  }
  return (packed >> (8 * kCurrencyCodeBytes)) == 0;
}

std::string hex(uint64_t value) {
  char digits[17];
  std::snprintf(digits, sizeof(digits), "%016llx", static_cast<unsigned long long>(value));
  return digits;
}

std::string request_name(const Id128& request_id) {
  return "request " + hex(request_id.high) + hex(request_id.low);
}

}  // namespace

Status Ledger::restore_account(std::string_view account_id, uint64_t hash, const Account& account) {
  const uint64_t last_sequence = next_sequence_ - 1;
  const auto refuse = [&](const std::string& problem) {
    return Status::corruption("account " + printable(account_id) + ": " + problem);
  };
  if (!is_valid_client_account_id(account_id) &&
      !is_generated_account_id(account_id, last_sequence)) {
    return refuse("not an id the ledger accepts or generates (by the snapshot's sequence " +
                  std::to_string(last_sequence) + ")");
  }
  if (account.overdraft_limit < 0) {
    return refuse("negative overdraft limit " + std::to_string(account.overdraft_limit));
  }
  if (account.balance < -account.overdraft_limit) {
    return refuse("balance " + std::to_string(account.balance) + " below its overdraft limit " +
                  std::to_string(account.overdraft_limit));
  }
  if (account.version == 0 || account.version > last_sequence) {
    return refuse("version " + std::to_string(account.version) + " outside 1.." +
                  std::to_string(last_sequence) + " (one per event up to the snapshot's)");
  }
  if (!is_valid_currency(account.currency)) {
    return refuse("currency 0x" + hex(account.currency.packed()).substr(8) +
                  " is not three letters A-Z");
  }
  if (account.status < AccountStatus::MIN || account.status > AccountStatus::MAX) {
    return refuse("unknown status " + std::to_string(static_cast<unsigned>(account.status)));
  }
  if (account.type < AccountType::MIN || account.type > AccountType::MAX) {
    return refuse("unknown type " + std::to_string(static_cast<unsigned>(account.type)));
  }
  if (account.status == AccountStatus::Closed && account.balance != 0) {
    return refuse("closed with balance " + std::to_string(account.balance) +
                  " (only an empty account can be closed)");
  }
  if (accounts_.size() >= limits_.accounts_max) {
    return refuse("more accounts than max_accounts (" + std::to_string(limits_.accounts_max) +
                  ") allows");
  }
  if (accounts_.try_insert(account_id, hash, account) == kNoAccount) {
    return Status::corruption("account " + printable(account_id) + " appears twice");
  }
  return Status::ok();
}

Status Ledger::restore_transaction(const Id128& transaction_id) {
  if (transaction_id.is_zero()) {
    return Status::corruption("transaction id 0 (a command without one records none)");
  }
  if (transactions_.size() >= limits_.transaction_ids_max) {
    return Status::corruption("more transaction ids than transaction_ids_max (" +
                              std::to_string(limits_.transaction_ids_max) + ") allows");
  }
  const size_t before = transactions_.size();
  transactions_.add(transaction_id);
  if (transactions_.size() == before) {
    return Status::corruption("transaction id " + hex(transaction_id.high) +
                              hex(transaction_id.low) + " appears twice");
  }
  return Status::ok();
}

Status Ledger::restore_request(const Id128& request_id, uint64_t fingerprint,
                               std::span<const RememberedOutcome> outcomes) {
  const uint64_t last_sequence = next_sequence_ - 1;
  const auto refuse = [&](const std::string& problem) {
    return Status::corruption(request_name(request_id) + ": " + problem);
  };
  const size_t count = outcomes.size();
  if (count == 0 || count > kBatchCommandsMax || count > last_sequence) {
    return refuse(std::to_string(count) + " outcomes (1.." + std::to_string(kBatchCommandsMax) +
                  ", one event each up to the snapshot's sequence " +
                  std::to_string(last_sequence) + ")");
  }
  // A request's events take consecutive sequences (begin_event; a failed atomic batch reuses
  // its own), all of them at or before the snapshot's.
  const uint64_t first = outcomes.front().sequence;
  if (first == 0 || first > last_sequence - (count - 1)) {
    return refuse("sequences from " + std::to_string(first) + " for " + std::to_string(count) +
                  " outcomes pass the snapshot's sequence " + std::to_string(last_sequence));
  }
  for (size_t index = 0; index < count; ++index) {
    const RememberedOutcome& outcome = outcomes[index];
    if (outcome.sequence != first + index) {
      return refuse("outcome " + std::to_string(index) + " at sequence " +
                    std::to_string(outcome.sequence) + ", not " + std::to_string(first + index));
    }
    // Never remembered: a request rejected for reusing an id is not (apply and replay alike).
    if (outcome.code > ResultCode::MAX || outcome.code == ResultCode::RequestIdReused) {
      return refuse("outcome " + std::to_string(index) + " with result code " +
                    std::to_string(static_cast<unsigned>(outcome.code)));
    }
    if (outcome.command_type > CommandType::MAX) {
      return refuse("outcome " + std::to_string(index) + " with command type " +
                    std::to_string(static_cast<unsigned>(outcome.command_type)));
    }
    if (is_ok(outcome.code) && (outcome.version == 0 || outcome.version > last_sequence)) {
      return refuse("outcome " + std::to_string(index) + " accepted with version " +
                    std::to_string(outcome.version) + " outside 1.." +
                    std::to_string(last_sequence));
    }
  }
  if (window_.enabled()) {
    if (window_.find(request_id) != nullptr) {
      return refuse("remembered twice");
    }
    window_.remember(request_id, fingerprint, outcomes);
  }
  return Status::ok();
}

void Ledger::restore_position(uint64_t next_sequence, int64_t timestamp_ns) {
  next_sequence_ = next_sequence;
  timestamp_ns_ = timestamp_ns;
  replay_requests_.reset(next_sequence - 1);  // a snapshot is taken between requests
}

}  // namespace tally
