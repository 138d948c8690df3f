// EventScript: events as the ledger would write them, made by hand for the read models' tests.
// Sequences run from 1 and each event's request id is {sequence, 0}; every event carries the
// time in now_ns when it was made and its account's balance and version after it (a transfer
// also its destination's). Rejections change no account and may name one that does not exist.
// The script checks no rule: a withdrawal past the overdraft limit is written all the same; an
// account other than a rejection's must have been opened (std::out_of_range otherwise).
//
// Every event is appended to `events`, then handed to the listener, if one was given, so a
// test can apply each to a model as it is made or write them all to a journal afterwards.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/base/identifiers.h"
#include "engine/wire/outcome.h"
#include "engine/wire/protocol.h"

namespace tally::testing {

class EventScript {
 public:
  using Listener = std::function<void(const Outcome&)>;

  explicit EventScript(Listener listener = {}) : listener_(std::move(listener)) {}

  std::vector<Outcome> events;                       // every event made, in sequence order
  int64_t now_ns = 0;                                // the time the next event carries
  AccountType account_type = AccountType::Checking;  // what the next openings carry

  // Sets the time the next events carry: script.when(t).deposit("a", 5).
  EventScript& when(int64_t time_ns) {
    now_ns = time_ns;
    return *this;
  }

  void open(std::string_view id, std::string_view currency, int64_t deposit,
            std::string_view owner = "Ada Lovelace", int64_t overdraft_limit = 0);
  // A transaction id other than zero is carried and flagged kHasTransactionId.
  // With `transaction_text`: as a client gave the id (transaction_id must be its id_of_text).
  void deposit(std::string_view id, int64_t amount, Id128 transaction_id = {},
               std::string_view transaction_text = {});
  void withdraw(std::string_view id, int64_t amount);
  void transfer(std::string_view from, std::string_view to, int64_t amount);
  void freeze(std::string_view id, std::string_view reason = "audit");
  void unfreeze(std::string_view id);
  void close(std::string_view id);
  // A rejected command naming `id` (which may not exist): it moves nothing and changes no
  // account; it carries the account's balance and version if there is one, else zeros.
  void reject(std::string_view id, CommandType command, ResultCode reason, int64_t amount);

  uint64_t last_sequence() const { return sequence_; }

 private:
  Outcome next(EventType type, CommandType command, std::string_view id);
  void change(Outcome& event, std::string_view id);  // a new version of `id`, then emit
  void emit(Outcome& event, std::string_view id);    // with `id`'s balance and version
  void record(const Outcome& event);

  Listener listener_;
  uint64_t sequence_ = 0;
  std::map<std::string, std::pair<int64_t, uint64_t>> state_;  // balance, version
};

}  // namespace tally::testing
