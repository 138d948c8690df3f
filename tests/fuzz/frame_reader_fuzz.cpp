// Fuzz target: a byte stream as a connection receives it, read by net::FrameReader in chunks of
// varying size, as Connection::read_more and process_frames read it; each whole frame then goes
// through what tallyd does with a message (request_path.h).
//
// Input: the stream, then two bytes of plan (the last two): the seed of the chunk sizes, the
// reader's initial buffer size and the frame size limit. Checked: the reader hands out exactly
// the frames a plain parse of the stream finds, in order, byte for byte, stops at the first
// frame over the limit (the server refuses it and closes), and keeps exactly the rest buffered.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <vector>

#include "fuzz/fuzz_check.h"
#include "fuzz/request_path.h"
#include "net/protocol/frame_reader.h"

namespace {

struct Plan {
  uint32_t chunk_seed = 0;
  size_t initial_bytes = 0;
  uint32_t frame_bytes_max = 0;
};

Plan plan_of(uint8_t first, uint8_t second) {
  static constexpr size_t kInitialBytes[] = {1, 16, 64 * 1024, 100};
  static constexpr uint32_t kFrameBytesMax[] = {1u << 20, 256, 4096, 0};
  return {.chunk_seed = (uint32_t{first} << 8 | second) | 1u,
          .initial_bytes = kInitialBytes[first & 3],
          .frame_bytes_max = kFrameBytesMax[(first >> 2) & 3]};
}

struct Parsed {
  std::vector<std::span<const uint8_t>> frames;
  size_t consumed = 0;     // bytes of the whole frames
  bool oversized = false;  // stopped at a frame over the limit
};

// The framing of docs/protocol.md, read the plainest way: u32 little-endian length, message.
Parsed parse(std::span<const uint8_t> stream, uint32_t frame_bytes_max) {
  Parsed parsed;
  while (stream.size() - parsed.consumed >= 4) {
    uint32_t length = 0;
    for (int index = 3; index >= 0; --index) {
      length = length << 8 | stream[parsed.consumed + static_cast<size_t>(index)];
    }
    if (length > frame_bytes_max) {
      parsed.oversized = true;
      break;
    }
    if (stream.size() - parsed.consumed - 4 < length) {
      break;
    }
    parsed.frames.push_back(stream.subspan(parsed.consumed + 4, length));
    parsed.consumed += 4 + length;
  }
  return parsed;
}

uint32_t next_chunk(uint32_t& state) {
  state ^= state << 13;  // xorshift32: any sequence of sizes, from two bytes of input
  state ^= state >> 17;
  state ^= state << 5;
  return state % 4 == 0 ? state % 4096 + 1 : state % 37 + 1;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static tally::fuzz::RequestPath path;
  if (size < 2) {
    return 0;
  }
  Plan plan = plan_of(data[size - 2], data[size - 1]);
  const std::span<const uint8_t> stream(data, size - 2);
  const Parsed expected = parse(stream, plan.frame_bytes_max);

  tally::net::FrameReader reader(plan.initial_bytes);
  size_t received = 0;
  size_t frames = 0;
  size_t consumed = 0;
  bool oversized = false;
  while (received < stream.size() && !oversized) {
    const std::span<uint8_t> room = reader.prepare();
    FUZZ_CHECK(!room.empty());
    const size_t bytes =
        std::min({room.size(), size_t{next_chunk(plan.chunk_seed)}, stream.size() - received});
    std::memcpy(room.data(), stream.data() + received, bytes);
    reader.commit(bytes);
    received += bytes;
    while (const std::optional<uint32_t> length = reader.peek_length()) {
      if (*length > plan.frame_bytes_max) {
        oversized = true;
        break;
      }
      const std::optional<std::span<const uint8_t>> frame = reader.frame(*length);
      if (!frame) {
        break;
      }
      FUZZ_CHECK(frames < expected.frames.size());
      FUZZ_CHECK(frame->size() == expected.frames[frames].size());
      FUZZ_CHECK(std::memcmp(frame->data(), expected.frames[frames].data(), frame->size()) == 0);
      path.handle(*frame);
      reader.consume(*length);
      consumed += 4 + *length;
      ++frames;
    }
  }
  FUZZ_CHECK(frames == expected.frames.size());
  FUZZ_CHECK(consumed == expected.consumed);
  FUZZ_CHECK(oversized == expected.oversized);
  FUZZ_CHECK(reader.buffered() == received - consumed);
  return 0;
}
