// PlainOrTlsStream<Plain, Tls>: one connection's byte stream, either `Plain` itself or TLS over
// it (`Tls`, an OpenSSL stream through Boost.Asio or Beast), chosen when the connection is
// made, as one type Asio's and Beast's composed operations can read and write (an
// AsyncReadStream and AsyncWriteStream). The server's listeners use it for --tls-cert.
//
// Threads: as the stream it wraps: one strand at a time.
#pragma once

#include <memory>
#include <optional>
#include <utility>

#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>

namespace tally::net {

template <typename Plain, typename Tls>
class PlainOrTlsStream {
 public:
  using executor_type = typename Plain::executor_type;

  // Plain when `tls` is null.
  PlainOrTlsStream(Plain plain, boost::asio::ssl::context* tls) {
    if (tls != nullptr) {
      tls_ = std::make_unique<Tls>(std::move(plain), *tls);
    } else {
      plain_.emplace(std::move(plain));
    }
  }

  bool is_tls() const { return tls_ != nullptr; }
  // The plain stream (under TLS, the one TLS runs over).
  Plain& plain_layer() { return tls_ ? tls_->next_layer() : *plain_; }
  const Plain& plain_layer() const { return tls_ ? tls_->next_layer() : *plain_; }
  executor_type get_executor() { return plain_layer().get_executor(); }

  // TLS: the handshake of `side`; plain: `handler` at once (posted), without an error.
  template <typename Handler>
  void async_handshake(boost::asio::ssl::stream_base::handshake_type side, Handler&& handler) {
    if (tls_) {
      tls_->async_handshake(side, std::forward<Handler>(handler));
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

 private:
  std::optional<Plain> plain_;
  std::unique_ptr<Tls> tls_;
};

}  // namespace tally::net
