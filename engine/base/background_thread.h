// Background threads (the snapshotter, the projectors): work that may fall behind and catch up
// from the journal, so on a machine with few cores the pipeline's threads get the CPU first.
#pragma once

#include <string_view>

namespace tally {

// Below the pipeline's threads (nice 0): closed-loop throughput on 2 cores went from 794 K to
// 1.05 M commands/s with the projectors at this value (docs/decisions.md, "Read side").
inline constexpr int kBackgroundNiceness = 10;

// Called by the thread itself: names it (15 characters at most, for top, perf and gdb) and
// lowers its priority to kBackgroundNiceness. Linux applies both to the calling thread alone;
// a failure of either changes nothing else.
void become_background_thread(std::string_view name);

}  // namespace tally
