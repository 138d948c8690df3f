// Snapshots: the ledger's whole state as of one sequence (accounts, transaction ids, the retry
// window, the position), so that recovery replays only the journal after it.
//
// A snapshot file is a SnapshotHeader then the body; both carry checksums. It is written to a
// temporary name, synced, renamed, and the directory synced, so a crash leaves either the old
// set of snapshots or the new one, never half a file under a snapshot's name. The last `keep`
// are kept. Loading takes the newest valid one and falls back to older ones if it is corrupt.
// Pure functions over a Storage; one thread at a time per directory.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "engine/journal/storage.h"
#include "engine/ledger/ledger.h"

namespace tally::journal {

inline constexpr uint64_t kSnapshotMagic = 0x31504E53594C4154ULL;  // bytes "TALYSNP1"
inline constexpr uint32_t kSnapshotFormatVersion = 1;

struct SnapshotHeader {
  uint64_t magic;
  uint32_t format_version;
  uint32_t header_bytes;
  uint64_t sequence;     // the last event the snapshot includes
  int64_t timestamp_ns;  // the ledger's clock at that event
  uint64_t account_count;
  uint64_t transaction_count;
  uint64_t request_count;  // remembered requests (retry window)
  uint64_t body_bytes;
  uint64_t body_checksum;    // XXH3-64 of the body
  uint64_t header_checksum;  // XXH3-64 of the fields above
};
static_assert(sizeof(SnapshotHeader) == 80);

std::vector<uint8_t> encode_snapshot(const Ledger& ledger);

// Restores `bytes` into `ledger`, which must not have applied anything. kCorruption if the
// bytes are not a complete, consistent snapshot, or hold a state the ledger could never have
// produced, even under a valid checksum (Ledger's restore functions say which; then `ledger`
// must be thrown away). The message names the problem ("snapshot corrupt: account a: ...").
Status decode_snapshot(std::span<const uint8_t> bytes, Ledger& ledger);

std::string snapshot_name(uint64_t sequence);

// Writes `ledger` as a snapshot in `directory` and removes all but the newest `keep`.
Status write_snapshot(Storage& storage, const std::string& directory, const Ledger& ledger,
                      uint32_t keep);

struct SnapshotLoad {
  Status status;                     // an I/O error; corrupt snapshots are skipped, not errors
  std::unique_ptr<Ledger> ledger;    // from the newest valid snapshot, or fresh if none
  uint64_t sequence = 0;             // the snapshot's last event; 0 if none was loaded
  std::vector<std::string> skipped;  // "<file>: <what is wrong>" for each corrupt one
};

SnapshotLoad load_newest_snapshot(Storage& storage, const std::string& directory,
                                  const LedgerLimits& limits);

}  // namespace tally::journal
