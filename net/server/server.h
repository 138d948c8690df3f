// Server: the TCP side of tallyd. Accepts connections on the configured address and runs
// them on `io_threads` network threads (one strand per connection). It owns the
// ResponseRouter, the MemoryBudget and the counters the replier and connections share.
//
// Lifecycle (one control thread): construct, engine start, bind_and_listen(), run(); then on a
// signal stop_accepting(), engine stop (answers still flow), wait_until_written(), stop().
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio.hpp>

#include "engine/base/status.h"
#include "net/server/connection.h"
#include "net/server/memory_budget.h"
#include "net/server/response_router.h"
#include "net/server/server_config.h"
#include "net/server/server_counters.h"

namespace tally::net {

class Server {
 public:
  // `access`: API keys and roles (net/server/access_control.h); none: everyone may do anything.
  // `tls`: TLS for every connection (net/server/tls_context.h), or none.
  explicit Server(const ServerConfig& config, AccessControl access = {},
                  std::shared_ptr<boost::asio::ssl::context> tls = nullptr);
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  ~Server();

  ResponseRouter& router() { return router_; }
  // For other listeners on the same network threads (net/http): valid from bind_and_listen on.
  boost::asio::io_context& io_context() { return io_context_; }
  ConnectionContext& connection_context() { return *context_; }
  ServerCounters& counters() { return counters_; }

  // Binds and listens, or says why it cannot (the address is taken or not one of this host):
  // kIoError naming the step and the address. `ingress`: where command batches go;
  // `read_side`: where queries go; `engine_stats`: the engine's part of the stats.
  [[nodiscard]] Status bind_and_listen(Ingress& ingress, ReadSide& read_side,
                                       std::function<void(ServerStats&)> engine_stats);
  uint16_t port() const { return port_; }
  // Starts the network threads.
  void run();

  void stop_accepting();
  // Waits (up to `grace`) until every answer delivered so far is written to its client.
  bool wait_until_written(std::chrono::milliseconds grace);
  // Closes every connection and joins the network threads.
  void stop();

  ServerStats stats() const;

 private:
  void accept();
  // bind_and_listen, reporting a failure as the error and the step that met it.
  boost::system::error_code try_listen(Ingress& ingress, ReadSide& read_side,
                                       std::function<void(ServerStats&)> engine_stats,
                                       std::string& step);

  const ServerConfig& config_;
  const AccessControl access_;
  const std::shared_ptr<boost::asio::ssl::context> tls_;
  ServerCounters counters_;
  MemoryBudget budget_;  // before the router and the connections, which charge it
  ResponseRouter router_;
  boost::asio::io_context io_context_;
  // The acceptor, its retry timer and stop_accepting's close run on one strand: with several
  // network threads they would otherwise race.
  boost::asio::strand<boost::asio::io_context::executor_type> accept_strand_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer accept_retry_;
  std::unique_ptr<ConnectionContext> context_;
  std::function<void(ServerStats&)> engine_stats_;
  std::vector<std::thread> threads_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  uint16_t port_ = 0;
  bool stopped_ = false;
};

}  // namespace tally::net
