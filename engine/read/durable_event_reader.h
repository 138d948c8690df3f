// DurableEventReader: the durable journal's events from any sequence on, as subscribers see
// them: only events of complete requests (complete_requests.h, the rule recovery uses), in
// sequence order, with how far the reading has covered, so that a subscriber can be told which
// sequences it has seen all of (the events of a request a crash cut are covered but never
// handed out).
//
// open() finds the segment holding `from_sequence` by its header's first sequence (a binary
// search over the journal's segment files) and reads from that segment's start, passing the
// events before `from_sequence` through the complete-request filter without handing them out,
// so a request that started before it is judged whole. It reads only what is durable (up to the
// sequence it is given), through its own mappings, never holding the engine back.
//
// One thread; the storage must allow reading while the journaler writes (PosixStorage does).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/base/result.h"
#include "engine/journal/journal_tail.h"
#include "engine/journal/storage.h"
#include "engine/ledger/complete_requests.h"
#include "engine/wire/outcome.h"

namespace tally::read {

class DurableEventReader {
 public:
  // A reader whose first event handed out is the first of sequence >= `from_sequence` (>= 1).
  // kNotFound if `from_sequence` is past `durable_sequence` + 1 or before the journal's first
  // event; the storage's error if the journal's segments cannot be listed or read.
  static Result<std::unique_ptr<DurableEventReader>> open(journal::Storage& storage,
                                                          const std::string& journal_directory,
                                                          uint64_t from_sequence,
                                                          uint64_t durable_sequence);
  // A reader that continues where the journal continues after recovery (`position`), every
  // sequence before it counted as covered: how the server's shared reader starts.
  DurableEventReader(journal::Storage& storage, std::string journal_directory,
                     const journal::AppendPosition& position);
  DurableEventReader(const DurableEventReader&) = delete;
  DurableEventReader& operator=(const DurableEventReader&) = delete;

  // Appends to `out` the events of complete requests with sequences up to `durable_sequence`,
  // stopping once `events_max` or more were appended (a request's events are appended together,
  // so it may pass events_max by one request's size). Returns how many it appended, or why the
  // journal could not be read (the tail's error, naming file and offset; the reader must then
  // be dropped).
  Result<size_t> read(uint64_t durable_sequence, size_t events_max, std::vector<Outcome>& out);

  // Every sequence up to this one has been read: its event was appended, or it was before
  // `from_sequence`, or it belonged to a cut request. The next event appended is after it.
  uint64_t covered_through() const;
  // The sequence of the next record the tail will read.
  uint64_t next_sequence() const { return tail_.next_sequence(); }

 private:
  DurableEventReader(journal::Storage& storage, std::string journal_directory,
                     const journal::AppendPosition& position, uint64_t from_sequence);

  journal::JournalTail tail_;
  CompleteRequests<Outcome> requests_;
  uint64_t from_sequence_;  // events before it are read but not handed out
};

}  // namespace tally::read
