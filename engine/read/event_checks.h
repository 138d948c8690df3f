// Event checks: what a read model verifies of an event before it applies it.
//
// A read model's events come from the journal, that is from disk, so what an event says is
// checked, not trusted, as recovery checks it (engine/ledger/ledger_replay.cpp): an event that
// does not fit the model (it names an account never opened, opens one twice, records a balance
// or version that does not follow from the account's last one and its own amount, moves money
// between currencies, or is of no known type) is refused with kCorruption, saying which event
// and why, and the model is left as it was. Its projector then stops following the journal
// (Projector::failure); the process does not stop.
//
// What a model asserts (TALLY_ASSERT) is only what the program guarantees it: its own
// bookkeeping (totals, counts) and what its projector hands over (sequences that grow, times
// that never go backwards, both checked on the way in).
//
// The checks that pass are inline and cost a few comparisons on the apply path; building a
// refusal is out of line.
#pragma once

#include <cstdint>
#include <string_view>

#include "engine/base/status.h"
#include "engine/base/wide_sum.h"
#include "engine/wire/currency.h"
#include "engine/wire/outcome.h"

namespace tally::read {

// An account's balance and version after an event.
struct AccountState {
  int64_t balance = 0;
  uint64_t version = 0;
};

// Which account of an event: the one it names first, or a transfer's destination.
enum class Side : uint8_t { kAccount, kCounterparty };

// True for the event types the ledger writes.
inline bool is_known_event_type(EventType type) {
  return type >= EventType::AccountOpened && type <= EventType::CommandRejected;
}

// What an accepted (not rejected) event does to one side's balance; 0 for status changes.
inline WideSum balance_change(const Outcome& event, Side side) {
  switch (event.type) {
    case EventType::Deposited:
      return event.amount;
    case EventType::Withdrawn:
      return -static_cast<WideSum>(event.amount);
    case EventType::Transferred:
      return side == Side::kAccount ? -static_cast<WideSum>(event.amount)
                                    : static_cast<WideSum>(event.amount);
    default:
      return 0;
  }
}

// Refusals, each a kCorruption naming the event.
Status never_opened(const Outcome& event, std::string_view account_id);
Status opened_twice(const Outcome& event);
Status unknown_event_type(const Outcome& event);
Status opening_does_not_add_up(const Outcome& event);
Status change_does_not_follow(const Outcome& event, Side side, const AccountState& before);
Status transfer_does_not_fit(const Outcome& event, bool two_accounts, CurrencyCode source,
                             CurrencyCode destination);

// Ok if an AccountOpened holds its opening deposit as its balance, at version 1.
inline Status check_opening(const Outcome& event) {
  if (__builtin_expect(event.amount >= 0 && event.balance == event.amount && event.version == 1,
                       1)) {
    return Status::ok();
  }
  return opening_does_not_add_up(event);
}

// Ok if the state an accepted event records for `side` follows from `before`: the balance moved
// by exactly the event's amount (or not at all, for a status change), the version by one.
inline Status check_change(const Outcome& event, Side side, const AccountState& before) {
  const bool account = side == Side::kAccount;
  const int64_t balance = account ? event.balance : event.counterparty_balance;
  const uint64_t version = account ? event.version : event.counterparty_version;
  if (__builtin_expect(
          static_cast<WideSum>(before.balance) + balance_change(event, side) == balance &&
              version == before.version + 1,
          1)) {
    return Status::ok();
  }
  return change_does_not_follow(event, side, before);
}

// Ok if an accepted transfer moves money between two accounts (`two_accounts`) of one currency.
inline Status check_transfer(const Outcome& event, bool two_accounts, CurrencyCode source,
                             CurrencyCode destination) {
  if (__builtin_expect(two_accounts && source == destination, 1)) {
    return Status::ok();
  }
  return transfer_does_not_fit(event, two_accounts, source, destination);
}

}  // namespace tally::read
