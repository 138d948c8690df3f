#include "net/server/server_config.h"

#include <boost/asio/ip/address.hpp>

namespace tally::net {

Status ServerConfig::validate() const {
  if (Status status = pipeline.validate(); !status.is_ok()) {
    return status;
  }
  if (data_directory.empty()) {
    return Status::invalid_argument("the data directory must be named");
  }
  if (io_threads < 1 || io_threads > 64) {
    return Status::invalid_argument("io-threads must be between 1 and 64");
  }
  if (connections_max < 1 || connections_max > (1u << 20)) {
    return Status::invalid_argument("max-connections must be between 1 and 1048576");
  }
  if (requests_in_flight_max < 1) {
    return Status::invalid_argument("max-in-flight must be at least 1");
  }
  if (pipeline.ingress.frame_bytes_max < 1024) {
    return Status::invalid_argument("max-frame-bytes must be at least 1024");
  }
  if (outbox_bytes_max < pipeline.ingress.frame_bytes_max) {
    return Status::invalid_argument("max-outbox-bytes must be at least max-frame-bytes");
  }
  if (auth_file.empty()) {
    for (const std::string* address : {&host, http_enabled ? &http_host : &host}) {
      boost::system::error_code error;
      const boost::asio::ip::address parsed = boost::asio::ip::make_address(*address, error);
      if (!error && !parsed.is_loopback()) {
        return Status::invalid_argument(
            "without --auth-file tallyd listens only on loopback addresses (127.0.0.1, ::1), "
            "not " +
            *address + ": give it API keys to serve other hosts");
      }
    }
  }
  if (tls_certificate_file.empty() != tls_key_file.empty()) {
    return Status::invalid_argument("--tls-cert and --tls-key go together");
  }
  if (http_header_bytes_max < 1024 || http_body_bytes_max < 1024) {
    return Status::invalid_argument(
        "max-http-header-bytes and max-http-body-bytes must be at least 1024");
  }
  if (http_idle_timeout_ms < 1) {
    return Status::invalid_argument("http-idle-timeout-ms must be at least 1");
  }
  if (query_frame_bytes_max < 1024) {
    return Status::invalid_argument("max-query-frame-bytes must be at least 1024");
  }
  // A large frame is read only while its whole buffer fits in the budget.
  if (memory_budget_bytes < pipeline.ingress.frame_bytes_max ||
      memory_budget_bytes > (1ULL << 50)) {
    return Status::invalid_argument(
        "memory-budget-bytes must be between max-frame-bytes and 1 PiB");
  }
  if (frame_timeout_ms < 10 || write_timeout_ms < 10) {
    return Status::invalid_argument("frame-timeout-ms and write-timeout-ms must be at least 10");
  }
  if (segment_bytes < (1ULL << 20) || segment_bytes > (1ULL << 31)) {
    return Status::invalid_argument("segment-bytes must be between 1 MiB and 2 GiB");
  }
  if (read_wait_ms > 600'000) {
    return Status::invalid_argument("read-wait-ms must be at most 600000 (ten minutes)");
  }
  if (subscriptions_max > 100'000 || subscription_credit_max < 1) {
    return Status::invalid_argument(
        "max-subscriptions must be at most 100000, max-subscription-credit at least 1");
  }
  if (snapshots_kept < 1) {
    return Status::invalid_argument("snapshots-kept must be at least 1");
  }
  return Status::ok();
}

}  // namespace tally::net
