// Exporter: tally-export's loop. It subscribes to tallyd's durable events from the sequence
// after the one PostgreSQL holds as exported (ExportWriter::resume_sequence), gathers batches
// up to batch_events events or until max_wait after the last write began (taking everything
// that arrived meanwhile), and writes each gathering in one transaction with its position
// (ExportWriter::write): exactly once, whenever either process is killed. A failure
// (tallyd or PostgreSQL unreachable, a write refused) ends the session; the loop waits (1 s,
// doubling to 30 s) and starts a new one from the position PostgreSQL holds.
//
// Progress (exported sequence, the server's durable sequence, lag in events and in time,
// events/s) goes to a callback every progress_interval, and after the last write.
//
// Threads: run() on one thread; stop() from any (a signal handler's flag works too).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "engine/base/status.h"
#include "net/client/client.h"

namespace tally::exporter {

struct ExporterOptions {
  client::ClientOptions server;  // tallyd's binary listener
  std::string postgres;          // libpq connection string
  std::string schema = "tally";  // the PostgreSQL schema the tables are in
  // Events per transaction at most (a request's may pass it). Catching up, each account a batch
  // changes costs one upsert however often it changed: 50,000 export ~12% faster than 10,000.
  uint32_t batch_events = 50'000;
  std::chrono::milliseconds max_wait{200};  // a transaction at least this often while events come
  // Stop once everything the server held as durable when the exporter started is exported
  // (tests, benchmarks, one-off copies); otherwise follow forever.
  bool until_caught_up = false;
  std::chrono::milliseconds progress_interval{5'000};
};

struct ExportProgress {
  uint64_t exported_sequence = 0;  // the position PostgreSQL holds
  uint64_t durable_sequence = 0;   // the server's, as its last batch said
  uint64_t events = 0;             // written by this process
  double events_per_second = 0;    // since the last report
  // Since the last report, the longest an event waited from its timestamp (tallyd's logic
  // thread's clock) to the commit that exported it: the oldest event of each transaction,
  // against this host's clock (a skew between the two hosts shows in it).
  double lag_seconds_max = 0;
  uint64_t restarts = 0;  // sessions that failed and were started again
  std::string last_failure;
};

class Exporter {
 public:
  Exporter(ExporterOptions options, std::function<void(const ExportProgress&)> report);

  // Exports until stop() (or, with until_caught_up, until caught up); true unless it stopped
  // on a failure it was told not to retry (until_caught_up: the first failure).
  bool run();
  void stop() { stop_requested_.store(true, std::memory_order_release); }

 private:
  // One session: connect, migrate, subscribe, write until stopped or a failure (returned).
  Status session();
  bool stopping() const { return stop_requested_.load(std::memory_order_acquire); }
  void maybe_report(bool force);

  ExporterOptions options_;
  std::function<void(const ExportProgress&)> report_;
  std::atomic<bool> stop_requested_{false};
  ExportProgress progress_;
  // until_caught_up: the server's durable sequence when the first session started (0: an
  // empty ledger, caught up at once).
  std::optional<uint64_t> caught_up_target_;
  bool caught_up_ = false;
  std::chrono::steady_clock::time_point last_report_ = std::chrono::steady_clock::now();
  uint64_t events_at_last_report_ = 0;
};

}  // namespace tally::exporter
