// TALLY_ASSERT: an always-on invariant check, kept in release builds. An invariant that fails
// means the ledger's state can no longer be trusted, so the process stops at once with the
// place and the condition rather than writing a wrong balance to the journal.
#pragma once

#include <cstdio>
#include <cstdlib>

#define TALLY_ASSERT(condition)                                                          \
  do {                                                                                   \
    if (__builtin_expect(!(condition), 0)) {                                             \
      std::fprintf(stderr, "tally: invariant failed at %s:%d: %s\n", __FILE__, __LINE__, \
                   #condition);                                                          \
      std::abort();                                                                      \
    }                                                                                    \
  } while (false)
