#include "tools/load/http_connection.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "net/client/client.h"

namespace tally::load {
namespace {

using client::ClientError;

// Reads this much at a time: many answers of a pipelined connection at once.
constexpr size_t kReadBytes = 64 * 1024;

std::string endpoint(const std::string& host, uint16_t port) {
  return host + ":" + std::to_string(port);
}

}  // namespace

HttpConnection::HttpConnection(std::string host, uint16_t port)
    : host_(std::move(host)), port_(port) {}

HttpConnection::~HttpConnection() {
  if (descriptor_ >= 0) {
    ::close(descriptor_);
  }
}

void HttpConnection::fail(const std::string& what) const {
  throw ClientError(ClientError::Kind::kProtocol,
                    "HTTP connection to " + endpoint(host_, port_) + ": " + what);
}

void HttpConnection::connect() {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port_);
  if (const int error = ::getaddrinfo(host_.c_str(), service.c_str(), &hints, &found); error != 0) {
    throw ClientError(ClientError::Kind::kConnect,
                      "cannot resolve " + host_ + ": " + ::gai_strerror(error));
  }
  int last_error = 0;
  for (const addrinfo* address = found; address != nullptr; address = address->ai_next) {
    const int descriptor =
        ::socket(address->ai_family, address->ai_socktype | SOCK_CLOEXEC, address->ai_protocol);
    if (descriptor < 0) {
      last_error = errno;
      continue;
    }
    if (::connect(descriptor, address->ai_addr, address->ai_addrlen) == 0) {
      descriptor_ = descriptor;
      break;
    }
    last_error = errno;
    ::close(descriptor);
  }
  ::freeaddrinfo(found);
  if (descriptor_ < 0) {
    throw ClientError(ClientError::Kind::kConnect, "cannot connect to " + endpoint(host_, port_) +
                                                       " (HTTP): " + std::strerror(last_error));
  }
  const int one = 1;
  ::setsockopt(descriptor_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  ::fcntl(descriptor_, F_SETFL, ::fcntl(descriptor_, F_GETFL) | O_NONBLOCK);
}

bool HttpConnection::flush() {
  while (written_ < output_.size()) {
    const ssize_t sent =
        ::send(descriptor_, output_.data() + written_, output_.size() - written_, MSG_NOSIGNAL);
    if (sent < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        return false;
      }
      if (errno == EINTR) {
        continue;
      }
      fail(std::string("send: ") + std::strerror(errno));
    }
    written_ += static_cast<size_t>(sent);
  }
  output_.clear();
  written_ = 0;
  return true;
}

bool HttpConnection::read() {
  bool read = false;
  for (;;) {
    const std::span<char> room = parser_.prepare(kReadBytes);
    const ssize_t received = ::recv(descriptor_, room.data(), room.size(), 0);
    if (received > 0) {
      parser_.commit(static_cast<size_t>(received));
      read = true;
      if (static_cast<size_t>(received) < room.size()) {
        return true;  // all there was: no second call only to hear EAGAIN
      }
      continue;
    }
    if (received == 0) {
      fail("the server closed the connection");
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      return read;
    }
    if (errno != EINTR) {
      fail(std::string("recv: ") + std::strerror(errno));
    }
  }
}

bool HttpConnection::wait(std::chrono::nanoseconds timeout) {
  flush();
  pollfd poll_descriptor{.fd = descriptor_,
                         .events = static_cast<short>(POLLIN | (output_.empty() ? 0 : POLLOUT)),
                         .revents = 0};
  if (timeout < std::chrono::nanoseconds(0)) {
    timeout = std::chrono::nanoseconds(0);
  }
  const timespec limit{.tv_sec = static_cast<time_t>(timeout.count() / 1'000'000'000),
                       .tv_nsec = static_cast<long>(timeout.count() % 1'000'000'000)};
  const int ready = ::ppoll(&poll_descriptor, 1, &limit, nullptr);
  if (ready < 0) {
    if (errno == EINTR) {
      return false;
    }
    fail(std::string("ppoll: ") + std::strerror(errno));
  }
  if (ready == 0) {
    return false;
  }
  if ((poll_descriptor.revents & POLLOUT) != 0) {
    flush();
  }
  if ((poll_descriptor.revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
    return read();
  }
  return false;
}

bool HttpConnection::next(HttpResponse& answer) {
  switch (parser_.next(answer)) {
    case HttpResponseParser::Next::kAnswer:
      return true;
    case HttpResponseParser::Next::kNeedMore:
      return false;
    case HttpResponseParser::Next::kMalformed:
      break;
  }
  fail("an answer this client cannot read: " + parser_.problem());
}

}  // namespace tally::load
