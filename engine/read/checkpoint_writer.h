// CheckpointWriter: writes one projector's checkpoints (checkpoint.h) on a thread of its own at
// background priority, so that the disk's pace (a file of up to hundreds of megabytes, synced)
// holds up neither the projector's queries nor, at nice 10, the pipeline's threads.
//
// The projector encodes a checkpoint itself (a copy of its model's state, which only its
// thread may read) and hands the bytes over; the writer holds at most one, so a slow disk
// costs one copy of memory and skipped checkpoints (try_submit() says false), never a queue.
// A write that fails is counted and retried with the next checkpoint: the journal, not the
// checkpoint, is the truth, so a failed checkpoint only means a longer replay at start-up.
//
// Threads: start/stop and discard_all from the projector's owner or thread, try_submit from the
// projector's thread, the counters from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/base/status.h"
#include "engine/journal/storage.h"

namespace tally::read {

class CheckpointWriter {
 public:
  CheckpointWriter(journal::Storage& storage, std::string directory, uint32_t keep,
                   std::string thread_name);
  CheckpointWriter(const CheckpointWriter&) = delete;
  CheckpointWriter& operator=(const CheckpointWriter&) = delete;
  ~CheckpointWriter();

  void start();
  // Finishes the checkpoint in hand, if any, then stops.
  void stop();

  // Takes `bytes` (encode_checkpoint) to write as the checkpoint at `sequence`; false (nothing
  // taken) while the previous one is still being written.
  bool try_submit(uint64_t sequence, std::vector<uint8_t> bytes);
  // Waits for the checkpoint in hand, then removes every checkpoint (the model is rebuilt from
  // the journal's first event: what they hold is what the rebuild is to replace).
  Status discard_all();

  // True while a checkpoint is in hand (try_submit would say false).
  bool busy() const;
  uint64_t written() const { return written_.load(std::memory_order_relaxed); }

  struct Failures {
    uint64_t count = 0;  // writes that failed
    Status last;         // the latest of them (ok while count is 0)
  };
  // Read together under the lock, so that a log line's count and reason are of the same write;
  // a success does not clear `last`, so a failure stays visible to a caller that looks late.
  Failures failures() const;

 private:
  void run();
  void write(uint64_t sequence, const std::vector<uint8_t>& bytes);

  journal::Storage& storage_;
  const std::string directory_;
  const uint32_t keep_;
  const std::string thread_name_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  // Under mutex_: the checkpoint in hand (empty bytes: none), whether it is being written, and
  // the failed writes.
  uint64_t pending_sequence_ = 0;
  std::vector<uint8_t> pending_bytes_;
  bool writing_ = false;
  bool stop_requested_ = false;
  Failures failures_;
  std::atomic<uint64_t> written_{0};
  std::thread thread_;
};

}  // namespace tally::read
