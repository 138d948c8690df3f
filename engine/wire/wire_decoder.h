// Wire decoding: from a FlatBuffers Request frame to the engine's Command views, without
// copying a string. Runs on the submitting threads (Ingress::submit verifies, then decodes),
// and is free of shared state.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "engine/wire/command.h"
#include "engine/wire/protocol.h"

namespace tally {

// Verifier limits: a request is at most a batch of commands with a few strings each.
inline constexpr uint32_t kVerifierDepthMax = 8;

// The outcome of checking a request: Ok, or a code and a sentence for the client.
struct RequestVerdict {
  ResultCode code = ResultCode::Ok;
  std::string_view problem;  // empty when Ok; static text
  // verify_request: the request once its buffer verified (also when the version or the id was
  // wrong), else null. check_command_batch leaves it null.
  const protocol::Request* request = nullptr;
  bool ok() const { return code == ResultCode::Ok; }
};

// Checks `frame` holds a well-formed Request envelope (identifier, bounds, depth, table count
// sized for `commands_max`, our protocol version, a request id), whatever its body. The
// network layer calls this once per frame, then dispatches on the body type.
RequestVerdict verify_request(std::span<const uint8_t> frame, uint32_t commands_max);

// For a request verify_request accepted: its body is a CommandBatch of 1..commands_max
// commands. InvalidArgument or LimitExceeded otherwise.
RequestVerdict check_command_batch(const protocol::Request& request, uint32_t commands_max);

// Checks `frame` holds a well-formed Request (identifier, bounds, depth, table count) whose
// protocol version is ours and whose body is a CommandBatch of 1..commands_max commands. Returns
// Ok, InvalidArgument (malformed, empty, not a command batch) or LimitExceeded (too many commands).
ResultCode verify_command_request(std::span<const uint8_t> frame, uint32_t commands_max);

// Decodes a verified request's command batch; `commands` is cleared and refilled (its
// capacity is reused). The views point into `frame`. An entry without a command, or whose type
// names a command whose table is absent (the verifier lets both through), or of a type this
// build does not know, decodes as CommandType::Unknown, which the ledger rejects with
// InvalidArgument. Never reads through a null table, whatever bytes verified.
CommandBatch decode_command_request(std::span<const uint8_t> frame, std::vector<Command>& commands);

Id128 to_id128(const protocol::Uint128* value);

}  // namespace tally
