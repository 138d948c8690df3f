// Framing on the TCP stream, shared by the server and the client: every message is a u32
// little-endian length, then that many bytes of one FlatBuffers buffer (docs/protocol.md).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace tally::net {

inline constexpr size_t kFrameHeaderBytes = 4;

inline uint32_t read_frame_length(const uint8_t* header) {
  return static_cast<uint32_t>(header[0]) | static_cast<uint32_t>(header[1]) << 8 |
         static_cast<uint32_t>(header[2]) << 16 | static_cast<uint32_t>(header[3]) << 24;
}

// Appends the length header and `message` to `out`. Out of line: inlined into callers, GCC 12
// misjudges the copy's bound (-Wstringop-overflow false positives).
void append_frame(std::vector<uint8_t>& out, std::span<const uint8_t> message);

}  // namespace tally::net
