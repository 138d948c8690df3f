// DurableEngine: the engine as tallyd runs it, on a data directory. start() recovers (newest
// valid snapshot, then the journal after it), opens the journal where recovery ended and
// starts the pipeline with one consumer thread doing two stages on each group in turn:
//
//   logic thread → [journaler (append, group sync), then replier (answers clients)]
//
// (the journaler behind a BatchEndTimer, which times each group's sync for `tally stats`; the
// replier answers a group only once its sync returned, on the same thread, so a lone request
// crosses no hand-off between its sync and its answer)
//
// plus the snapshotter and the read side's projectors on their own threads, tailing the durable
// journal. stop() closes the ingress, drains the pipeline (every accepted request is applied,
// journaled, synced and answered) and stops the snapshotter and the projectors.
//
// Threads: start/stop from one control thread; ingress() from network threads while running;
// fill_stats() and failed() from any thread; journal_failure() and snapshot_failure() after
// stop().
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/base/result.h"
#include "engine/journal/data_directory_lock.h"
#include "engine/journal/journaler.h"
#include "engine/journal/posix_storage.h"
#include "engine/journal/recovery.h"
#include "engine/journal/snapshotter.h"
#include "engine/pipeline/batch_end_timer.h"
#include "engine/pipeline/pipeline.h"
#include "net/protocol/messages.h"
#include "net/server/read_side.h"
#include "net/server/replier.h"
#include "net/server/server_config.h"

namespace tally::net {

// What start-up found, for the operator's log.
struct StartupReport {
  uint64_t snapshot_sequence = 0;  // 0: no snapshot loaded
  std::vector<std::string> snapshots_skipped;
  uint64_t events_replayed = 0;
  uint64_t last_sequence = 0;
  uint64_t accounts = 0;
  uint64_t synced_floor = 0;  // every event up to it had been synced
  std::string synced_floor_source;
  bool clean_shutdown = false;             // the last run stopped cleanly
  std::optional<journal::JournalCut> cut;  // a torn tail cut (and kept aside)
  std::vector<std::string> warnings;
  bool directory_in_use = false;  // start() failed because another process holds the directory
  std::chrono::nanoseconds duration{0};
};

class DurableEngine {
 public:
  DurableEngine(const ServerConfig& config, ResponseRouter& router, ServerCounters& counters);
  DurableEngine(const DurableEngine&) = delete;
  DurableEngine& operator=(const DurableEngine&) = delete;
  ~DurableEngine();

  // The first problem found (the journal cannot be trusted, the disk refuses), or ok.
  Status start(StartupReport& report);
  void stop();

  // Any thread: true once a consumer failed (the journal cannot be written): nothing more is
  // acknowledged and tallyd must exit non-zero.
  bool failed() const { return pipeline_ != nullptr && pipeline_->ring().has_failed(); }
  // After stop(): why the journal or the snapshotter failed, or ok.
  Status journal_failure() const;
  Status snapshot_failure() const;

  Ingress& ingress() { return pipeline_->ingress(); }
  ReadSide& read_side() { return read_side_; }
  // The engine's part of the stats: queue depths, lag, durable sequence, snapshots, and the
  // logic thread's latency stages.
  void fill_stats(ServerStats& stats) const;

 private:
  // What recovery hands to the running engine: the ledger, and where the journal continues.
  struct Recovered {
    std::unique_ptr<Ledger> ledger;
    journal::AppendPosition position;
  };

  Status prepare_directories(StartupReport& report);
  // Fills `report` with what recovery found, whether or not it succeeded.
  Result<Recovered> recover(StartupReport& report);

  const ServerConfig& config_;
  ResponseRouter& router_;
  ServerCounters& counters_;
  journal::DataDirectoryLock lock_;  // held from start() to the end of the process
  journal::PosixStorage storage_;
  ReadSide read_side_;
  std::unique_ptr<journal::JournalWriter> writer_;
  std::unique_ptr<journal::Journaler> journaler_;
  std::unique_ptr<BatchEndTimer> journal_timer_;  // the journaler, as the ring sees it
  std::unique_ptr<Replier> replier_;  // after the pipeline: it reads the logic thread's traces
  std::unique_ptr<journal::Snapshotter> snapshotter_;
  std::unique_ptr<Pipeline> pipeline_;
  static constexpr size_t kJournalStage = 0;  // of answering_consumer_; the replier is next
  const OutcomeConsumer* answering_consumer_ = nullptr;  // the journaler, then the replier
  bool running_ = false;
};

}  // namespace tally::net
