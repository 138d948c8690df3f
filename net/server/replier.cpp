#include "net/server/replier.h"

#include "engine/base/invariant.h"
#include "engine/base/monotonic_clock.h"
#include "engine/wire/wire_encoder.h"
#include "net/protocol/frame.h"
#include "net/protocol/messages.h"

namespace tally::net {

Replier::Replier(ResponseRouter& router, ServerCounters& counters, const RequestTraces& traces)
    : router_(router), counters_(counters), traces_(traces) {
  results_.reserve(1024);
}

void Replier::on_event(const Outcome& event, int64_t position, bool end_of_batch) {
  // A request's entries come together and in order (the logic thread writes a batch whole into
  // consecutive slots), and each is answered once, by its last entry: a new request starts only
  // once the one before was answered.
  TALLY_ASSERT(event.command_index == results_.size());
  TALLY_ASSERT(event.command_index == 0 || event.request_id == request_id_);
  request_id_ = event.request_id;
  const AnswerTrace trace = event.is_last_in_request() ? trace_of(position) : AnswerTrace{};
  count(event);
  const bool opened = event.type == EventType::AccountOpened;
  const auto account_id = opened ? builder_.CreateString(event.account_id.view())
                                 : flatbuffers::Offset<flatbuffers::String>();
  results_.push_back(protocol::CreateCommandResult(builder_, event.code, event.sequence,
                                                   event.balance, event.version, account_id,
                                                   event.is_replayed_answer()));
  if (event.is_last_in_request()) {
    answer(event, trace);
  }
  if (end_of_batch) {
    deliver_group(position);
  }
}

AnswerTrace Replier::trace_of(int64_t position) {
  const RequestTrace* sampled = traces_.find(position);
  if (sampled == nullptr) {
    return {};
  }
  const AnswerTrace trace{.queued_ns = sampled->queued_ns, .durable_ns = monotonic_now_ns()};
  counters_.durable_wait.record(trace.durable_ns - sampled->applied_ns);
  return trace;
}

void Replier::count(const Outcome& event) {
  if (event.is_replayed_answer()) {
    ++replayed_answers_;
    return;
  }
  ++commands_;
  switch (event.type) {
    case EventType::CommandRejected: {
      ++rejections_;
      const size_t code = static_cast<size_t>(event.code) % kResultCodeSlots;
      counters_.rejections_by_reason[code].store(++rejections_by_reason_[code],
                                                 std::memory_order_relaxed);
      break;
    }
    case EventType::AccountOpened:
    case EventType::Deposited:
      money_in_ += static_cast<uint64_t>(event.amount);
      break;
    case EventType::Withdrawn:
      money_out_ += static_cast<uint64_t>(event.amount);
      break;
    default:
      break;
  }
}

void Replier::answer(const Outcome& last, AnswerTrace trace) {
  ++requests_answered_;
  const protocol::Uint128 request_id = to_wire(last.request_id);
  const auto results = builder_.CreateVector(results_);
  const auto body = protocol::CreateCommandBatchResult(builder_, results);
  builder_.Finish(
      protocol::CreateResponse(builder_, &request_id, protocol::ResponseBody::CommandBatchResult,
                               body.Union()),
      protocol::RequestIdentifier());
  const auto [found, added] = group_index_.try_emplace(last.origin, group_connections_);
  if (added && group_connections_++ == group_answers_.size()) {
    group_answers_.emplace_back();
  }
  ConnectionAnswers& answers = group_answers_[found->second];
  if (added) {
    answers.origin = last.origin;
    answers.framed.clear();
    answers.answered = 0;
    answers.trace = {};
  }
  append_frame(answers.framed, finished_bytes(builder_));
  ++answers.answered;
  if (trace.sampled() && !answers.trace.sampled()) {
    answers.trace = trace;
  }
  builder_.Clear();
  results_.clear();
}

void Replier::deliver_group(int64_t last_position) {
  // Counters first: a client that reads stats after its answer sees its commands counted.
  publish_counters();
  answered_position_.store(last_position, std::memory_order_release);
  for (size_t index = 0; index < group_connections_; ++index) {
    ConnectionAnswers& answers = group_answers_[index];
    const Delivery delivery =
        router_.deliver(answers.origin, answers.framed, answers.answered, answers.trace);
    if (delivery == Delivery::kSent && answers.trace.sampled()) {
      counters_.record_answer_written(answers.trace.queued_ns, answers.trace.durable_ns);
    }
    // Buffers are kept for the next groups only if small and among the first few: a burst's
    // memory goes back, as does that of a group that reached thousands of connections.
    if (answers.framed.capacity() > ResponseRouter::kRetainedBufferBytes ||
        index >= kRetainedConnections) {
      std::vector<uint8_t>().swap(answers.framed);
    }
  }
  group_connections_ = 0;
  group_index_.clear();
}

void Replier::publish_counters() {
  constexpr auto kRelaxed = std::memory_order_relaxed;
  counters_.requests_answered.store(requests_answered_, kRelaxed);
  counters_.commands.store(commands_, kRelaxed);
  counters_.rejections.store(rejections_, kRelaxed);
  counters_.replayed_answers.store(replayed_answers_, kRelaxed);
  counters_.money_in.store(money_in_, kRelaxed);
  counters_.money_out.store(money_out_, kRelaxed);
}

}  // namespace tally::net
