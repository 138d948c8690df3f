// HttpWorker: one thread's share of the load in HTTP mode (--http-port), as LoadWorker is one
// connection's in the binary mode. It drives its share of the --connections, each one
// keep-alive HTTP/1.1 connection (http_connection.h), from one thread with epoll: on this
// kind of machine a thread's sleep and wake-up costs more than a request's send and receive,
// so one thread waking for every ready connection at once goes several times further than a
// thread per connection (--http-threads sets how many workers share the connections).
//
// Each request is ONE deposit (POST /api/accounts/{id}/deposits, pre-formatted by
// http_requests.h) on an account picked as LoadWorker picks them (hot and cold). Closed loop:
// `pipeline` requests in flight on each connection (HTTP/1.1 pipelining; tallyd answers in
// order, so answers are matched to requests in order). Open loop (--rate): deposits sent on a
// fixed schedule, the worker's share of the rate, to its connections in turn; latency counts
// from when each was due (no coordinated omission).
//
// It tallies as LoadWorker does, in the same WorkerTally: a 2xx answer is an acknowledged
// deposit (one command, result Ok, money in, its "sequence" for the reserve check); any other
// status is an HTTP error, counted with the first one's status and body kept. An error whose
// body says the engine rejected the command ("the command was rejected: ...", with Tally's
// "code") is also a command with that result code, as the server counts it, so the totals
// check holds; other errors (refused before the engine) are not. A lost connection or an
// answer the parser cannot read ends the worker with `failure` set.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "tools/load/http_connection.h"
#include "tools/load/http_requests.h"
#include "tools/load/load_options.h"
#include "tools/load/load_worker.h"

namespace tally::load {

class HttpWorker {
 public:
  using Clock = std::chrono::steady_clock;

  // Worker `index` of `workers`, driving `connections` of the run's connections. `requests`
  // is shared by every worker (it is read only).
  HttpWorker(const LoadOptions& options, uint32_t index, uint32_t workers, uint32_t connections,
             const std::vector<std::string>& accounts, const HttpRequests& requests,
             LiveCounters& live);
  HttpWorker(const HttpWorker&) = delete;
  HttpWorker& operator=(const HttpWorker&) = delete;
  ~HttpWorker();

  // Runs until `end`, then waits (up to 30 s) for what is still in flight.
  void run(Clock::time_point start, Clock::time_point end);
  const WorkerTally& tally() const { return tally_; }

 private:
  struct InFlight {
    Clock::time_point due;
    int64_t amount;
  };
  // One connection and its requests in flight, oldest first (the order of its answers).
  struct Link {
    explicit Link(const LoadOptions& options) : connection(options.host, options.http_port) {}
    HttpConnection connection;
    std::deque<InFlight> in_flight;
    bool waiting_to_write = false;  // registered for EPOLLOUT
  };

  void connect_all();
  void send_deposit(Link& link, Clock::time_point due);
  // Writes what is pending on `link`; asks epoll to say when it can write if the socket is
  // full.
  void flush(Link& link);
  // Waits up to `timeout` for ready connections and handles them; in the closed loop, tops
  // each answered connection up to `pipeline` in flight again.
  void poll(std::chrono::nanoseconds timeout, bool top_up);
  void take_answers(Link& link);
  void account_for(const HttpResponse& answer, const InFlight& sent, Clock::time_point now);
  size_t in_flight() const;
  const std::string& pick_account();
  int64_t pick_amount();

  const LoadOptions& options_;
  uint32_t index_;
  uint32_t workers_;
  const std::vector<std::string>& accounts_;
  const HttpRequests& requests_;
  LiveCounters& live_;
  std::vector<std::unique_ptr<Link>> links_;
  int epoll_ = -1;
  std::mt19937_64 random_;
  uint32_t hot_accounts_;
  WorkerTally tally_;
};

}  // namespace tally::load
