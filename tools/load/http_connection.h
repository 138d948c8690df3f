// HttpConnection: one keep-alive HTTP/1.1 connection from tally-load to tallyd, on a plain
// non-blocking POSIX socket with TCP_NODELAY. Requests are appended as bytes to output() (see
// http_requests.h) and written as the socket takes them; answers are cut out of what is read
// by an HttpResponseParser and taken in order with next() (the server answers pipelined
// requests in order, so the n-th answer is the n-th request's).
//
// Nothing blocks but wait(): it writes what is pending, waits up to its timeout (to the
// nanosecond) for something to read, and reads all that has come. A thread driving many
// connections waits on their descriptors itself (epoll) and calls flush() and read() when
// they are ready instead. Failures throw client::ClientError:
// kConnect if the connection cannot be made, kProtocol if the server closes it or sends what
// the parser cannot read. No reconnection: a lost connection ends the run's connection.
//
// Threads: one thread uses a connection.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "tools/load/http_response_parser.h"

namespace tally::load {

class HttpConnection {
 public:
  HttpConnection(std::string host, uint16_t port);
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;
  ~HttpConnection();

  void connect();

  int descriptor() const { return descriptor_; }

  // Where requests are appended; written by flush() and wait().
  std::string& output() { return output_; }
  // Writes what the socket takes now of output(), without waiting. Returns true if all of it
  // is written (false: wait until the socket can be written to, then flush again).
  bool flush();
  // Reads all the socket holds now, without waiting. Returns true if anything was read.
  bool read();
  // Writes what is pending, then waits up to `timeout` until something can be read and reads
  // it. Returns true if anything was read.
  bool wait(std::chrono::nanoseconds timeout);
  // The next whole answer, if one has been read (valid until the next read or wait()).
  bool next(HttpResponse& answer);

  const std::string& host() const { return host_; }
  uint16_t port() const { return port_; }

 private:
  [[noreturn]] void fail(const std::string& what) const;

  std::string host_;
  uint16_t port_;
  int descriptor_ = -1;
  std::string output_;
  size_t written_ = 0;  // of output_
  HttpResponseParser parser_;
};

}  // namespace tally::load
