#include "net/server/server_config.h"

namespace tally::net {

std::string ServerConfig::validate() const {
  if (const std::string problem = pipeline.validate(); !problem.empty()) {
    return problem;
  }
  if (data_directory.empty()) {
    return "the data directory must be named";
  }
  if (io_threads < 1 || io_threads > 64) {
    return "io-threads must be between 1 and 64";
  }
  if (max_connections < 1 || max_connections > (1u << 20)) {
    return "max-connections must be between 1 and 1048576";
  }
  if (max_requests_in_flight < 1) {
    return "max-in-flight must be at least 1";
  }
  if (pipeline.ingress.max_frame_bytes < 1024) {
    return "max-frame-bytes must be at least 1024";
  }
  if (max_outbox_bytes < pipeline.ingress.max_frame_bytes) {
    return "max-outbox-bytes must be at least max-frame-bytes";
  }
  if (max_query_frame_bytes < 1024) {
    return "max-query-frame-bytes must be at least 1024";
  }
  // A large frame is read only while its whole buffer fits in the budget.
  if (memory_budget_bytes < pipeline.ingress.max_frame_bytes ||
      memory_budget_bytes > (1ULL << 50)) {
    return "memory-budget-bytes must be between max-frame-bytes and 1 PiB";
  }
  if (frame_timeout_ms < 10 || write_timeout_ms < 10) {
    return "frame-timeout-ms and write-timeout-ms must be at least 10";
  }
  if (segment_bytes < (1ULL << 20) || segment_bytes > (1ULL << 31)) {
    return "segment-bytes must be between 1 MiB and 2 GiB";
  }
  if (read_wait_ms > 600'000) {
    return "read-wait-ms must be at most 600000 (ten minutes)";
  }
  if (snapshots_kept < 1) {
    return "snapshots-kept must be at least 1";
  }
  return {};
}

}  // namespace tally::net
