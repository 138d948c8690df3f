// ConnectionStream: a binary-protocol connection's byte stream, plain TCP or TLS over it
// (tallyd --tls-cert; net/protocol/plain_or_tls_stream.h), with the few operations a
// Connection uses beyond reading and writing. Only a plain stream hands out its descriptor for
// the router's direct sends (TLS records must be written by the stream itself).
//
// Threads: as the socket it wraps: one strand at a time.
#pragma once

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

#include "net/protocol/plain_or_tls_stream.h"

namespace tally::net {

class ConnectionStream
    : public PlainOrTlsStream<boost::asio::ip::tcp::socket,
                              boost::asio::ssl::stream<boost::asio::ip::tcp::socket>> {
 public:
  using Socket = boost::asio::ip::tcp::socket;
  using PlainOrTlsStream::PlainOrTlsStream;

  Socket& socket() { return plain_layer(); }
  const Socket& socket() const { return plain_layer(); }
  // The descriptor for sending directly, or -1 (TLS).
  int direct_send_descriptor() { return is_tls() ? -1 : socket().native_handle(); }

  // The whole of `buffers`.
  template <typename Buffers, typename Handler>
  void async_write_all(const Buffers& buffers, Handler&& handler) {
    boost::asio::async_write(*this, buffers, std::forward<Handler>(handler));
  }
  // Closes the socket (no TLS close_notify: a connection that closes is done with, and the
  // protocol's own answers say where requests ended).
  void close() {
    boost::system::error_code ignored;
    socket().shutdown(Socket::shutdown_both, ignored);
    socket().close(ignored);
  }
};

}  // namespace tally::net
