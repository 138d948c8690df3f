// Outcome codec: the compact binary form of an event's payload, as the journal stores it and as
// determinism is checked (the same commands give the same bytes).
//
// The record header (journal_format.h: length, checksum, sequence, timestamp, type, payload
// version) carries sequence, timestamp and type; the payload carries the rest. Integers that
// are usually small (amounts, balances, versions) are LEB128 varints (zig-zag for signed), so
// a typical deposit's payload is 46 bytes; ids and hashes are fixed-width. The grammar
// is in docs/journal-format.md. Pure functions, any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "engine/base/status.h"
#include "engine/wire/outcome.h"

namespace tally {

inline constexpr uint8_t kEventPayloadVersion = 1;

// The largest payload: common fields, two ids, the text, every number at its longest.
inline constexpr size_t kEventPayloadBytesMax = 512;

// Writes `event`'s payload into `out` (at least kEventPayloadBytesMax); returns its size.
// Replayed answers are not events and are never encoded.
size_t encode_event_payload(const Outcome& event, std::span<uint8_t> out);

// Decodes a payload written by encode_event_payload into `event`, whose sequence, timestamp
// and type the caller has set from the record header. kCorruption saying which part is
// malformed if the bytes are (the caller says where they are). On the journal's hot paths
// (recovery, the tail): it fills the caller's event in place and allocates nothing unless it
// fails.
Status decode_event_payload(std::span<const uint8_t> payload, Outcome& event);

}  // namespace tally
