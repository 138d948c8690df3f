// Snapshotter: takes snapshots while the engine runs, without ever holding up the ring.
//
// It is not a ring consumer: on its own thread it tails the journal's segment files up to the
// journaler's durable sequence (JournalTail), replays what it reads into a mirror ledger
// (Ledger::replay), and every `every_events` events or `every_seconds` seconds (whichever comes
// first, at a request boundary), writes the mirror as a snapshot (write_snapshot: temporary file,
// sync, rename, directory sync, keep the newest `keep`). A slow disk delays snapshots, never
// commands. Owner: the thread that starts and stops it; failure() and counters after stop().
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "engine/journal/journal_tail.h"
#include "engine/journal/journal_writer.h"
#include "engine/journal/journaler.h"
#include "engine/journal/storage.h"
#include "engine/ledger/ledger.h"

namespace tally::journal {

struct SnapshotterConfig {
  std::string journal_directory;
  std::string snapshot_directory;
  uint64_t every_events = 10'000'000;  // a snapshot after this many events (0: never)...
  uint32_t every_seconds = 300;        // ...or this long, if any event came (0: events only)
  uint32_t keep = 2;
};

class Snapshotter {
 public:
  // `mirror` holds the state up to `from`: the journal position recovery ended at (where the
  // next event will be read). The storage must be safe to use from another thread
  // (PosixStorage is).
  Snapshotter(Storage& storage, SnapshotterConfig config, const Journaler& journaler,
              std::unique_ptr<Ledger> mirror, const AppendPosition& from);
  Snapshotter(const Snapshotter&) = delete;
  Snapshotter& operator=(const Snapshotter&) = delete;
  ~Snapshotter();

  void start();
  // Reads up to what is durable now, then stops (no final snapshot).
  void stop();
  // The thread's work, done by the caller instead (never both): reads and mirrors what is
  // durable now, taking each snapshot as it falls due. False once the snapshotter has failed.
  // The power-loss simulation drives it so, one step at a time, deterministically.
  bool catch_up();

  const Status& failure() const { return failure_; }
  uint64_t snapshots_written() const { return snapshots_written_.load(std::memory_order_relaxed); }
  uint64_t mirrored_sequence() const { return mirrored_sequence_.load(std::memory_order_relaxed); }

 private:
  void run();
  Status take_snapshot_if_due();

  Storage& storage_;
  SnapshotterConfig config_;
  const Journaler& journaler_;
  std::unique_ptr<Ledger> mirror_;
  JournalTail tail_;
  uint64_t events_since_snapshot_ = 0;
  std::chrono::steady_clock::time_point last_snapshot_ = std::chrono::steady_clock::now();
  Status failure_;
  std::atomic<bool> stop_requested_{false};
  std::atomic<uint64_t> snapshots_written_{0};
  std::atomic<uint64_t> mirrored_sequence_{0};
  std::thread thread_;
};

}  // namespace tally::journal
