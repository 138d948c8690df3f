// How the ledger's state and an Outcome's fields map onto each other, each mapping in one place:
// applying a command writes them (ledger.cpp, ledger_commands.cpp), replaying a journal and
// answering a retry read them back (ledger_replay.cpp, ledger.cpp), and the two directions must
// never drift apart (a replayed ledger must be the one that wrote the events).
//
// Internal to the ledger: pure functions of their arguments, any thread, no allocation.
#pragma once

#include <optional>

#include "engine/ledger/account.h"
#include "engine/ledger/idempotency_window.h"
#include "engine/wire/outcome.h"

namespace tally {

// ---- An account's state after an event ----------------------------------------------------

// The account the event is about, as the event leaves it (balance and version; a transfer's
// receiving side goes to counterparty_balance and counterparty_version).
inline void record_account(const Account& account, Outcome& event) {
  event.balance = account.balance;
  event.version = account.version;
}

// An opening carries the whole new account; replay rebuilds it from those fields.
inline void record_opening(const Account& account, Outcome& event) {
  event.type = EventType::AccountOpened;
  event.account_type = account.type;
  event.currency = account.currency;
  event.overdraft_limit = account.overdraft_limit;
  record_account(account, event);
}

inline Account account_opened_by(const Outcome& event) {
  return Account{.balance = event.balance,
                 .overdraft_limit = event.overdraft_limit,
                 .version = event.version,
                 .currency = event.currency,
                 .status = AccountStatus::Active,
                 .type = event.account_type};
}

// ---- Status changes -----------------------------------------------------------------------

// The event that records an account taking `status`: freezing, unfreezing (back to Active) and
// closing. Opening is not a status change (it records the whole account, above).
constexpr EventType status_change_event(AccountStatus status) {
  switch (status) {
    case AccountStatus::Active:
      return EventType::AccountUnfrozen;
    case AccountStatus::Frozen:
      return EventType::AccountFrozen;
    case AccountStatus::Closed:
      return EventType::AccountClosed;
  }
  return EventType::Unknown;
}

// The status an event of `type` sets, if it is a status change: the inverse of the above.
constexpr std::optional<AccountStatus> status_set_by(EventType type) {
  switch (type) {
    case EventType::AccountFrozen:
      return AccountStatus::Frozen;
    case EventType::AccountUnfrozen:
      return AccountStatus::Active;
    case EventType::AccountClosed:
      return AccountStatus::Closed;
    default:
      return std::nullopt;
  }
}

// ---- The idempotency window ---------------------------------------------------------------

// What a retry of the command that produced `event` is answered with; the same whether the
// ledger just applied it or replays it from the journal.
inline RememberedOutcome remembered_outcome(const Outcome& event) {
  return {.sequence = event.sequence,
          .balance = event.balance,
          .version = event.version,
          .code = event.code,
          .command_type = event.command_type};
}

// The remembered fields of a retry's answer (the inverse of remembered_outcome), flagged as a
// replayed answer, not an event. The caller sets the request's own fields.
inline void record_remembered(const RememberedOutcome& remembered, Outcome& answer) {
  answer.sequence = remembered.sequence;
  answer.command_type = remembered.command_type;
  answer.code = remembered.code;
  answer.flags = kReplayedAnswer;
  answer.balance = remembered.balance;
  answer.version = remembered.version;
}

}  // namespace tally
