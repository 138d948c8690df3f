// Replier: the ring consumer that answers clients. It runs after the journaler, so it only
// ever sees durable events: a client is told "done" only for what a crash cannot take back.
//
// Each request's entries are consecutive in the ring (the logic thread applies a batch whole,
// asserted here); the replier turns them into one Response with a CommandBatchResult, frames
// it and delivers it to the connection the request came from (the entry's origin), through
// the ResponseRouter. It also keeps the command counters of `tally stats`, and ends the latency
// stage "durable_wait" of each sampled request (RequestTraces), whose answer carries on the
// timestamps to the write that sends it (here, when the router sends it directly).
//
// Threads: on_event runs on the replier's consumer thread only.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "engine/pipeline/outcome_consumer.h"
#include "engine/pipeline/request_traces.h"
#include "engine/wire/protocol.h"
#include "net/server/response_router.h"
#include "net/server/server_counters.h"

namespace tally::net {

class Replier : public OutcomeHandler {
 public:
  // `traces`: the logic thread's, for the ring this replier consumes.
  Replier(ResponseRouter& router, ServerCounters& counters, const RequestTraces& traces);

  void on_event(const Outcome& event, int64_t position, bool end_of_batch) override;

 private:
  void count(const Outcome& event);
  // The sampled request's trace, if the entry at `position` ends one: durable_wait ends here.
  AnswerTrace trace_of(int64_t position);
  void answer(const Outcome& last, AnswerTrace trace);
  void publish_counters();

  ResponseRouter& router_;
  ServerCounters& counters_;
  const RequestTraces& traces_;
  flatbuffers::FlatBufferBuilder builder_{1024};
  std::vector<flatbuffers::Offset<protocol::CommandResult>> results_;
  std::vector<uint8_t> framed_;
  Id128 request_id_;  // of the request being gathered

  // Running totals (this thread is their only writer), published to counters_ before each
  // answer goes out.
  uint64_t requests_answered_ = 0;
  uint64_t commands_ = 0;
  uint64_t rejections_ = 0;
  std::array<uint64_t, kResultCodeSlots> rejections_by_reason_{};
  uint64_t replayed_answers_ = 0;
  uint64_t money_in_ = 0;
  uint64_t money_out_ = 0;
};

}  // namespace tally::net
