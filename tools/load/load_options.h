// LoadOptions: what tally-load is asked to do (see `tally-load --help`).
#pragma once

#include <cstdint>
#include <string>

#include "engine/base/status.h"

namespace tally::load {

struct LoadOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 7070;     // the binary protocol's: the load, or in HTTP mode the checks
  std::string api_key;      // binary protocol: for a server with an auth file
  std::string tls_ca_file;  // binary protocol: TLS, verifying the server with this CA
  // > 0: HTTP mode. The load goes to tallyd's HTTP listener on --host at this port, one
  // keep-alive HTTP/1.1 connection per --connections, ONE deposit per request (--batch 1), the
  // accounts opened over HTTP first (http_worker.h, http_accounts.h); the binary --port is
  // still used for the server's counters and the reserve before and after the run.
  uint16_t http_port = 0;
  // HTTP mode: the threads that drive the connections (each a share of them, with epoll).
  uint32_t http_threads = 1;
  double duration_seconds = 10.0;
  uint32_t connections = 4;
  uint32_t accounts = 10'000;
  int64_t initial_deposit = 1'000'000;
  int64_t min_amount = 1;
  int64_t max_amount = 1'000;
  double hot_account_ratio = 0.1;   // this fraction of the accounts is "hot"...
  double hot_selection_rate = 0.8;  // ...and gets this fraction of the picks
  uint32_t deposit_weight = 40;
  uint32_t withdraw_weight = 30;
  uint32_t transfer_weight = 25;
  uint32_t open_weight = 5;
  // This fraction of the requests (0..1) are queries instead of command batches: half an
  // account's details, half a page of its 50 latest statement entries, on the accounts opened
  // before the run. 1: a read-only run (it still opens its accounts first).
  double read_weight = 0;
  uint32_t batch = 64;    // commands per request
  uint32_t pipeline = 8;  // requests in flight per connection (closed loop)
  // Open loop: commands/s over all connections if every request were a batch; it sets the
  // schedule of requests (rate / batch a second), and with read_weight each scheduled request
  // is a query with that probability. 0: closed loop, as fast as answered.
  double rate = 0;
  std::string currency = "EUR";
  std::string account_prefix;  // empty: a random one, so runs never collide
  uint64_t seed = 0;           // 0: random
  uint32_t echo_baseline = 0;  // > 0: first time this many bare TCP echo round trips
  uint32_t sync_baseline = 0;  // > 0: first time this many appends + fdatasync (sync_baseline.h)
  std::string sync_baseline_directory = ".";  // where: on the server's data file system
  bool json = false;
  bool progress = true;

  // Ok if consistent, else kInvalidArgument saying what is wrong.
  Status validate() const;
};

}  // namespace tally::load
