#include "net/protocol/frame.h"

#include <cstring>

namespace tally::net {

void append_frame(std::vector<uint8_t>& out, std::span<const uint8_t> message) {
  const auto length = static_cast<uint32_t>(message.size());
  const size_t start = out.size();
  out.resize(start + kFrameHeaderBytes + message.size());
  uint8_t* header = out.data() + start;
  header[0] = static_cast<uint8_t>(length);
  header[1] = static_cast<uint8_t>(length >> 8);
  header[2] = static_cast<uint8_t>(length >> 16);
  header[3] = static_cast<uint8_t>(length >> 24);
  if (!message.empty()) {
    std::memcpy(header + kFrameHeaderBytes, message.data(), message.size());
  }
}

}  // namespace tally::net
