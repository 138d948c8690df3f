// FramePool: commands pre-encoded as FlatBuffers Request frames, as a network client would
// send them, so that the pipeline benchmarks time the engine and not the encoder.
//
// Frames are replayed cyclically; each copy gets a fresh request id (patched into the copied
// bytes), so a replayed frame is a new request, not an idempotent retry.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "engine/wire/command.h"

namespace tally::bench {

class FramePool {
 public:
  // One frame per `batch_size` consecutive commands (the last may be shorter), each encoded
  // with request id {low: 0, high: request_id_high}.
  FramePool(std::span<const Command> commands, uint32_t batch_size, uint64_t request_id_high);

  size_t size() const { return frames_.size(); }
  size_t command_count() const { return command_count_; }

  // Replaces `destination` (keeping its capacity) with frame `index`, request id low `low`.
  void copy_frame(size_t index, uint64_t low, std::vector<uint8_t>& destination) const;

 private:
  struct FrameLocation {
    size_t offset = 0;
    size_t size = 0;
    size_t request_id_offset = 0;  // of the Uint128 struct, relative to the frame's start
  };

  std::vector<uint8_t> bytes_;  // every frame, back to back
  std::vector<FrameLocation> frames_;
  size_t command_count_ = 0;
};

}  // namespace tally::bench
