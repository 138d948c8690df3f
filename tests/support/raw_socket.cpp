#include "support/raw_socket.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

#include "net/protocol/frame.h"
#include "net/protocol/messages.h"

namespace tally::testing {

RawSocket::RawSocket(uint16_t port, int receive_buffer_bytes) {
  descriptor_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (receive_buffer_bytes > 0) {
    ::setsockopt(descriptor_, SOL_SOCKET, SO_RCVBUF, &receive_buffer_bytes,
                 sizeof(receive_buffer_bytes));
  }
  const int one = 1;
  ::setsockopt(descriptor_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(descriptor_, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    throw std::runtime_error("RawSocket: cannot connect");
  }
}

RawSocket::~RawSocket() {
  ::close(descriptor_);
}

void RawSocket::shutdown_sending() {
  ::shutdown(descriptor_, SHUT_WR);
}

bool RawSocket::send_bytes(std::span<const uint8_t> bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t result =
        ::send(descriptor_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (result <= 0) {
      return false;
    }
    sent += static_cast<size_t>(result);
  }
  return true;
}

size_t RawSocket::send_available(std::span<const uint8_t> bytes,
                                 std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  size_t sent = 0;
  while (sent < bytes.size()) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd poll_descriptor{.fd = descriptor_, .events = POLLOUT, .revents = 0};
    if (left.count() <= 0 || ::poll(&poll_descriptor, 1, static_cast<int>(left.count())) <= 0) {
      break;
    }
    const ssize_t result =
        ::send(descriptor_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (result < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      continue;
    }
    if (result <= 0) {
      break;
    }
    sent += static_cast<size_t>(result);
  }
  return sent;
}

bool RawSocket::send_frame(std::span<const uint8_t> message) {
  std::vector<uint8_t> framed;
  net::append_frame(framed, message);
  return send_bytes(framed);
}

bool RawSocket::hello() {
  flatbuffers::FlatBufferBuilder builder;
  net::encode_hello(builder, Id128{.low = 1, .high = 1}, "raw-socket");
  if (!send_frame(net::finished_bytes(builder))) {
    return false;
  }
  const auto answer = read_frame(std::chrono::seconds(10));
  const protocol::Response* response = answer ? response_of(*answer) : nullptr;
  return response != nullptr && response->body_type() == protocol::ResponseBody::HelloResult;
}

bool RawSocket::read_exactly(uint8_t* data, size_t bytes, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  size_t received = 0;
  while (received < bytes) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd poll_descriptor{.fd = descriptor_, .events = POLLIN, .revents = 0};
    if (left.count() <= 0 || ::poll(&poll_descriptor, 1, static_cast<int>(left.count())) <= 0) {
      return false;
    }
    const ssize_t result = ::recv(descriptor_, data + received, bytes - received, 0);
    if (result <= 0) {
      return false;
    }
    received += static_cast<size_t>(result);
  }
  return true;
}

std::optional<std::vector<uint8_t>> RawSocket::read_frame(std::chrono::milliseconds timeout) {
  uint8_t header[net::kFrameHeaderBytes];
  if (!read_exactly(header, sizeof(header), timeout)) {
    return std::nullopt;
  }
  std::vector<uint8_t> message(net::read_frame_length(header));
  if (!read_exactly(message.data(), message.size(), timeout)) {
    return std::nullopt;
  }
  return message;
}

std::string RawSocket::read_until(std::string_view marker, size_t count,
                                  std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string text;
  const auto occurrences = [&] {
    size_t found = 0;
    for (size_t at = text.find(marker); at != std::string::npos;
         at = text.find(marker, at + marker.size())) {
      ++found;
    }
    return found;
  };
  char buffer[65536];
  while (occurrences() < count) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd poll_descriptor{.fd = descriptor_, .events = POLLIN, .revents = 0};
    if (left.count() <= 0 || ::poll(&poll_descriptor, 1, static_cast<int>(left.count())) <= 0) {
      break;
    }
    const ssize_t result = ::recv(descriptor_, buffer, sizeof(buffer), 0);
    if (result <= 0) {
      break;
    }
    text.append(buffer, static_cast<size_t>(result));
  }
  return text;
}

bool RawSocket::closed_by_peer(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  uint8_t buffer[65536];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd poll_descriptor{.fd = descriptor_, .events = POLLIN, .revents = 0};
    if (left.count() <= 0 || ::poll(&poll_descriptor, 1, static_cast<int>(left.count())) <= 0) {
      return false;
    }
    if (::recv(descriptor_, buffer, sizeof(buffer), 0) <= 0) {
      return true;
    }
  }
}

const protocol::Response* response_of(const std::vector<uint8_t>& message) {
  return net::verify_response(message);
}

}  // namespace tally::testing
