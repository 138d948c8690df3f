// Recovery: rebuilding the ledger's state from journaled events, and restoring snapshots. The
// journal holds decisions already made, so no rule is checked again; what is checked is that each
// event fits the state (it names accounts that exist, versions follow), since a journal that
// contradicts itself is corrupt and must not be trusted.
#include "engine/base/invariant.h"
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
  if (event.type != EventType::CommandRejected && (event.flags & kHasTransactionId) != 0) {
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

Status Ledger::restore_account(std::string_view account_id, uint64_t hash, const Account& account) {
  if (accounts_.try_insert(account_id, hash, account) == kNoAccount) {
    return Status::corruption("account " + std::string(account_id) + " appears twice");
  }
  return Status::ok();
}

void Ledger::restore_request(const Id128& request_id, uint64_t fingerprint,
                             std::span<const RememberedOutcome> outcomes) {
  if (window_.enabled() && window_.find(request_id) == nullptr) {
    window_.remember(request_id, fingerprint, outcomes);
  }
}

void Ledger::restore_position(uint64_t next_sequence, int64_t timestamp_ns) {
  next_sequence_ = next_sequence;
  timestamp_ns_ = timestamp_ns;
  replay_requests_.reset(next_sequence - 1);  // a snapshot is taken between requests
}

}  // namespace tally
