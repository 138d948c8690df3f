// WideSum: a signed 128-bit integer, for sums of int64 amounts and balances (reserves, account
// totals) that must not overflow however long the ledger runs. GCC and Clang's __int128;
// __extension__ keeps -pedantic quiet about it.
#pragma once

namespace tally {

__extension__ typedef __int128 WideSum;

}  // namespace tally
