// ServerConfig: everything tallyd can be told, with defaults that just work (listen on
// 127.0.0.1:7070, data in ./tally-data, group sync). Every limit a client can hit is here,
// with a flag of its own (net/server/server_options.h).
#pragma once

#include <cstdint>
#include <string>

#include "engine/journal/journaler.h"
#include "engine/pipeline/pipeline.h"

namespace tally::net {

struct ServerConfig {
  std::string host = "127.0.0.1";
  uint16_t port = 7070;  // 0: any free port (tests); the bound one is logged and reported
  std::string data_directory = "./tally-data";
  // API keys with roles (net/server/access_control.h); empty: none, and then both listeners
  // must be on loopback addresses.
  std::string auth_file;
  // TLS on both listeners (PEM files), or none when empty.
  std::string tls_certificate_file;
  std::string tls_key_file;
  // The HTTP/JSON listener (net/http, docs/http-api.md), beside the binary one.
  bool http_enabled = true;
  std::string http_host = "127.0.0.1";
  uint16_t http_port = 8080;                  // 0: any free port (tests); logged
  uint32_t http_header_bytes_max = 8 * 1024;  // request line and headers
  uint32_t http_body_bytes_max = 64 * 1024;   // one request's body
  uint32_t http_idle_timeout_ms = 60'000;     // a request must arrive whole within it

  journal::SyncPolicy sync_policy = journal::SyncPolicy::kEveryBatch;
  uint32_t sync_interval_us = 0;                // kInterval only
  uint64_t segment_bytes = 64ULL << 20;         // journal segment file size
  uint64_t snapshot_every_events = 10'000'000;  // 0: never by count (docs/performance.md)
  uint32_t snapshot_every_seconds = 300;        // 0: never by time
  uint32_t snapshots_kept = 2;
  // Read-model checkpoints (engine/read/checkpoint.h): each projector's own, so that start-up
  // replays only the journal after the newest. By count, a checkpoint of the history model
  // costs about 24 bytes per event written (docs/journal-format.md).
  uint64_t checkpoint_every_events = 5'000'000;  // 0: never by count
  uint32_t checkpoint_every_seconds = 300;       // 0: never by time
  uint32_t checkpoints_kept = 2;                 // 0: no checkpoints at all

  uint32_t io_threads = 1;
  uint32_t connections_max = 1024;
  uint32_t requests_in_flight_max = 256;    // per connection; then the server stops reading
  uint64_t outbox_bytes_max = 64ULL << 20;  // unread responses per connection before a drop
  uint32_t frame_timeout_ms = 10'000;       // a started frame (or the Hello) must complete
  uint32_t write_timeout_ms = 10'000;       // a response write may wait this long
  uint32_t shutdown_grace_ms = 2'000;       // to flush answers to clients on stop
  uint32_t read_wait_ms = 5'000;            // a query's wait for its min_sequence before a Timeout
  // Any request but a command batch (queries, Hello, stats): a few hundred bytes in practice.
  // Above frame_bytes_max it changes nothing (the frame limit applies first).
  uint32_t query_frame_bytes_max = 4 * 1024;
  // Event subscriptions (net/server/subscription_hub.h): at once, server-wide, and the most
  // credit (events granted ahead) one holds.
  uint32_t subscriptions_max = 64;
  uint32_t subscription_credit_max = 1u << 20;
  // Server-wide: held query frames, grown read buffers and unwritten answers. Reading stops
  // while it is in use; answers may use as much again (MemoryBudget, docs/protocol.md).
  uint64_t memory_budget_bytes = 256ULL << 20;

  PipelineConfig pipeline;  // ledger limits, ingress (frame and batch limits), ring, waiting

  std::string journal_directory() const { return data_directory + "/journal"; }
  std::string snapshot_directory() const { return data_directory + "/snapshots"; }
  // One directory per read model inside: checkpoints/<model name>/.
  std::string checkpoint_directory() const { return data_directory + "/checkpoints"; }

  // Ok if consistent, else kInvalidArgument saying what is wrong, for the operator.
  Status validate() const;
};

}  // namespace tally::net
