#include "tools/load/echo_baseline.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

namespace tally::load {
namespace {

bool transfer_all(int descriptor, uint8_t* data, size_t bytes, bool sending) {
  size_t done = 0;
  while (done < bytes) {
    const ssize_t result = sending ? ::send(descriptor, data + done, bytes - done, MSG_NOSIGNAL)
                                   : ::recv(descriptor, data + done, bytes - done, 0);
    if (result <= 0) {
      return false;
    }
    done += static_cast<size_t>(result);
  }
  return true;
}

void set_no_delay(int descriptor) {
  const int one = 1;
  ::setsockopt(descriptor, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

// A listening loopback socket on a free port; returns its descriptor and fills `port`.
int listen_on_loopback(uint16_t& port) {
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (listener < 0 || ::bind(listener, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      ::listen(listener, 1) != 0 ||
      ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    throw std::runtime_error("echo baseline: cannot listen on loopback");
  }
  port = ntohs(address.sin_port);
  return listener;
}

}  // namespace

LatencyHistogram measure_echo_round_trips(uint32_t round_trips, uint32_t message_bytes) {
  uint16_t port = 0;
  const int listener = listen_on_loopback(port);
  std::thread echo([listener, message_bytes] {
    const int connection = ::accept(listener, nullptr, nullptr);
    set_no_delay(connection);
    std::vector<uint8_t> message(message_bytes);
    while (transfer_all(connection, message.data(), message.size(), false) &&
           transfer_all(connection, message.data(), message.size(), true)) {
    }
    ::close(connection);
  });
  const int client = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(client, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    ::close(listener);
    echo.join();
    throw std::runtime_error("echo baseline: cannot connect");
  }
  set_no_delay(client);
  std::vector<uint8_t> message(message_bytes, 0x5A);
  LatencyHistogram histogram;
  for (uint32_t trip = 0; trip < round_trips; ++trip) {
    const auto sent = std::chrono::steady_clock::now();
    if (!transfer_all(client, message.data(), message.size(), true) ||
        !transfer_all(client, message.data(), message.size(), false)) {
      break;
    }
    histogram.record(static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                               std::chrono::steady_clock::now() - sent)
                                               .count()));
  }
  ::close(client);
  echo.join();
  ::close(listener);
  return histogram;
}

}  // namespace tally::load
