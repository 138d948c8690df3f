// HttpListener: tallyd's HTTP/JSON listener (net/http/http_session.h), beside the binary one,
// on the same network threads and into the same engine. Bound before the server runs, so a
// taken address fails start-up with the reason; closed by stop_accepting().
//
// Lifecycle (the control thread): construct after the Server, listen(), then the Server runs
// the network threads; stop_accepting() on shutdown. Destroy before the Server (the acceptor
// lives on the Server's io_context).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio.hpp>

#include "engine/base/status.h"
#include "net/http/http_session.h"

namespace tally::net::http {

class HttpListener {
 public:
  // `recovered_sequence`: what start-up recovered, for /ready.
  HttpListener(boost::asio::io_context& io_context, ConnectionContext& server,
               uint64_t recovered_sequence);
  HttpListener(const HttpListener&) = delete;
  HttpListener& operator=(const HttpListener&) = delete;

  // Binds host:port (port 0: any free one) and starts accepting; kIoError naming the step.
  [[nodiscard]] Status listen(const std::string& host, uint16_t port);
  uint16_t port() const { return port_; }
  void stop_accepting();

 private:
  void accept();

  boost::asio::io_context& io_context_;
  HttpContext context_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer accept_retry_;
  uint16_t port_ = 0;
};

}  // namespace tally::net::http
