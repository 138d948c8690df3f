// Command: one decoded client command as the business-logic thread applies it, and
// CommandBatch: the commands of one request.
//
// Both are views: strings point into the buffer the command arrived in (a verified FlatBuffers
// frame, or a test's literals), which must outlive the call to Ledger::apply. Nothing here
// allocates. Decoding from the wire is in wire_decoder.h; validation happens in the ledger,
// so a malformed command becomes a recorded rejection, never a lost one.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "engine/base/identifiers.h"
#include "engine/wire/protocol.h"

namespace tally {

struct Command {
  CommandType type = CommandType::Unknown;
  std::string_view account_id;       // the account; Transfer: the source
  std::string_view counterparty_id;  // Transfer: the destination
  std::string_view owner;            // OpenAccount
  std::string_view currency;  // OpenAccount; Deposit, Withdraw, Transfer: expected (empty: any)
  std::string_view reason;    // FreezeAccount
  AccountType account_type = AccountType::Checking;  // OpenAccount
  int64_t amount = 0;           // Deposit, Withdraw, Transfer; OpenAccount: initial deposit
  int64_t overdraft_limit = 0;  // OpenAccount
  Id128 transaction_id;         // zero: none
  // Deposit, Withdraw, Transfer: transaction_id as the client gave it (empty: not given); the
  // ledger checks that transaction_id is id_of_text of it (engine/base/id_text.h).
  std::string_view transaction_text;
  std::optional<uint64_t> expected_version;               // of account_id
  std::optional<uint64_t> expected_counterparty_version;  // Transfer: of counterparty_id
};

struct CommandBatch {
  Id128 request_id;     // the idempotency key of the whole batch
  uint64_t origin = 0;  // opaque token of the submitter, copied to every event (replies)
  bool atomic = false;  // all commands apply, or none
  std::span<const Command> commands;
  // request_fingerprint(*this), if the submitter computed it (the ingress does, off the logic
  // thread); kFingerprintNotComputed (0) and the ledger computes it.
  uint64_t fingerprint = 0;
};

}  // namespace tally
