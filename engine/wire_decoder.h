// Wire decoding: from a FlatBuffers Request frame to the engine's Command views, without
// copying a string. Runs on the submitting threads (Ingress::submit verifies, then decodes),
// and is free of shared state.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "engine/command.h"
#include "engine/protocol.h"

namespace tally {

// Verifier limits: a request is at most a batch of commands with a few strings each.
inline constexpr uint32_t kVerifierMaxDepth = 8;

// Checks `frame` holds a well-formed Request (identifier, bounds, depth, table count) whose
// protocol version is ours and whose body is a CommandBatch of 1..max_commands commands. Returns
// Ok, InvalidArgument (malformed, empty, not a command batch) or LimitExceeded (too many commands).
ResultCode verify_command_request(std::span<const uint8_t> frame, uint32_t max_commands);

// Decodes a verified request's command batch; `commands` is cleared and refilled (its
// capacity is reused). The views point into `frame`.
CommandBatch decode_command_request(std::span<const uint8_t> frame, std::vector<Command>& commands);

Id128 to_id128(const protocol::Uint128* value);

}  // namespace tally
