// Framing on the TCP stream, shared by the server and the client: every message is a u32
// little-endian length, then that many bytes of one FlatBuffers buffer (docs/protocol.md).
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

namespace tally::net {

inline constexpr size_t kFrameHeaderBytes = 4;

inline uint32_t read_frame_length(const uint8_t* header) {
  return static_cast<uint32_t>(header[0]) | static_cast<uint32_t>(header[1]) << 8 |
         static_cast<uint32_t>(header[2]) << 16 | static_cast<uint32_t>(header[3]) << 24;
}

// Appends the length header and `message` to `out`.
inline void append_frame(std::vector<uint8_t>& out, std::span<const uint8_t> message) {
  const auto length = static_cast<uint32_t>(message.size());
  const uint8_t header[kFrameHeaderBytes] = {
      static_cast<uint8_t>(length), static_cast<uint8_t>(length >> 8),
      static_cast<uint8_t>(length >> 16), static_cast<uint8_t>(length >> 24)};
  out.insert(out.end(), header, header + kFrameHeaderBytes);
  out.insert(out.end(), message.begin(), message.end());
}

}  // namespace tally::net
