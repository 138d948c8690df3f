// Account: the business-logic thread's state for one account. Only that thread reads or
// writes it. Kept small on purpose (32 bytes): the id lives once, in AccountDirectory's key;
// the owner lives in events and read models, because no rule needs it.
#pragma once

#include <cstdint>

#include "engine/wire/currency.h"
#include "engine/wire/protocol.h"

namespace tally {

struct Account {
  int64_t balance = 0;          // minor units; may be negative down to -overdraft_limit
  int64_t overdraft_limit = 0;  // >= 0
  uint64_t version = 0;         // 1 when opened, +1 per event that changes the account
  CurrencyCode currency{};
  AccountStatus status = AccountStatus::Active;
  AccountType type = AccountType::Checking;
};

static_assert(sizeof(Account) == 32, "Account is part of the memory-per-account budget");

}  // namespace tally
