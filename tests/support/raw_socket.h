// RawSocket: a blocking loopback TCP connection for tests that must misbehave on purpose
// (garbage, oversized or partial frames, never reading) where tally::client would not.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/wire/protocol.h"

namespace tally::testing {

class RawSocket {
 public:
  // `receive_buffer_bytes` > 0 shrinks the kernel's receive buffer (a client that reads slowly
  // fills it sooner).
  explicit RawSocket(uint16_t port, int receive_buffer_bytes = 0);
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;
  ~RawSocket();

  // False once the peer has closed or reset the connection.
  bool send_bytes(std::span<const uint8_t> bytes);
  bool send_frame(std::span<const uint8_t> message);  // the length header, then the message
  // Sends what the peer takes within `timeout` (a server that stopped reading takes only what
  // the socket buffers hold); returns the bytes sent.
  size_t send_available(std::span<const uint8_t> bytes, std::chrono::milliseconds timeout);
  // Closes the sending side (the peer reads end of stream); reading still works.
  void shutdown_sending();
  // Sends a Hello and reads its answer; false if it did not come.
  bool hello();

  // The next frame's message, or nullopt on timeout, end of stream or error.
  std::optional<std::vector<uint8_t>> read_frame(std::chrono::milliseconds timeout);
  // Reads bytes (text protocols) until `marker` was seen `count` times, the peer closed, or
  // `timeout` passed; returns all that was read.
  std::string read_until(std::string_view marker, size_t count, std::chrono::milliseconds timeout);
  // Reads and discards until the server closes the connection; false on timeout.
  bool closed_by_peer(std::chrono::milliseconds timeout);

 private:
  bool read_exactly(uint8_t* data, size_t bytes, std::chrono::milliseconds timeout);

  int descriptor_ = -1;
};

// The Response in `message`, or null.
const protocol::Response* response_of(const std::vector<uint8_t>& message);

}  // namespace tally::testing
