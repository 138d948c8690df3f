// Wire encoding: Command views to a FlatBuffers Request frame, the inverse of wire_decoder.h,
// and events to their wire form.
// Used by the client library, the load tool, tests and benchmarks. Reuses the caller's
// builder; each call allocates one small vector of entry offsets (not a hot path of the engine).
#pragma once

#include <cstdint>
#include <span>

#include "engine/wire/command.h"
#include "engine/wire/outcome.h"
#include "engine/wire/protocol.h"

namespace tally {

// Finishes `builder` (cleared first) with a Request carrying `batch`; the frame is
// builder.GetBufferSpan().
void encode_command_request(const CommandBatch& batch, flatbuffers::FlatBufferBuilder& builder);

protocol::Uint128 to_wire(const Id128& id);

// An event as clients see it (event trails, searches), built into `builder`.
flatbuffers::Offset<protocol::Event> encode_event(const Outcome& event,
                                                  flatbuffers::FlatBufferBuilder& builder);

}  // namespace tally
