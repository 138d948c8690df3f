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
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/base/status.h"
#include "engine/journal/journal_position.h"
#include "engine/wire/outcome.h"
#include "engine/wire/protocol.h"

namespace tally::read {

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
};

}  // namespace tally::read
