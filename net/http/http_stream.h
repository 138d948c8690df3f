// HttpStream: an HTTP connection's byte stream, plain TCP or TLS over it (tallyd --tls-cert),
// as one type Boost.Beast can read and write (an AsyncReadStream and AsyncWriteStream). The
// lowest layer is a beast::tcp_stream, whose timeouts bound every read, write and handshake.
//
// Threads: as the socket it wraps: one strand at a time.
#pragma once

#include <memory>
#include <optional>
#include <utility>

#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>

namespace tally::net::http {

class HttpStream {
 public:
  using executor_type = boost::beast::tcp_stream::executor_type;
  using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

  // Plain when `tls` is null.
  HttpStream(boost::asio::ip::tcp::socket socket, boost::asio::ssl::context* tls) {
    if (tls != nullptr) {
      tls_ = std::make_unique<TlsStream>(boost::beast::tcp_stream(std::move(socket)), *tls);
    } else {
      plain_.emplace(std::move(socket));
    }
  }

  bool is_tls() const { return tls_ != nullptr; }
  boost::beast::tcp_stream& lowest() { return tls_ ? tls_->next_layer() : *plain_; }
  executor_type get_executor() { return lowest().get_executor(); }

  // TLS: the server's side of the handshake; plain: `handler` at once (posted), without error.
  template <typename Handler>
  void async_handshake(Handler&& handler) {
    if (tls_) {
      tls_->async_handshake(boost::asio::ssl::stream_base::server, std::forward<Handler>(handler));
    } else {
      boost::asio::post(get_executor(), [handler = std::forward<Handler>(handler)]() mutable {
        handler(boost::beast::error_code());
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

 private:
  std::optional<boost::beast::tcp_stream> plain_;
  std::unique_ptr<TlsStream> tls_;
};

}  // namespace tally::net::http
