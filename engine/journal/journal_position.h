// JournalPosition: where one record of the journal is, in 8 bytes (segment file and byte offset
// in it), so a read model can index millions of events without copying them (design.md §4).
// A position stays valid for as long as the journal keeps its segments, which is forever:
// segments are never removed.
#pragma once

#include <cstdint>

namespace tally::journal {

struct JournalPosition {
  uint32_t segment_index = 0;
  uint32_t offset = 0;  // of the record's header in the segment (segments stay under 4 GiB)

  friend bool operator==(const JournalPosition&, const JournalPosition&) = default;
};
static_assert(sizeof(JournalPosition) == 8);

}  // namespace tally::journal
