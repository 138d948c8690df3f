// Outcome: what one command produced, and one entry of the outcome ring, written by the
// business-logic thread and read by every consumer (journaler, replier, projectors,
// snapshotter).
//
// Each command yields exactly one outcome, so a batch of N commands fills N consecutive slots.
// Most outcomes are events: a new fact with the next ledger sequence (rejections are facts too),
// journaled and projected; the journal and the read models see only these. An outcome flagged
// kReplayedAnswer is not an event: it answers an idempotent retry with the original result,
// carries that result's sequence, and is neither journaled nor projected.
//
// Layout: the fields every consumer reads first, the strings after, so a deposit touches three
// cache lines of the slot.
#pragma once

#include <cstdint>
#include <string_view>

#include "engine/base/identifiers.h"
#include "engine/base/inline_string.h"
#include "engine/base/limits.h"
#include "engine/wire/currency.h"
#include "engine/wire/protocol.h"

namespace tally {

enum OutcomeFlags : uint8_t {
  kLastInRequest = 1 << 0,     // the last entry of its request: the replier can answer it
  kReplayedAnswer = 1 << 1,    // an idempotent retry's answer, not a new event
  kHasTransactionId = 1 << 2,  // transaction_id is meaningful
  kAtomicBatch = 1 << 3,       // part of an atomic batch
};

struct alignas(64) Outcome {
  uint64_t sequence = 0;     // ledger sequence: gapless, strictly increasing over events
  int64_t timestamp_ns = 0;  // Unix time, never goes backwards
  uint64_t origin = 0;       // the submitter's token (CommandBatch::origin)
  Id128 request_id;
  uint16_t command_index = 0;
  EventType type = EventType::Unknown;
  CommandType command_type = CommandType::Unknown;
  ResultCode code = ResultCode::Ok;  // the command's outcome; CommandRejected: the reason
  uint8_t flags = 0;                 // OutcomeFlags
  AccountType account_type = AccountType::Checking;  // AccountOpened
  int64_t amount = 0;                                // money moved; AccountOpened: initial deposit
  int64_t balance = 0;                               // account_id's balance after the event
  uint64_t version = 0;                              // account_id's version after the event
  int64_t counterparty_balance = 0;                  // Transferred: the destination's balance after
  uint64_t counterparty_version = 0;                 // Transferred: the destination's version after
  Id128 transaction_id;
  int64_t overdraft_limit = 0;  // AccountOpened
  uint64_t fingerprint = 0;     // of the request's commands, to rebuild the retry window
  CurrencyCode currency;        // AccountOpened
  InlineString<kAccountIdBytesMax> account_id;
  InlineString<kAccountIdBytesMax> counterparty_id;
  // By the command: an opening's owner, a freeze's reason, a money movement's transaction id as
  // the client gave it (empty: not given); tried or done.
  InlineString<kOwnerBytesMax> text;

  bool is_replayed_answer() const { return (flags & kReplayedAnswer) != 0; }
  bool is_last_in_request() const { return (flags & kLastInRequest) != 0; }
  bool is_event() const { return !is_replayed_answer(); }
  // `text` split by what it holds, so that no reader shows one as the other.
  std::string_view transaction_text() const {
    return moves_money(command_type) ? text.view() : std::string_view();
  }
  std::string_view owner_or_reason() const {
    return moves_money(command_type) ? std::string_view() : text.view();
  }
};

static_assert(kOwnerBytesMax == kFreezeReasonBytesMax, "Outcome::text holds either");
static_assert(sizeof(Outcome) == 384, "ring memory is sized in whole cache lines");

}  // namespace tally
