// ReadModel: what a projector keeps up to date and queries read. A read model is fed every
// durable event in sequence order, with where the event sits in the journal, and answers the
// query types it owns.
//
// Contract: apply() sees each event of a complete request once, in order (sequences grow, times
// never go backwards: asserted), starting from the journal's first event (or again from it after
// reset()). It checks that the event fits what the model holds (event_checks.h) and refuses one
// that does not with kCorruption, the model left as it was: the journal is read from disk, and
// what disk says must never stop the process. answer() sees only queries whose body type
// answers() accepted, already verified, and reflects everything applied so far. One thread calls
// all of it (the projector's), so no method needs a lock.
//
// A model may keep checkpoints (checkpoint.h): save() writes its whole state, restore() reads
// it back into a model just reset, checking that it is a state applying events could have
// produced (the bytes come from disk), and covering exactly `covered`. A model that keeps none
// leaves state_version() at 0 and is always rebuilt from the journal.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/base/status.h"
#include "engine/journal/journal_position.h"
#include "engine/wire/outcome.h"
#include "engine/wire/protocol.h"

namespace tally::read {

class StateWriter;
class StateReader;

// What a checkpoint covers: every event up to `sequence` (a request's last), the last of them
// at `timestamp_ns`, its record at `last_position` in the journal.
struct CheckpointCoverage {
  uint64_t sequence = 0;
  int64_t timestamp_ns = 0;
  journal::JournalPosition last_position;
};

// A query's answer: a ResponseBody member built into the caller's builder, or an error.
struct QueryAnswer {
  ResultCode code = ResultCode::Ok;
  std::string message;  // for errors: what is wrong, for the client
  protocol::ResponseBody body_type = protocol::ResponseBody::NONE;
  flatbuffers::Offset<void> body;

  static QueryAnswer error(ResultCode code, std::string message) {
    QueryAnswer answer;
    answer.code = code;
    answer.message = std::move(message);
    return answer;
  }
  template <typename Table>
  static QueryAnswer of(protocol::ResponseBody type, flatbuffers::Offset<Table> table) {
    QueryAnswer answer;
    answer.body_type = type;
    answer.body = table.Union();
    return answer;
  }
};

// How many accounts a model restored from a checkpoint of `count` makes room for: a quarter
// more, for the accounts the journal's tail opens. A vector grown by one past its reserve moves
// every account to memory touched for the first time (a sixth of a second on 1.3 M accounts at
// a restart); room never used is address space only, never touched.
constexpr uint64_t restored_capacity(uint64_t count) {
  return count + count / 4;
}

class ReadModel {
 public:
  virtual ~ReadModel() = default;

  virtual std::string_view name() const = 0;
  virtual bool answers(protocol::RequestBody type) const = 0;

  // Ok, or kCorruption if the event does not fit the model (which then holds what it held).
  virtual Status apply(const Outcome& event, journal::JournalPosition position) = 0;
  // Forgets everything: the next event applied is the journal's first again.
  virtual void reset() = 0;

  virtual QueryAnswer answer(const protocol::Request& request,
                             flatbuffers::FlatBufferBuilder& builder) = 0;

  // The layout of save()'s bytes: a checkpoint of another version is refused. 0: no checkpoints.
  virtual uint32_t state_version() const { return 0; }
  // Everything applied so far (the projector calls it at a request's end).
  virtual void save(StateWriter& /*writer*/) const {}
  // Into a model just reset: what save() wrote when it covered `covered`. kCorruption (the
  // model then holds garbage and must be reset) if the bytes are short, long, or not a state
  // applying the journal up to `covered` could have produced.
  virtual Status restore(StateReader& /*reader*/, const CheckpointCoverage& /*covered*/) {
    return Status::invalid_argument(std::string(name()) + " keeps no checkpoints");
  }
};

}  // namespace tally::read
