// Recovery at start-up: rebuild the ledger from the journal (and, with snapshots, from the
// newest valid snapshot first), decide whether the journal can be trusted, and only then (if
// it can) change anything on disk. Prints nothing: the caller reports what the RecoveryReport
// says.
//
// The verdict rests on the synced floor: the highest sequence known to have been synced, from
// the manifest (journal_manifest.h), the durable mark (durable_mark.h), the snapshot (it was
// taken from the durable journal) and the synced distances of records found after damage.
// Anything wrong at or below the floor was acknowledged once and is corruption, refused with
// the file, the offset and the sequence, whatever its distance from the end; so is a missing
// segment, or a journal that ends below the floor. Only damage above the floor, in the last
// segment, is a torn tail: it is cut, the cut bytes are kept aside in a ".cut" file, and the
// report says how many events were cut.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/journal/journal_reader.h"
#include "engine/ledger/ledger.h"

namespace tally::journal {

struct RecoveryOptions {
  uint64_t snapshot_sequence = 0;  // the ledger was loaded from a snapshot at this sequence
  // The operator's explicit choice after a refusal: cut the journal at the corruption (and drop
  // every later segment) instead of refusing. Never the default.
  bool cut_at_corruption = false;
  // Decide and report only; never write (offline tools).
  bool read_only = false;
  // The newest valid snapshot on disk when replay starts before it (offline tools replay the
  // whole journal): the journal must still reach it.
  uint64_t snapshot_on_disk = 0;
};

// A cut the verdict calls for (a torn tail, or corruption the operator chose to cut).
struct JournalCut {
  std::string file;
  uint64_t segment_index = 0;
  uint64_t offset = 0;
  uint64_t first_sequence = 0;  // the first sequence cut
  uint64_t events_cut = 0;      // at least this many events (whole or partly written) are lost
  uint64_t bytes = 0;           // written bytes cut (kept aside)
  bool torn_tail = false;       // proven never synced; false: corruption the operator cut
  std::string problem;
  std::string saved_to;  // where the cut bytes were kept ("" when read only)
};

struct RecoveryReport {
  Status status;  // ok, or why the journal cannot be trusted (nothing was changed on disk)
  uint64_t events_replayed = 0;
  uint64_t last_sequence = 0;
  AppendPosition append_position;   // hand to JournalWriter::open
  uint64_t synced_floor = 0;        // every event up to it was synced
  std::string synced_floor_source;  // where that was learnt (manifest, durable mark, ...)
  bool clean_shutdown = false;      // the manifest recorded a clean stop at the journal's end
  std::optional<JournalCut> cut;
  std::vector<std::string> warnings;  // accepted, but an operator should know
  std::chrono::nanoseconds duration{0};
};

// Replays every journaled event after options.snapshot_sequence into `ledger` (fresh, or loaded
// from that snapshot), decides, and unless read_only applies the verdict's cut.
RecoveryReport recover(Storage& storage, const std::string& directory, Ledger& ledger,
                       const RecoveryOptions& options = {});

// A data directory's whole recovery, as tallyd starts: the newest valid snapshot (older ones if
// it is corrupt), then the journal after it.
struct LedgerRecovery {
  Status status;                   // the first problem: a snapshot unreadable, the journal refused
  std::unique_ptr<Ledger> ledger;  // the recovered state (meaningless unless status is ok)
  uint64_t snapshot_sequence = 0;  // 0: no snapshot loaded
  std::vector<std::string> snapshots_skipped;  // "<file>: <what is wrong>"
  RecoveryReport journal;
};
LedgerRecovery recover_ledger(Storage& storage, const std::string& journal_directory,
                              const std::string& snapshot_directory, const LedgerLimits& limits);

// As recover(), with a visitor of its own instead of a ledger (offline tools).
RecoveryReport assess_journal(Storage& storage, const std::string& directory,
                              const RecoveryOptions& options, const EventVisitor& visit);

}  // namespace tally::journal
