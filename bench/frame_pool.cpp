// Encoding of the benchmark frames (see frame_pool.h).
#include "bench/frame_pool.h"

#include <algorithm>

#include "engine/wire/protocol.h"
#include "engine/wire/wire_encoder.h"

namespace tally::bench {

FramePool::FramePool(std::span<const Command> commands, uint32_t batch_size,
                     uint64_t request_id_high)
    : command_count_(commands.size()) {
  flatbuffers::FlatBufferBuilder builder(1 << 16);
  for (size_t first = 0; first < commands.size(); first += batch_size) {
    const CommandBatch batch{
        .request_id = {.low = 0, .high = request_id_high},
        .origin = 0,
        .atomic = false,
        .commands = commands.subspan(first, std::min<size_t>(batch_size, commands.size() - first))};
    encode_command_request(batch, builder);
    const flatbuffers::span<uint8_t> frame = builder.GetBufferSpan();
    const protocol::Request* request = protocol::GetRequest(frame.data());
    const auto* request_id = reinterpret_cast<const uint8_t*>(request->request_id());
    frames_.push_back({.offset = bytes_.size(),
                       .size = frame.size(),
                       .request_id_offset = static_cast<size_t>(request_id - frame.data())});
    bytes_.insert(bytes_.end(), frame.begin(), frame.end());
  }
}

void FramePool::copy_frame(size_t index, uint64_t low, std::vector<uint8_t>& destination) const {
  const FrameLocation& frame = frames_[index];
  const auto first = bytes_.begin() + static_cast<std::ptrdiff_t>(frame.offset);
  destination.assign(first, first + static_cast<std::ptrdiff_t>(frame.size));
  // Uint128 is a struct (inline, fixed layout): `low` is its first field, little-endian.
  flatbuffers::WriteScalar<uint64_t>(destination.data() + frame.request_id_offset, low);
}

}  // namespace tally::bench
