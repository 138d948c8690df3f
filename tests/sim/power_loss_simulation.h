// The power-loss simulation: the engine's whole durable path in one thread, deterministic under
// a seed, with the power cut at any storage operation.
//
// One run is a few lives of one data directory (tests/support/faulty_storage.h, in memory). Each
// life recovers it as tallyd does (newest snapshot, then the journal), then applies a random
// stream of requests (every command type, atomic batches, retries of earlier requests) to the
// ledger, journals them with group commit (Journaler → JournalWriter), and lets the snapshotter
// catch up now and then. The power goes at a random storage operation (every operation from it
// on fails, as if the machine stopped just before it), or at a quiet moment, or after a clean
// stop; the disk then keeps, drops or tears each sector written but not synced, and keeps some
// of the directory changes not synced (a prefix, as a journaling file system does, or any
// subset, as POSIX allows).
//
// After each power loss, the next life's recovery must hold: every acknowledged request (and
// no part of a request that was not complete), money conserved, the journal's events exactly
// those the engine produced, the retry window answering a retry of an acknowledged request with
// its original outcome, the read models (rebuilt from the journal as the projectors do) equal
// to the ledger, and no corruption reported where there is none. Some lives also flip one bit in
// a record that was provably synced, or in the newest snapshot: the journal must be refused,
// with nothing on disk changed; a snapshot must be skipped, with the same state recovered.
#pragma once

#include <cstdint>
#include <string>

namespace tally::testing {

struct SimulationOptions {
  uint64_t seed = 1;
  uint32_t lives = 4;                // power losses per run, each followed by a recovery
  uint32_t requests_per_life = 120;  // at most; the power may go sooner
  bool trace = false;                // keep a line per step in SimulationResult::trace
  // Self-test: the journaler acknowledges without syncing (SyncPolicy::kNone), so the
  // simulation must find acknowledged requests lost.
  bool acknowledge_unsynced = false;
};

struct SimulationResult {
  bool passed = true;
  std::string failure;  // the first broken property, with the life and step it broke in
  std::string trace;
  uint64_t requests = 0;
  uint64_t acknowledged = 0;
  uint64_t power_losses = 0;
  uint64_t clean_stops = 0;
  uint64_t torn_tails_cut = 0;       // recoveries that cut unacknowledged bytes
  uint64_t corruptions_refused = 0;  // injected bit flips in synced records, refused
  uint64_t snapshots_skipped = 0;    // injected bit flips in snapshots, skipped
  uint64_t snapshots_written = 0;
  uint64_t retries_answered = 0;  // retries of acknowledged requests answered from the window
};

SimulationResult simulate_power_loss(const SimulationOptions& options);

// The command that replays one seed with its trace.
std::string reproduce_command(const SimulationOptions& options);

}  // namespace tally::testing
