// RequestPath: what tallyd does with one request frame's message, for the fuzz targets, step by
// step as net/server/connection.cpp does it (Connection::dispatch and where it sends a frame):
//   1. the message is copied to an aligned buffer, then verify_request checks the envelope, and
//      anything but a command batch must be within the query frame limit;
//   2. on the body type: a Hello's client name is read; a CommandBatch is checked
//      (check_command_batch), decoded and fingerprinted as Ingress::submit_verified does, and
//      applied to a fresh ledger as the business-logic thread would, then again under the same
//      request id (a retry); a query with a body goes to the read model that answers it
//      (accounts or history, over a small journal written at start-up), as its projector asks;
//   3. every answer is finished as the server would send it and must verify as a client reads
//      it.
// Properties checked on the way (FUZZ_CHECK): a decoded batch encodes and decodes back to the
// same request, a retry is answered from the idempotency window with the same results, every
// answer is a well-formed Response. Not run: sockets, the ingress queue, the threads, the
// journal writes of a batch (what they do with a decoded batch does not depend on its bytes).
// One thread; one RequestPath per process (it holds the read models and their journal).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "engine/wire/command.h"
#include "engine/wire/protocol.h"

namespace tally::fuzz {

class RequestPath {
 public:
  // The server's default limits (ServerConfig): the verifier's table budget depends on the
  // first; the second bounds every request but a command batch.
  static constexpr uint32_t kFuzzBatchCommandsMax = 8190;
  static constexpr size_t kQueryFrameBytesMax = 4 * 1024;

  // Writes a small journal (accounts of three currencies, every kind of event, several days) to
  // in-memory storage and loads both read models from it.
  RequestPath();
  ~RequestPath();
  RequestPath(const RequestPath&) = delete;
  RequestPath& operator=(const RequestPath&) = delete;

  // One request's message (a frame without its length header), aligned or not.
  void handle(std::span<const uint8_t> message);

 private:
  struct ReadSide;

  void handle_batch(const protocol::Request& request);
  void handle_subscription(const protocol::Request& request);
  void handle_query(const protocol::Request& request);
  void refuse(const protocol::Request* request, ResultCode code, std::string_view problem);
  void expect_well_formed_answer();

  std::vector<uint8_t> aligned_;
  std::vector<Command> commands_;
  flatbuffers::FlatBufferBuilder builder_;
  std::unique_ptr<ReadSide> read_side_;
};

}  // namespace tally::fuzz
