// Replier: the ring consumer that answers clients. It runs after the journaler, so it only
// ever sees durable events: a client is told "done" only for what a crash cannot take back.
//
// Each request's entries are consecutive in the ring (the logic thread applies a batch whole,
// asserted here); the replier turns them into one Response with a CommandBatchResult, frames
// it, and at the end of each group of entries delivers to each connection the answers it got in
// the group, together (the entry's origin says which), through the ResponseRouter: one send for
// a connection's whole share of a group, not one per answer. It also keeps the command counters of
// `tally stats`, and ends the latency stage "durable_wait" of each sampled request (RequestTraces),
// whose answer carries on the timestamps to the write that sends it (here, when the router sends it
// directly).
//
// Threads: on_event runs on the replier's consumer thread only.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <unordered_map>
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

  // The ring position up to which every answer is handed to the router, set before they are
  // (a client that has its answer sees it there): `tally stats`' ring backlog. Any thread.
  int64_t answered_position() const { return answered_position_.load(std::memory_order_acquire); }

 private:
  void count(const Outcome& event);
  // The sampled request's trace, if the entry at `position` ends one: durable_wait ends here.
  AnswerTrace trace_of(int64_t position);
  // Frames the gathered results as the answer to `last`'s request, for its connection.
  void answer(const Outcome& last, AnswerTrace trace);
  // Delivers every connection's answers of the group that ends at `last_position`.
  void deliver_group(int64_t last_position);
  void publish_counters();

  ResponseRouter& router_;
  ServerCounters& counters_;
  const RequestTraces& traces_;
  flatbuffers::FlatBufferBuilder builder_{1024};
  std::vector<flatbuffers::Offset<protocol::CommandResult>> results_;
  Id128 request_id_;  // of the request being gathered

  // One connection's answers in the group being handled. Entries (and their buffers) are kept
  // from group to group; only the first `group_connections_` are in use.
  struct ConnectionAnswers {
    uint64_t origin = 0;
    std::vector<uint8_t> framed;
    size_t answered = 0;
    AnswerTrace trace;  // of one sampled answer among them
  };
  static constexpr size_t kRetainedConnections = 64;  // entries whose buffers are kept
  std::vector<ConnectionAnswers> group_answers_;
  size_t group_connections_ = 0;
  std::unordered_map<uint64_t, size_t> group_index_;  // origin -> its entry in group_answers_

  // Running totals (this thread is their only writer), published to counters_ before each
  // answer goes out.
  uint64_t requests_answered_ = 0;
  uint64_t commands_ = 0;
  uint64_t rejections_ = 0;
  std::array<uint64_t, kResultCodeSlots> rejections_by_reason_{};
  uint64_t replayed_answers_ = 0;
  uint64_t money_in_ = 0;
  uint64_t money_out_ = 0;
  std::atomic<int64_t> answered_position_{kInitialPosition};
};

}  // namespace tally::net
