// Session messages both sides of the wire share: the handshake's answer, the stats counters,
// the projection status and errors, as plain C++ values, with their FlatBuffers encoding (server)
// and decoding (client) in one place so the two can never disagree.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/base/identifiers.h"
#include "engine/base/latency_histogram.h"
#include "engine/wire/projector_status.h"
#include "engine/wire/protocol.h"

namespace tally::net {

struct ServerLimits {
  uint32_t frame_bytes_max = 0;
  uint32_t batch_commands_max = 0;
  uint32_t requests_in_flight_max = 0;
  uint32_t connections_max = 0;
  uint64_t idempotency_window_commands = 0;
  uint32_t query_frame_bytes_max = 0;  // 0 from a server older than the limit
  uint32_t subscriptions_max = 0;      // 0 from a server without subscriptions
  uint32_t subscription_credit_max = 0;
};

struct ServerHello {
  uint16_t protocol_version = 0;
  std::string server_name;
  std::string server_version;
  ServerLimits limits;
};

// Mirrors table StageLatency: one stage of a request's path, over the sampled requests.
struct StageLatency {
  std::string stage;
  LatencySummary latency;
};

// Mirrors table StatsResult (engine/wire/schema/tally.fbs), field for field.
struct ServerStats {
  uint64_t uptime_ms = 0;
  uint64_t requests = 0;
  uint64_t commands = 0;
  uint64_t rejections = 0;
  std::vector<std::pair<ResultCode, uint64_t>> rejections_by_reason;  // non-zero ones
  uint64_t replayed_answers = 0;
  uint64_t requests_refused = 0;
  uint32_t connections_open = 0;
  uint64_t connections_accepted = 0;
  uint64_t connections_refused = 0;
  uint64_t connections_dropped = 0;
  uint32_t ingress_depth = 0;
  uint64_t ring_backlog = 0;
  uint64_t journal_lag = 0;
  uint64_t durable_sequence = 0;
  uint64_t snapshots_written = 0;
  uint64_t money_in = 0;
  uint64_t money_out = 0;
  uint64_t read_pauses = 0;
  // The server-wide memory budget (net/server/memory_budget.h); 0 from an older server.
  uint64_t memory_budget_bytes = 0;
  uint64_t memory_in_use_bytes = 0;
  uint64_t memory_peak_bytes = 0;
  uint64_t memory_pauses = 0;
  uint64_t requests_denied = 0;  // refused for the connection's key (access control)
  uint64_t journal_bytes = 0;    // record bytes made durable since start-up
  uint64_t journal_syncs = 0;
  bool journal_failed = false;  // the journal could not be written: the server is stopping
  uint64_t subscriptions_open = 0;
  uint64_t subscription_events_sent = 0;
  uint64_t subscription_batches_sent = 0;
  std::vector<StageLatency> stage_latencies;  // in a request's order; empty from an older server
};

// Mirrors table ProjectionStatusResult.
struct ProjectionReport {
  uint64_t durable_sequence = 0;
  std::vector<ProjectorStatus> projectors;
};

// The finished buffer of `builder`, as the bytes to frame.
inline std::span<const uint8_t> finished_bytes(const flatbuffers::FlatBufferBuilder& builder) {
  return {builder.GetBufferPointer(), builder.GetSize()};
}

// Server side: each finishes `builder` (cleared first) with one Response. `request_id` may be
// null when the request was too malformed to carry a readable one.
void encode_error(flatbuffers::FlatBufferBuilder& builder, const Id128* request_id, ResultCode code,
                  std::string_view message);
void encode_hello_result(flatbuffers::FlatBufferBuilder& builder, const Id128& request_id,
                         const ServerHello& hello);
void encode_stats_result(flatbuffers::FlatBufferBuilder& builder, const Id128& request_id,
                         const ServerStats& stats);
void encode_projection_status(flatbuffers::FlatBufferBuilder& builder, const Id128& request_id,
                              const ProjectionReport& report);

// A subscription's batch (server side): covers [first_sequence, last_sequence]; `event_list`,
// a finished EventList or empty (none), is copied in as the nested buffer.
struct EventBatchHeader {
  uint64_t first_sequence = 0;
  uint64_t last_sequence = 0;
  uint64_t durable_sequence = 0;
};
void encode_event_batch(flatbuffers::FlatBufferBuilder& builder, const Id128& subscription,
                        const EventBatchHeader& header, std::span<const uint8_t> event_list);
void encode_subscription_ended(flatbuffers::FlatBufferBuilder& builder, const Id128& subscription,
                               ResultCode code, std::string_view message, uint64_t last_sequence);

// What a client asks of a subscription.
struct SubscribeRequest {
  uint64_t from_sequence = 1;
  std::string account_id;              // empty: every account
  std::vector<EventType> event_types;  // empty: every type
  uint32_t credit = 0;
};
// Client side: Subscribe (its request id names the subscription), credit and unsubscribe.
void encode_subscribe(flatbuffers::FlatBufferBuilder& builder, const Id128& request_id,
                      const SubscribeRequest& subscribe);
void encode_subscription_credit(flatbuffers::FlatBufferBuilder& builder, const Id128& request_id,
                                const Id128& subscription, uint32_t events);
void encode_unsubscribe(flatbuffers::FlatBufferBuilder& builder, const Id128& request_id,
                        const Id128& subscription);

// Client side: the Hello and StatsQuery requests.
void encode_hello(flatbuffers::FlatBufferBuilder& builder, const Id128& request_id,
                  std::string_view client_name, std::string_view api_key = {});
void encode_stats_query(flatbuffers::FlatBufferBuilder& builder, const Id128& request_id);

// Client side: the Response in `message`, or null if it is not a well-formed one.
const protocol::Response* verify_response(std::span<const uint8_t> message);
ServerHello decode_hello(const protocol::HelloResult& hello);
ServerStats decode_stats(const protocol::StatsResult& stats);
ProjectionReport decode_projection_status(const protocol::ProjectionStatusResult& status);

}  // namespace tally::net
