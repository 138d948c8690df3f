#include "support/pipeline_harness.h"

#include <thread>

#include "engine/wire/wire_encoder.h"

namespace tally::testing {

ResultCode submit(Ingress& ingress, const std::vector<uint8_t>& frame, uint64_t origin) {
  for (int attempt = 0; attempt < 10'000'000; ++attempt) {
    IngressBatch* batch = ingress.acquire();
    if (batch == nullptr) {
      if (ingress.is_closed_and_quiet()) {
        return ResultCode::Unavailable;  // stopped (or failed): nothing will free a batch
      }
      std::this_thread::yield();
      continue;
    }
    batch->origin = origin;
    batch->frame.assign(frame.begin(), frame.end());
    const ResultCode result = ingress.submit(batch);
    if (result == ResultCode::Ok) {
      return result;
    }
    ingress.release(batch);
    if (result != ResultCode::Unavailable || ingress.is_closed_and_quiet()) {
      return result;
    }
    std::this_thread::yield();
  }
  return ResultCode::Unavailable;
}

std::vector<uint8_t> frame_of(std::span<const Command> commands, uint64_t request, bool atomic) {
  flatbuffers::FlatBufferBuilder builder;
  encode_command_request({.request_id = {.low = request, .high = 1},
                          .origin = 0,
                          .atomic = atomic,
                          .commands = commands},
                         builder);
  const auto span = builder.GetBufferSpan();
  return {span.begin(), span.end()};
}

}  // namespace tally::testing
