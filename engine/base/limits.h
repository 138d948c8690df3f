// Limits of the ledger: fixed ones (part of the data model, static) and configured ones
// (LedgerLimits, chosen at start-up). Every limit has a documented default and a clear error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/base/status.h"

namespace tally {

// Fixed by the data model; changing them changes the journal and wire formats.
inline constexpr size_t kAccountIdBytesMax = 64;
inline constexpr size_t kOwnerBytesMax = 128;
inline constexpr size_t kFreezeReasonBytesMax = 128;
inline constexpr size_t kCurrencyCodeBytes = 3;
// Events record a command's index in its batch in 16 bits.
inline constexpr uint32_t kBatchCommandsMax = 65'535;

struct LedgerLimits {
  // Commands in one batch (wire frames and in-process submissions alike); 1..kBatchCommandsMax.
  uint32_t batch_commands_max = 8190;
  // Accounts the ledger will hold; opening one more is rejected with LimitExceeded.
  uint32_t accounts_max = 100'000'000;
  // Accounts whose memory is reserved at start-up, so growth does not rehash on the hot path.
  uint32_t initial_account_capacity = 1 << 16;
  // Commands whose requests are remembered for idempotent retries, most recent first, whole
  // requests at a time. 32 bytes per command plus about 64 per request; 0 disables retry
  // detection; otherwise at least batch_commands_max, so that any request fits.
  uint32_t idempotency_window = 1 << 20;
  // Business transaction ids remembered for uniqueness (forever); at the limit, money movements
  // carrying a new transaction id are rejected with LimitExceeded. About 20 bytes each.
  uint64_t transaction_ids_max = 10'000'000;
  // Transaction ids whose memory is reserved at start-up.
  uint32_t initial_transaction_capacity = 1 << 16;

  // Ok if the limits are consistent, else kInvalidArgument saying what is wrong, for the operator.
  Status validate() const;
};

}  // namespace tally
