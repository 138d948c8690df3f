// SegmentPreparer: makes the journal's next segment file before the writer needs it, at its
// full size with its space reserved (so a full disk fails here, never in the middle of an
// append), and synced. In the background mode a thread does it, so that a rotation only
// collects the file and never waits on the allocation's metadata commit.
//
// The background thread also writes the file's zeros (Storage::create_prewritten_file: with
// O_DIRECT, a megabyte at a time, 50-90 ms for 64 MiB here), at nice 10: the journal's appends
// then overwrite written blocks, and their syncs never wait for the kernel to convert reserved
// extents, which under load stalled syncs for 20-180 ms (docs/decisions.md, "Journal syncs wait
// for no kernel worker"). Written through the page cache in one piece, the 64 MiB of zeros once
// competed with the journal's syncs for the disk and cost more at p99 than they saved.
//
// Inline mode makes the file in begin(), space reserved only: for storages that are not
// thread-safe (the tests' FaultyStorage) and tools that write a journal once. One owner
// thread calls begin() and finish(), alternately; the background thread touches only the file
// being made, through a thread-safe Storage.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

#include "engine/base/status.h"
#include "engine/journal/storage.h"

namespace tally::journal {

enum class Preparation : uint8_t { kInline, kBackground };

class SegmentPreparer {
 public:
  SegmentPreparer(Storage& storage, Preparation mode) : storage_(storage), mode_(mode) {}
  SegmentPreparer(const SegmentPreparer&) = delete;
  SegmentPreparer& operator=(const SegmentPreparer&) = delete;
  ~SegmentPreparer();  // waits for a preparation under way

  // Starts making `path` (which must not exist) with `bytes`. Inline, the file is made before
  // it returns and a failure is returned; in the background, failures wait for finish().
  Status begin(std::string path, uint64_t bytes);

  // Ends the preparation begun last, waiting for it if need be: the file exists when this
  // returns ok.
  Status finish();

  // Whether the preparation begun last is over: finish() then does not wait.
  bool done() const { return done_.load(std::memory_order_acquire); }

 private:
  Storage& storage_;
  Preparation mode_;
  std::thread thread_;
  std::atomic<bool> done_{false};
  Status status_;  // the background thread's, read after it joined
};

}  // namespace tally::journal
