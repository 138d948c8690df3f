// SyncBaseline: the disk's floor for one durable request on this machine. `appends` appends of
// `append_bytes` each, every one written by offset into a file already written with zeros and
// then made durable with fdatasync, the cheapest way this disk has to make a small append
// durable (docs/performance.md, DiskFloor). Tallyd's one-at-a-time durable round trip is
// compared with the bare echo plus this, measured in the same run, so machine noise cancels.
//
// The file is made in `directory` (put it on the data directory's file system) and removed.
#pragma once

#include <cstdint>
#include <string>

#include "tools/load/latency_histogram.h"

namespace tally::load {

// A lone deposit's journal record (its header and event) takes about this much.
inline constexpr uint32_t kSyncBaselineAppendBytes = 128;

// Throws std::runtime_error (saying which call failed) if the file cannot be made or written.
LatencyHistogram measure_append_syncs(const std::string& directory, uint32_t appends,
                                      uint32_t append_bytes);

}  // namespace tally::load
