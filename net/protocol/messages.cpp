#include "net/protocol/messages.h"

#include "engine/wire/wire_decoder.h"
#include "engine/wire/wire_encoder.h"

namespace tally::net {
namespace {

void finish_response(flatbuffers::FlatBufferBuilder& builder, const Id128* request_id,
                     protocol::ResponseBody type, flatbuffers::Offset<void> body) {
  const protocol::Uint128 wire_id =
      request_id == nullptr ? protocol::Uint128() : to_wire(*request_id);
  builder.Finish(
      protocol::CreateResponse(builder, request_id == nullptr ? nullptr : &wire_id, type, body),
      protocol::RequestIdentifier());
}

// Wide enough for any scalar or struct of the schema (Uint128 and Int128: 8).
constexpr size_t kNestedBufferAlignment = 16;

void finish_request(flatbuffers::FlatBufferBuilder& builder, const Id128& request_id,
                    protocol::RequestBody type, flatbuffers::Offset<void> body) {
  const protocol::Uint128 wire_id = to_wire(request_id);
  protocol::FinishRequestBuffer(
      builder,
      protocol::CreateRequest(builder, static_cast<uint16_t>(protocol::ProtocolVersion::Current),
                              &wire_id, 0, type, body));
}

std::string string_of(const flatbuffers::String* text) {
  return text == nullptr ? std::string() : text->str();
}

}  // namespace

void encode_error(flatbuffers::FlatBufferBuilder& builder, const Id128* request_id, ResultCode code,
                  std::string_view message) {
  builder.Clear();
  const auto text = builder.CreateString(message.data(), message.size());
  const auto error = protocol::CreateError(builder, code, text);
  finish_response(builder, request_id, protocol::ResponseBody::Error, error.Union());
}

void encode_hello_result(flatbuffers::FlatBufferBuilder& builder, const Id128& request_id,
                         const ServerHello& hello) {
  builder.Clear();
  const auto name = builder.CreateString(hello.server_name);
  const auto version = builder.CreateString(hello.server_version);
  const auto limits = protocol::CreateServerLimits(
      builder, hello.limits.frame_bytes_max, hello.limits.batch_commands_max,
      hello.limits.requests_in_flight_max, hello.limits.connections_max,
      hello.limits.idempotency_window_commands, hello.limits.query_frame_bytes_max,
      hello.limits.subscriptions_max, hello.limits.subscription_credit_max);
  const auto result =
      protocol::CreateHelloResult(builder, hello.protocol_version, name, version, limits);
  finish_response(builder, &request_id, protocol::ResponseBody::HelloResult, result.Union());
}

namespace {

flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<protocol::StageLatency>>>
encode_stage_latencies(flatbuffers::FlatBufferBuilder& builder,
                       const std::vector<StageLatency>& stages) {
  std::vector<flatbuffers::Offset<protocol::StageLatency>> encoded;
  for (const StageLatency& stage : stages) {
    const LatencySummary& latency = stage.latency;
    const auto name = builder.CreateString(stage.stage);
    const auto at_most = builder.CreateVector(latency.at_most.data(), latency.at_most.size());
    encoded.push_back(protocol::CreateStageLatency(builder, name, latency.count, latency.p50_ns,
                                                   latency.p90_ns, latency.p99_ns, latency.p999_ns,
                                                   latency.max_ns, at_most, latency.sum_ns));
  }
  return builder.CreateVector(encoded);
}

}  // namespace

void encode_stats_result(flatbuffers::FlatBufferBuilder& builder, const Id128& request_id,
                         const ServerStats& stats) {
  builder.Clear();
  std::vector<flatbuffers::Offset<protocol::ReasonCount>> reasons;
  for (const auto& [code, count] : stats.rejections_by_reason) {
    reasons.push_back(protocol::CreateReasonCount(builder, code, count));
  }
  const auto reason_vector = builder.CreateVector(reasons);
  const auto latency_vector = encode_stage_latencies(builder, stats.stage_latencies);
  protocol::StatsResultBuilder result(builder);
  result.add_uptime_ms(stats.uptime_ms);
  result.add_requests(stats.requests);
  result.add_commands(stats.commands);
  result.add_rejections(stats.rejections);
  result.add_rejections_by_reason(reason_vector);
  result.add_replayed_answers(stats.replayed_answers);
  result.add_requests_refused(stats.requests_refused);
  result.add_connections_open(stats.connections_open);
  result.add_connections_accepted(stats.connections_accepted);
  result.add_connections_refused(stats.connections_refused);
  result.add_connections_dropped(stats.connections_dropped);
  result.add_ingress_depth(stats.ingress_depth);
  result.add_ring_backlog(stats.ring_backlog);
  result.add_journal_lag(stats.journal_lag);
  result.add_durable_sequence(stats.durable_sequence);
  result.add_snapshots_written(stats.snapshots_written);
  result.add_money_in(stats.money_in);
  result.add_money_out(stats.money_out);
  result.add_read_pauses(stats.read_pauses);
  result.add_memory_budget_bytes(stats.memory_budget_bytes);
  result.add_memory_in_use_bytes(stats.memory_in_use_bytes);
  result.add_memory_peak_bytes(stats.memory_peak_bytes);
  result.add_memory_pauses(stats.memory_pauses);
  result.add_requests_denied(stats.requests_denied);
  result.add_journal_bytes(stats.journal_bytes);
  result.add_journal_syncs(stats.journal_syncs);
  result.add_journal_failed(stats.journal_failed);
  result.add_subscriptions_open(stats.subscriptions_open);
  result.add_subscription_events_sent(stats.subscription_events_sent);
  result.add_subscription_batches_sent(stats.subscription_batches_sent);
  result.add_stage_latencies(latency_vector);
  const auto offset = result.Finish();
  finish_response(builder, &request_id, protocol::ResponseBody::StatsResult, offset.Union());
}

void encode_projection_status(flatbuffers::FlatBufferBuilder& builder, const Id128& request_id,
                              const ProjectionReport& report) {
  builder.Clear();
  std::vector<flatbuffers::Offset<protocol::ProjectorStatus>> projectors;
  for (const ProjectorStatus& projector : report.projectors) {
    projectors.push_back(protocol::CreateProjectorStatus(
        builder, builder.CreateString(projector.name), projector.applied_sequence, projector.lag,
        projector.events_applied, projector.queries_answered, projector.queries_waiting,
        projector.queries_timed_out, projector.rebuilds, projector.failed,
        projector.started_from_checkpoint, projector.checkpoint_sequence,
        projector.checkpoints_written));
  }
  const auto list = builder.CreateVector(projectors);
  const auto result =
      protocol::CreateProjectionStatusResult(builder, report.durable_sequence, list);
  finish_response(builder, &request_id, protocol::ResponseBody::ProjectionStatusResult,
                  result.Union());
}

void encode_hello(flatbuffers::FlatBufferBuilder& builder, const Id128& request_id,
                  std::string_view client_name, std::string_view api_key) {
  builder.Clear();
  const auto name = builder.CreateString(client_name.data(), client_name.size());
  const auto key = api_key.empty() ? flatbuffers::Offset<flatbuffers::String>()
                                   : builder.CreateString(api_key.data(), api_key.size());
  const auto hello = protocol::CreateHello(builder, name, key);
  finish_request(builder, request_id, protocol::RequestBody::Hello, hello.Union());
}

void encode_event_batch(flatbuffers::FlatBufferBuilder& builder, const Id128& subscription,
                        const EventBatchHeader& header, std::span<const uint8_t> event_list) {
  builder.Clear();
  flatbuffers::Offset<flatbuffers::Vector<uint8_t>> events;
  if (!event_list.empty()) {
    // The nested buffer is read in place: it keeps the alignment its widest field needs.
    builder.ForceVectorAlignment(event_list.size(), 1, kNestedBufferAlignment);
    events = builder.CreateVector(event_list.data(), event_list.size());
  }
  protocol::EventBatchBuilder batch(builder);
  batch.add_first_sequence(header.first_sequence);
  batch.add_last_sequence(header.last_sequence);
  batch.add_durable_sequence(header.durable_sequence);
  if (!event_list.empty()) {
    batch.add_events(events);
  }
  finish_response(builder, &subscription, protocol::ResponseBody::EventBatch,
                  batch.Finish().Union());
}

void encode_subscription_ended(flatbuffers::FlatBufferBuilder& builder, const Id128& subscription,
                               ResultCode code, std::string_view message, uint64_t last_sequence) {
  builder.Clear();
  const auto text = builder.CreateString(message.data(), message.size());
  const auto ended = protocol::CreateSubscriptionEnded(builder, code, text, last_sequence);
  finish_response(builder, &subscription, protocol::ResponseBody::SubscriptionEnded, ended.Union());
}

void encode_subscribe(flatbuffers::FlatBufferBuilder& builder, const Id128& request_id,
                      const SubscribeRequest& subscribe) {
  builder.Clear();
  const auto account =
      subscribe.account_id.empty() ? 0 : builder.CreateString(subscribe.account_id);
  const auto types =
      subscribe.event_types.empty() ? 0 : builder.CreateVector(subscribe.event_types);
  const auto body =
      protocol::CreateSubscribe(builder, subscribe.from_sequence, account, types, subscribe.credit);
  finish_request(builder, request_id, protocol::RequestBody::Subscribe, body.Union());
}

void encode_subscription_credit(flatbuffers::FlatBufferBuilder& builder, const Id128& request_id,
                                const Id128& subscription, uint32_t events) {
  builder.Clear();
  const protocol::Uint128 wire_subscription = to_wire(subscription);
  const auto body = protocol::CreateSubscriptionCredit(builder, &wire_subscription, events);
  finish_request(builder, request_id, protocol::RequestBody::SubscriptionCredit, body.Union());
}

void encode_unsubscribe(flatbuffers::FlatBufferBuilder& builder, const Id128& request_id,
                        const Id128& subscription) {
  builder.Clear();
  const protocol::Uint128 wire_subscription = to_wire(subscription);
  const auto body = protocol::CreateUnsubscribe(builder, &wire_subscription);
  finish_request(builder, request_id, protocol::RequestBody::Unsubscribe, body.Union());
}

void encode_stats_query(flatbuffers::FlatBufferBuilder& builder, const Id128& request_id) {
  builder.Clear();
  const auto query = protocol::CreateStatsQuery(builder);
  finish_request(builder, request_id, protocol::RequestBody::StatsQuery, query.Union());
}

const protocol::Response* verify_response(std::span<const uint8_t> message) {
  flatbuffers::Verifier verifier(message.data(), message.size());
  if (!verifier.VerifyBuffer<protocol::Response>(protocol::RequestIdentifier())) {
    return nullptr;
  }
  return flatbuffers::GetRoot<protocol::Response>(message.data());
}

ServerHello decode_hello(const protocol::HelloResult& hello) {
  ServerHello result{.protocol_version = hello.protocol_version(),
                     .server_name = string_of(hello.server_name()),
                     .server_version = string_of(hello.server_version()),
                     .limits = {}};
  if (const protocol::ServerLimits* limits = hello.limits()) {
    result.limits = {.frame_bytes_max = limits->frame_bytes_max(),
                     .batch_commands_max = limits->batch_commands_max(),
                     .requests_in_flight_max = limits->requests_in_flight_max(),
                     .connections_max = limits->connections_max(),
                     .idempotency_window_commands = limits->idempotency_window_commands(),
                     .query_frame_bytes_max = limits->query_frame_bytes_max(),
                     .subscriptions_max = limits->subscriptions_max(),
                     .subscription_credit_max = limits->subscription_credit_max()};
  }
  return result;
}

ServerStats decode_stats(const protocol::StatsResult& stats) {
  ServerStats result{.uptime_ms = stats.uptime_ms(),
                     .requests = stats.requests(),
                     .commands = stats.commands(),
                     .rejections = stats.rejections(),
                     .rejections_by_reason = {},
                     .replayed_answers = stats.replayed_answers(),
                     .requests_refused = stats.requests_refused(),
                     .connections_open = stats.connections_open(),
                     .connections_accepted = stats.connections_accepted(),
                     .connections_refused = stats.connections_refused(),
                     .connections_dropped = stats.connections_dropped(),
                     .ingress_depth = stats.ingress_depth(),
                     .ring_backlog = stats.ring_backlog(),
                     .journal_lag = stats.journal_lag(),
                     .durable_sequence = stats.durable_sequence(),
                     .snapshots_written = stats.snapshots_written(),
                     .money_in = stats.money_in(),
                     .money_out = stats.money_out(),
                     .read_pauses = stats.read_pauses(),
                     .memory_budget_bytes = stats.memory_budget_bytes(),
                     .memory_in_use_bytes = stats.memory_in_use_bytes(),
                     .memory_peak_bytes = stats.memory_peak_bytes(),
                     .memory_pauses = stats.memory_pauses(),
                     .requests_denied = stats.requests_denied(),
                     .journal_bytes = stats.journal_bytes(),
                     .journal_syncs = stats.journal_syncs(),
                     .journal_failed = stats.journal_failed(),
                     .subscriptions_open = stats.subscriptions_open(),
                     .subscription_events_sent = stats.subscription_events_sent(),
                     .subscription_batches_sent = stats.subscription_batches_sent(),
                     .stage_latencies = {}};
  if (const auto* reasons = stats.rejections_by_reason()) {
    for (const protocol::ReasonCount* reason : *reasons) {
      result.rejections_by_reason.emplace_back(reason->code(), reason->count());
    }
  }
  if (const auto* stages = stats.stage_latencies()) {
    for (const protocol::StageLatency* stage : *stages) {
      LatencySummary latency;
      latency.count = stage->count();
      latency.p50_ns = stage->p50_ns();
      latency.p90_ns = stage->p90_ns();
      latency.p99_ns = stage->p99_ns();
      latency.p999_ns = stage->p999_ns();
      latency.max_ns = stage->max_ns();
      latency.sum_ns = stage->sum_ns();
      if (const auto* at_most = stage->at_most(); at_most != nullptr) {
        for (size_t bound = 0; bound < std::min<size_t>(at_most->size(), latency.at_most.size());
             ++bound) {
          latency.at_most[bound] = at_most->Get(static_cast<flatbuffers::uoffset_t>(bound));
        }
      }
      result.stage_latencies.push_back({.stage = string_of(stage->stage()), .latency = latency});
    }
  }
  return result;
}

ProjectionReport decode_projection_status(const protocol::ProjectionStatusResult& status) {
  ProjectionReport report{.durable_sequence = status.durable_sequence(), .projectors = {}};
  if (const auto* projectors = status.projectors()) {
    for (const protocol::ProjectorStatus* projector : *projectors) {
      report.projectors.push_back(
          {.name = projector->name() == nullptr ? std::string() : projector->name()->str(),
           .applied_sequence = projector->applied_sequence(),
           .lag = projector->lag(),
           .events_applied = projector->events_applied(),
           .queries_answered = projector->queries_answered(),
           .queries_waiting = projector->queries_waiting(),
           .queries_timed_out = projector->queries_timed_out(),
           .rebuilds = projector->rebuilds(),
           .failed = projector->failed(),
           .started_from_checkpoint = projector->started_from_checkpoint(),
           .checkpoint_sequence = projector->checkpoint_sequence(),
           .checkpoints_written = projector->checkpoints_written()});
    }
  }
  return report;
}

}  // namespace tally::net
