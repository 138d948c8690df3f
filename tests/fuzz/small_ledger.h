// The ledger limits of the fuzz targets that restore or replay into a ledger (snapshots, journal
// scans) and of the seeds made for them: small tables, so that a ledger per input costs little,
// and limits a seed's snapshot stays within. One place, so that seeds and targets agree.
#pragma once

#include "engine/base/limits.h"

namespace tally::fuzz {

inline LedgerLimits small_ledger_limits() {
  LedgerLimits limits;
  limits.batch_commands_max = 64;
  limits.accounts_max = 1024;
  limits.initial_account_capacity = 16;
  limits.idempotency_window = 1024;
  limits.transaction_ids_max = 1024;
  limits.initial_transaction_capacity = 16;
  return limits;
}

}  // namespace tally::fuzz
