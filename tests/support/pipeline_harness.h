// Helpers for tests that drive a real Pipeline: encode a request frame, submit it through the
// ingress with bounded retries while the pipeline pushes back.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "engine/pipeline/ingress.h"
#include "engine/pipeline/outcome_consumer.h"
#include "engine/wire/command.h"

namespace tally::testing {

// Like the replier: notes the highest sequence it would acknowledge (the last event of a
// request). Added after the journaler, it sees durable events only.
class AcknowledgementRecorder : public OutcomeHandler {
 public:
  void on_event(const Outcome& event, int64_t, bool) override {
    if (event.is_last_in_request() && event.sequence > highest_acknowledged) {
      highest_acknowledged = event.sequence;
    }
  }
  uint64_t highest_acknowledged = 0;
};

std::vector<uint8_t> frame_of(std::span<const Command> commands, uint64_t request,
                              bool atomic = false);

// Submits `frame` with `origin`, retrying (a bounded number of times) while the pipeline pushes
// back. Returns the final result: Ok, or why the frame was refused.
ResultCode submit(Ingress& ingress, const std::vector<uint8_t>& frame, uint64_t origin);

}  // namespace tally::testing
