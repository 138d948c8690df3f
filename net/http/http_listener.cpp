#include "net/http/http_listener.h"

#include <random>

#include <spdlog/spdlog.h>

namespace tally::net::http {
namespace {

namespace asio = boost::asio;

// Request ids made for requests without an Idempotency-Key: a random high word per process,
// so that they never meet the ids of an earlier run still in the retry window.
uint64_t random_salt() {
  std::random_device device;
  return (static_cast<uint64_t>(device()) << 32 | device()) | 1ULL << 63;
}

}  // namespace

HttpListener::HttpListener(asio::io_context& io_context, ConnectionContext& server,
                           uint64_t recovered_sequence)
    : io_context_(io_context),
      context_{
          .server = server, .recovered_sequence = recovered_sequence, .id_salt = random_salt()},
      strand_(asio::make_strand(io_context)),
      acceptor_(strand_),
      accept_retry_(strand_) {}

Status HttpListener::listen(const std::string& host, uint16_t port) {
  boost::system::error_code error;
  std::string step = "address";
  const asio::ip::address address = asio::ip::make_address(host, error);
  const asio::ip::tcp::endpoint endpoint(address, port);
  if (!error) {
    step = "open";
    acceptor_.open(endpoint.protocol(), error);
  }
  if (!error) {
    step = "reuse_address";
    acceptor_.set_option(asio::ip::tcp::acceptor::reuse_address(true), error);
  }
  if (!error) {
    step = "bind";
    acceptor_.bind(endpoint, error);
  }
  if (!error) {
    step = "listen";
    acceptor_.listen(asio::socket_base::max_listen_connections, error);
  }
  if (!error) {
    step = "local_endpoint";
    port_ = acceptor_.local_endpoint(error).port();
  }
  if (error) {
    return {StatusCode::kIoError,
            "http " + step + " " + host + ":" + std::to_string(port) + ": " + error.message()};
  }
  accept();
  return Status::ok();
}

void HttpListener::accept() {
  acceptor_.async_accept(asio::make_strand(io_context_), [this](boost::system::error_code error,
                                                                asio::ip::tcp::socket socket) {
    if (error == asio::error::operation_aborted || !acceptor_.is_open()) {
      return;
    }
    if (error) {
      spdlog::error("event=accept_failed protocol=http error=\"{}\"", error.message());
      accept_retry_.expires_after(std::chrono::milliseconds(50));
      accept_retry_.async_wait([this](boost::system::error_code timer_error) {
        if (!timer_error) {
          accept();
        }
      });
      return;
    }
    std::make_shared<HttpSession>(std::move(socket), context_)->start();
    accept();
  });
}

void HttpListener::stop_accepting() {
  asio::post(strand_, [this] {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    accept_retry_.cancel();
  });
}

}  // namespace tally::net::http
