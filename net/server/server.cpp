#include "net/server/server.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "engine/read/projector.h"
#include "engine/wire/protocol.h"

namespace tally::net {
namespace {

namespace asio = boost::asio;

// What a query costs while a projector holds it, besides its frame: the QueryJob, the frame's
// and the job's allocation headers, its queue slot.
constexpr uint64_t kQueryJobOverheadBytes = 128;
static_assert(sizeof(read::QueryJob) + 2 * 16 + 8 <= kQueryJobOverheadBytes);

uint64_t query_charge_bytes(const ServerConfig& config) {
  return config.query_frame_bytes_max + kQueryJobOverheadBytes;
}

ServerHello hello_of(const ServerConfig& config) {
  return {.protocol_version = static_cast<uint16_t>(protocol::ProtocolVersion::Current),
          .server_name = "tallyd",
          .server_version = TALLY_VERSION,
          .limits = {.frame_bytes_max = config.pipeline.ingress.frame_bytes_max,
                     .batch_commands_max = config.pipeline.ingress.batch_commands_max,
                     .requests_in_flight_max = config.requests_in_flight_max,
                     .connections_max = config.connections_max,
                     .idempotency_window_commands = config.pipeline.ledger.idempotency_window,
                     .query_frame_bytes_max = std::min(config.query_frame_bytes_max,
                                                       config.pipeline.ingress.frame_bytes_max),
                     .subscriptions_max = config.subscriptions_max,
                     .subscription_credit_max = config.subscription_credit_max}};
}

}  // namespace

Server::Server(const ServerConfig& config, AccessControl access,
               std::shared_ptr<boost::asio::ssl::context> tls)
    : config_(config),
      access_(std::move(access)),
      tls_(std::move(tls)),
      budget_(config.memory_budget_bytes),
      router_(config.connections_max, config.outbox_bytes_max, budget_, query_charge_bytes(config)),
      accept_strand_(asio::make_strand(io_context_)),
      acceptor_(accept_strand_),
      accept_retry_(accept_strand_) {}

Server::~Server() {
  stop();
}

Status Server::bind_and_listen(Ingress& ingress, ReadSide& read_side,
                               std::function<void(ServerStats&)> engine_stats) {
  std::string step;
  if (const boost::system::error_code error =
          try_listen(ingress, read_side, std::move(engine_stats), step)) {
    return {StatusCode::kIoError, step + " " + config_.host + ":" + std::to_string(config_.port) +
                                      ": " + error.message()};
  }
  return Status::ok();
}

boost::system::error_code Server::try_listen(Ingress& ingress, ReadSide& read_side,
                                             std::function<void(ServerStats&)> engine_stats,
                                             std::string& step) {
  engine_stats_ = std::move(engine_stats);
  context_ =
      std::make_unique<ConnectionContext>(ConnectionContext{.config = config_,
                                                            .router = router_,
                                                            .ingress = ingress,
                                                            .read_side = read_side,
                                                            .counters = counters_,
                                                            .budget = budget_,
                                                            .hello = hello_of(config_),
                                                            .stats = [this] { return stats(); },
                                                            .access = access_,
                                                            .tls = tls_.get()});
  boost::system::error_code error;
  step = "address";
  const asio::ip::address address = asio::ip::make_address(config_.host, error);
  if (error) {
    return error;
  }
  const asio::ip::tcp::endpoint endpoint(address, config_.port);
  step = "open";
  acceptor_.open(endpoint.protocol(), error);
  if (error) {
    return error;
  }
  step = "reuse_address";
  acceptor_.set_option(asio::ip::tcp::acceptor::reuse_address(true), error);
  if (error) {
    return error;
  }
  step = "bind";
  acceptor_.bind(endpoint, error);
  if (error) {
    return error;
  }
  step = "listen";
  acceptor_.listen(asio::socket_base::max_listen_connections, error);
  if (error) {
    return error;
  }
  step = "local_endpoint";
  const asio::ip::tcp::endpoint bound = acceptor_.local_endpoint(error);
  if (error) {
    return error;
  }
  port_ = bound.port();
  accept();
  return {};
}

void Server::run() {
  for (uint32_t index = 0; index < config_.io_threads; ++index) {
    threads_.emplace_back([this] { io_context_.run(); });
  }
}

void Server::accept() {
  acceptor_.async_accept(asio::make_strand(io_context_), [this](boost::system::error_code error,
                                                                asio::ip::tcp::socket socket) {
    if (error == asio::error::operation_aborted || !acceptor_.is_open()) {
      return;
    }
    if (error) {
      // Out of file descriptors, most likely: back off instead of spinning.
      spdlog::error("event=accept_failed error=\"{}\"", error.message());
      accept_retry_.expires_after(std::chrono::milliseconds(50));
      accept_retry_.async_wait([this](boost::system::error_code timer_error) {
        if (!timer_error) {
          accept();
        }
      });
      return;
    }
    std::make_shared<Connection>(std::move(socket), *context_)->start();
    accept();
  });
}

void Server::stop_accepting() {
  asio::post(accept_strand_, [this] {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    accept_retry_.cancel();
  });
}

bool Server::wait_until_written(std::chrono::milliseconds grace) {
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (!router_.all_written()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

void Server::stop() {
  if (stopped_) {
    return;
  }
  stopped_ = true;
  io_context_.stop();
  for (std::thread& thread : threads_) {
    thread.join();
  }
  threads_.clear();
  // Connections hold sockets of io_context_: release them while it still exists.
  router_.detach_all();
  budget_.forget_waiters();
}

ServerStats Server::stats() const {
  constexpr auto kRelaxed = std::memory_order_relaxed;
  ServerStats stats;
  stats.uptime_ms = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                              std::chrono::steady_clock::now() - started_)
                                              .count());
  stats.requests = counters_.requests_answered.load(kRelaxed);
  stats.commands = counters_.commands.load(kRelaxed);
  stats.rejections = counters_.rejections.load(kRelaxed);
  for (size_t code = 0; code < kResultCodeSlots; ++code) {
    if (const uint64_t count = counters_.rejections_by_reason[code].load(kRelaxed); count != 0) {
      stats.rejections_by_reason.emplace_back(static_cast<ResultCode>(code), count);
    }
  }
  stats.replayed_answers = counters_.replayed_answers.load(kRelaxed);
  stats.requests_refused = counters_.requests_refused.load(kRelaxed);
  stats.connections_open = router_.open_connections();
  stats.connections_accepted = counters_.connections_accepted.load(kRelaxed);
  stats.connections_refused = counters_.connections_refused.load(kRelaxed);
  stats.connections_dropped = counters_.connections_dropped.load(kRelaxed);
  stats.requests_denied = counters_.requests_denied.load(kRelaxed);
  stats.money_in = counters_.money_in.load(kRelaxed);
  stats.money_out = counters_.money_out.load(kRelaxed);
  stats.read_pauses = counters_.read_pauses.load(kRelaxed);
  stats.memory_budget_bytes = budget_.budget_bytes();
  stats.memory_in_use_bytes = budget_.in_use_bytes();
  stats.memory_peak_bytes = budget_.peak_bytes();
  stats.memory_pauses = budget_.pauses();
  if (engine_stats_) {
    engine_stats_(stats);  // the logic thread's stages first: the stages in a request's order
  }
  stats.stage_latencies.push_back({"durable_wait", counters_.durable_wait.summarize()});
  stats.stage_latencies.push_back({"answer_write", counters_.answer_write.summarize()});
  stats.stage_latencies.push_back({"request_total", counters_.request_total.summarize()});
  stats.stage_latencies.push_back({"journal_sync", counters_.journal_sync.summarize()});
  return stats;
}

}  // namespace tally::net
