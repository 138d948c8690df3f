// EchoBaseline: the floor for one request at a time on this machine. A bare TCP echo over
// loopback (a thread of tally-load answering each message with itself, blocking sockets,
// TCP_NODELAY) timed for `round_trips` round trips of `message_bytes` each. Tallyd's
// unbatched round trip is compared with it in the same run, so machine noise cancels out.
#pragma once

#include <cstdint>

#include "tools/load/latency_histogram.h"

namespace tally::load {

// Throws std::runtime_error if the loopback sockets cannot be set up.
LatencyHistogram measure_echo_round_trips(uint32_t round_trips, uint32_t message_bytes);

}  // namespace tally::load
