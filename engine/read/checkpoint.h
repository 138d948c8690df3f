// Read-model checkpoints: one read model's whole state as of one sequence, in a checksummed
// file beside the ledger's snapshots, so that start-up replays only the journal after it
// (format: docs/journal-format.md, "Read-model checkpoints").
//
// A file is a CheckpointHeader then the model's bytes (ReadModel::save). It is written as
// snapshots are: to a temporary name, synced, renamed, the directory synced, so a crash leaves
// the old set of checkpoints or the new one, never half a file under a checkpoint's name; the
// newest `keep` are kept. Loading takes the newest valid one and falls back to older ones:
// a file that is cut short, of another format or model version, another model's, with a wrong
// checksum, a state the model refuses, or one that does not match the journal (beyond what
// recovery left in it, or its last event not where it says) is skipped and said why, never
// trusted. Pure functions over a Storage; one thread at a time per directory.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "engine/base/result.h"
#include "engine/journal/journal_writer.h"
#include "engine/journal/storage.h"
#include "engine/read/read_model.h"

namespace tally::read {

inline constexpr uint64_t kCheckpointMagic = 0x31504B43594C4154ULL;  // bytes "TALYCKP1"
inline constexpr uint32_t kCheckpointFormatVersion = 1;
inline constexpr size_t kCheckpointModelNameBytes = 16;

struct CheckpointHeader {
  uint64_t magic;
  uint32_t format_version;
  uint32_t header_bytes;
  char model_name[kCheckpointModelNameBytes];  // ReadModel::name(), zero-padded
  uint32_t state_version;                      // ReadModel::state_version()
  uint32_t last_segment;                       // the last event's record: segment index...
  uint32_t last_offset;                        // ...and offset in it
  uint32_t reserved;                           // zero
  uint64_t sequence;                           // the last event covered (a request's last)
  int64_t timestamp_ns;                        // its time
  uint64_t body_bytes;
  uint64_t body_checksum;    // XXH3-64 of the body
  uint64_t header_checksum;  // XXH3-64 of the fields above (the body's checksum among them)
};
static_assert(sizeof(CheckpointHeader) == 88);

// The whole file for `model` covering `covered`.
std::vector<uint8_t> encode_checkpoint(const ReadModel& model, const CheckpointCoverage& covered);

// Restores `bytes` into `model` (just reset) and says what they cover. kCorruption saying what
// is wrong ("checkpoint corrupt: ..."); then the model holds garbage and must be reset.
Result<CheckpointCoverage> decode_checkpoint(std::span<const uint8_t> bytes, ReadModel& model);

std::string checkpoint_name(uint64_t sequence);

// Writes `bytes` (encode_checkpoint) as the checkpoint at `sequence` in `directory`, then
// removes all but the newest `keep`.
Status write_checkpoint(journal::Storage& storage, const std::string& directory, uint64_t sequence,
                        std::span<const uint8_t> bytes, uint32_t keep);

// Removes every checkpoint in `directory` (and leftovers of interrupted writes).
Status remove_checkpoints(journal::Storage& storage, const std::string& directory);

struct CheckpointLoad {
  Status status;                     // an I/O error; bad checkpoints are skipped, not errors
  bool loaded = false;               // false: the model is empty (reset), replay from the start
  CheckpointCoverage covered;        // when loaded
  journal::AppendPosition resume;    // when loaded: where the journal's next event is
  std::vector<std::string> skipped;  // "<file>: <what is wrong>" for each one not used
};

// Loads the newest valid checkpoint in `directory` into `model` (reset first, and again after
// each refusal). `journal_last_sequence`: the last event recovery left in the journal; a
// checkpoint beyond it is removed (the journal it was taken from is gone) and, like any
// other, one whose last event is not in `journal_directory` where it says is skipped.
CheckpointLoad load_newest_checkpoint(journal::Storage& storage, const std::string& directory,
                                      const std::string& journal_directory,
                                      uint64_t journal_last_sequence, ReadModel& model);

// The same load in two steps, so that its slow part (reading and decoding hundreds of megabytes)
// runs while recovery is still deciding whether the journal can be trusted, and nothing is
// judged against the journal, or removed, before that verdict:
//   preload_newest_checkpoint: writes and removes nothing, never fails: the newest checkpoint
//     (by name) decoded into `model` (reset first, and again if it does not decode). A model's
//     restore may read journal segments meanwhile (the history model maps them to check its
//     entries' positions) while recovery may zero a cut tail or set segments after a cut
//     aside: recovery never changes a segment's size, so such a check holds or fails as it
//     would after recovery, and a checkpoint reaching past the cut is refused by the finish;
//   finish_checkpoint_load: once recovery is done, exactly what load_newest_checkpoint would
//     load: the preloaded checkpoint if it is still the newest, within what recovery left in
//     the journal and where the journal says; otherwise load_newest_checkpoint itself, with
//     its skips and removals.
struct CheckpointPreload {
  bool decoded = false;  // `model` holds the checkpoint named below
  std::string name;
  CheckpointCoverage covered;
};
CheckpointPreload preload_newest_checkpoint(journal::Storage& storage, const std::string& directory,
                                            ReadModel& model);
CheckpointLoad finish_checkpoint_load(journal::Storage& storage, const std::string& directory,
                                      const std::string& journal_directory,
                                      uint64_t journal_last_sequence, ReadModel& model,
                                      const CheckpointPreload& preload);

}  // namespace tally::read
