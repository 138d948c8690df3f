// ConnectionStream: a connection's byte stream, plain TCP or TLS over it (tallyd --tls-cert and
// --tls-key; OpenSSL through Boost.Asio's SSL streams), with the few operations a Connection
// uses. A TLS stream completes its handshake in start_handshake() before anything is read;
// a plain one has none. Only a plain stream hands out its descriptor for the router's direct
// sends (TLS records must be written by the stream itself).
//
// Threads: as the socket it wraps: one strand at a time.
#pragma once

#include <memory>
#include <optional>
#include <utility>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

namespace tally::net {

class ConnectionStream {
 public:
  using Socket = boost::asio::ip::tcp::socket;
  using TlsStream = boost::asio::ssl::stream<Socket>;

  // Plain when `tls` is null.
  ConnectionStream(Socket socket, boost::asio::ssl::context* tls) {
    if (tls != nullptr) {
      tls_ = std::make_unique<TlsStream>(std::move(socket), *tls);
    } else {
      plain_.emplace(std::move(socket));
    }
  }

  bool is_tls() const { return tls_ != nullptr; }
  Socket& socket() { return tls_ ? tls_->next_layer() : *plain_; }
  const Socket& socket() const { return tls_ ? tls_->next_layer() : *plain_; }
  Socket::executor_type get_executor() { return socket().get_executor(); }
  // The descriptor for sending directly, or -1 (TLS).
  int direct_send_descriptor() { return tls_ ? -1 : socket().native_handle(); }

  // TLS: the server's side of the handshake; plain: `handler` at once (posted), without error.
  template <typename Handler>
  void start_handshake(Handler&& handler) {
    if (tls_) {
      tls_->async_handshake(boost::asio::ssl::stream_base::server, std::forward<Handler>(handler));
    } else {
      boost::asio::post(get_executor(), [handler = std::forward<Handler>(handler)]() mutable {
        handler(boost::system::error_code());
      });
    }
  }
  template <typename Buffers, typename Handler>
  void async_read_some(const Buffers& buffers, Handler&& handler) {
    if (tls_) {
      tls_->async_read_some(buffers, std::forward<Handler>(handler));
    } else {
      plain_->async_read_some(buffers, std::forward<Handler>(handler));
    }
  }
  template <typename Buffers, typename Handler>
  void async_write_some(const Buffers& buffers, Handler&& handler) {
    if (tls_) {
      tls_->async_write_some(buffers, std::forward<Handler>(handler));
    } else {
      plain_->async_write_some(buffers, std::forward<Handler>(handler));
    }
  }
  // The whole of `buffers`.
  template <typename Buffers, typename Handler>
  void async_write_all(const Buffers& buffers, Handler&& handler) {
    if (tls_) {
      boost::asio::async_write(*tls_, buffers, std::forward<Handler>(handler));
    } else {
      boost::asio::async_write(*plain_, buffers, std::forward<Handler>(handler));
    }
  }
  // Closes the socket (no TLS close_notify: a connection that closes is done with, and the
  // protocol's own answers say where requests ended).
  void close() {
    boost::system::error_code ignored;
    socket().shutdown(Socket::shutdown_both, ignored);
    socket().close(ignored);
  }

 private:
  std::optional<Socket> plain_;
  std::unique_ptr<TlsStream> tls_;
};

}  // namespace tally::net
