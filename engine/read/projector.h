// Projector: one thread that keeps one read model up to date and answers its queries.
//
// It follows the durable journal (JournalTail, up to the journaler's durable sequence), never
// the ring, so a read model never shows what a crash could take back, and a slow projector
// never holds up commands: it falls behind in the journal and catches up from it (its lag is
// in status()). Start-up and rebuild() are the same path: the model is emptied and the
// journal is read again from its first event.
//
// Like recovery, it applies a request's events only once the request's last event is in the
// journal (complete_requests.h): a request a crash cut is never in a read model. What it reads
// is checked, not trusted: the tail refuses a record that is not the next sequence, the
// projector an event whose time goes back, the model an event that does not fit it
// (event_checks.h). Any of these stops the projector (status().failed, failure() says where
// and why) and its queries are answered Unavailable; the process carries on. What it hands the
// model is asserted: the next sequence but for the events of cut requests.
//
// Queries arrive verified (QueryJob) on a lock-free queue from the network threads. A query
// whose min_sequence the model has not reached waits (read your own writes) until it has, or
// until its deadline, when it gets a Timeout error. No query is answered from a model that has
// not yet reached what the server recovered at start-up (or, after a rebuild, what the model
// held before it): it waits too, and at its deadline gets Unavailable saying how far the model
// got. Answers are finished Response messages
// handed to the AnswerSink with the query's origin. Between two looks at its queue the
// projector applies at most kApplyChunk events (about 0.2 ms of work), which bounds how long a
// query waits behind a catch-up.
//
// Checkpoints (checkpoint.h, when a directory is given): at start-up the projector loads its
// model's newest valid checkpoint, at or below what recovery found, and follows the journal
// from the event after it; bad ones are skipped (checkpoint_skipped() says why) down to a
// rebuild from the first event. While running it checkpoints every `every_events` events or
// `every_seconds` seconds, at a request's end: it copies the model's state (its own thread is
// the only one that may read it) and a CheckpointWriter writes it on a thread of its own.
// rebuild() removes every checkpoint first: they hold what the rebuild is to replace.
// preload() lets the slow part of that start-up (reading and decoding the checkpoint) run while
// recovery is still deciding: the checks against the journal, and any removal, wait for start()
// (checkpoint.h, finish_checkpoint_load), so the model starts from what it would have anyway.
//
// Threads: preload/start/stop/request_rebuild from a control thread; submit() and status() from
// any thread; the model only from the projector's thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include <concurrentqueue/blockingconcurrentqueue.h>

#include "engine/journal/journal_tail.h"
#include "engine/journal/storage.h"
#include "engine/ledger/complete_requests.h"
#include "engine/read/checkpoint.h"
#include "engine/read/checkpoint_writer.h"
#include "engine/read/read_model.h"
#include "engine/wire/projector_status.h"

namespace tally::read {

// A verified query on its way to a projector.
struct QueryJob {
  uint64_t origin = 0;  // who asked (a connection's token): where the answer goes
  std::chrono::steady_clock::time_point deadline;  // for min_sequence waits
  std::vector<uint8_t> frame;                      // a verified protocol::Request
};

class AnswerSink {
 public:
  virtual ~AnswerSink() = default;
  // `response`: a finished protocol::Response (not framed). Called on the projector's thread.
  virtual void deliver(uint64_t origin, std::span<const uint8_t> response) = 0;
};

// Where and how often a projector checkpoints its model.
struct CheckpointPolicy {
  std::string directory;  // "": no checkpoints (every start replays the whole journal)
  // A checkpoint after this many events applied (0: not by count), or this many seconds with
  // events applied (0: not by time), whichever comes first.
  uint64_t every_events = 5'000'000;
  uint32_t every_seconds = 300;
  uint32_t keep = 2;  // the newest kept
};

// Projectors preloading their checkpoints one after the other, in a given order: with
// recovery's thread that makes two runnable threads on two cores. A third took turns with
// recovery's (preempted 200 times, its 1.4 s became 1.9), delaying the server's first answer.
// Any thread.
class PreloadTurns {
 public:
  // Blocks until every turn before `turn` (0, 1, ...) is done.
  void wait_for(uint32_t turn);
  // Ends the current turn: the next may go.
  void done();

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  uint32_t current_ = 0;  // under mutex_
};

class Projector {
 public:
  // 4096 made queries wait behind milliseconds of applying: under 540 K commands/s, 256 gave
  // a reader 1.7 times the queries per second and half the p99 (docs/decisions.md, "Read side").
  static constexpr uint32_t kApplyChunk = 256;

  // `durable_sequence`: the last event the journal holds durably (callable from this thread).
  Projector(journal::Storage& storage, std::string journal_directory,
            std::function<uint64_t()> durable_sequence, std::unique_ptr<ReadModel> model,
            AnswerSink& sink, CheckpointPolicy checkpoints = {});
  Projector(const Projector&) = delete;
  Projector& operator=(const Projector&) = delete;
  ~Projector();

  // Optional, before start() and before recovery is done: starts the thread, which reads and
  // decodes the model's newest checkpoint (reading only) and then waits for start(). A stop()
  // instead ends it with nothing applied and nothing removed. `turns`, if given: it preloads at
  // turn `turn` of them (see PreloadTurns).
  void preload(PreloadTurns* turns = nullptr, uint32_t turn = 0);
  // `recovered_sequence`: the last complete request recovery found; nothing is answered from a
  // model that has not reached it, and a checkpoint beyond it is removed (recovery cut the
  // events it was taken from). Starts the thread, or lets the preloaded one go on.
  void start(uint64_t recovered_sequence = 0);
  // Applies what is durable now, answers what it can, refuses the rest (Unavailable), stops.
  void stop();

  bool answers(protocol::RequestBody type) const { return model_->answers(type); }
  void submit(std::unique_ptr<QueryJob> job);
  // Empties the model and reads the journal again from its start (on the projector's thread).
  void request_rebuild() { rebuild_requested_.store(true, std::memory_order_release); }

  ProjectorStatus status() const;
  // After stop(), or once status().failed: why the journal could not be followed.
  const Status& failure() const { return failure_; }
  // True once the start-up (loading a checkpoint, if any) is done; then checkpoint_skipped()
  // says, "<file>: <why>", which checkpoints were not used.
  bool started() const { return started_.load(std::memory_order_acquire); }
  const std::vector<std::string>& checkpoint_skipped() const { return checkpoint_skipped_; }
  // How many checkpoint writes failed and why the latest did (any thread; none without
  // checkpoints). A failed write costs a longer replay at the next start, never an answer.
  CheckpointWriter::Failures checkpoint_failures() const;

 private:
  using Clock = std::chrono::steady_clock;

  void run();
  // After preload(): false if stop() came before start().
  bool wait_for_start();
  void start_from_checkpoint();
  void checkpoint_if_due();
  void rebuild();
  bool apply_available();
  bool take_queries(Clock::time_point now);
  void handle(std::unique_ptr<QueryJob> job, Clock::time_point now);
  void answer_waiting(Clock::time_point now, bool stopping);
  void answer(const QueryJob& job);
  void refuse(const QueryJob& job, ResultCode code, std::string_view message);
  void send(const QueryJob& job);
  uint64_t applied() const { return applied_sequence_.load(std::memory_order_relaxed); }
  // The sequence the model must reach before `job` may be answered.
  uint64_t needed_by(const QueryJob& job) const;
  void refuse_late(const QueryJob& job, uint64_t reached);

  // A journal event and where it was read, waiting with the rest of its request.
  struct PositionedEvent {
    Outcome event;
    journal::JournalPosition position;
  };
  // Applies one event of a complete request to the model, once its time is checked: kCorruption
  // (with where the event is) if the time goes back or the model refuses the event.
  Status hand_over(const PositionedEvent& entry);

  journal::Storage& storage_;
  std::string journal_directory_;
  std::function<uint64_t()> durable_sequence_;
  std::unique_ptr<ReadModel> model_;
  AnswerSink& sink_;
  std::unique_ptr<journal::JournalTail> tail_;
  CompleteRequests<PositionedEvent> requests_;
  uint64_t ready_sequence_ = 0;  // answer nothing before the model reaches it (projector thread)
  // The projector thread's record of what went by: the last sequence read from the tail, the
  // last event handed to the model and its time, and the dropped events already accounted for.
  uint64_t read_sequence_ = 0;
  uint64_t handed_sequence_ = 0;
  int64_t handed_timestamp_ns_ = 0;
  uint64_t dropped_before_ = 0;
  moodycamel::BlockingConcurrentQueue<std::unique_ptr<QueryJob>> queue_;
  std::vector<std::unique_ptr<QueryJob>> waiting_;  // for min_sequence, oldest first
  flatbuffers::FlatBufferBuilder builder_{1024};
  Status failure_;
  CheckpointPolicy checkpoint_policy_;
  std::unique_ptr<CheckpointWriter> checkpoint_writer_;  // null: no checkpoints
  uint64_t events_since_checkpoint_ = 0;
  Clock::time_point last_checkpoint_;
  std::vector<std::string> checkpoint_skipped_;  // written before started_ is set
  CheckpointPreload preloaded_;                  // the projector thread's, before start()

  // preload() to start(): the thread waits for start() (or stop()) under this lock, which also
  // hands it what start() set (ready_sequence_, tail_).
  std::mutex start_mutex_;
  std::condition_variable start_changed_;
  bool preloading_ = false;                // preload() was called (control thread)
  PreloadTurns* preload_turns_ = nullptr;  // see preload()
  uint32_t preload_turn_ = 0;
  bool start_released_ = false;     // under start_mutex_
  bool stop_before_start_ = false;  // under start_mutex_

  std::atomic<bool> started_{false};  // the start-up (checkpoint loading) is done
  std::atomic<bool> started_from_checkpoint_{false};
  std::atomic<uint64_t> checkpoint_sequence_{0};
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> rebuild_requested_{false};
  std::atomic<bool> failed_{false};
  std::atomic<uint64_t> applied_sequence_{0};
  std::atomic<uint64_t> events_applied_{0};
  std::atomic<uint64_t> queries_answered_{0};
  std::atomic<uint64_t> queries_waiting_{0};
  std::atomic<uint64_t> queries_timed_out_{0};
  std::atomic<uint64_t> rebuilds_{0};
  std::thread thread_;
};

}  // namespace tally::read
