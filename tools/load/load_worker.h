// LoadWorker: one connection's share of the load, on its own thread. It keeps `pipeline`
// requests in flight (closed loop), or sends on a fixed schedule (open loop, --rate) and
// measures each answer from the moment its request was due, not from when it could be sent,
// so a stalled server shows as latency instead of hiding it (coordinated omission).
//
// With --read-weight, that fraction of its requests are queries (an account's details or a
// 50-entry history page, half each) on the accounts opened before the run, asked with
// min_sequence = the last of those openings so the read model has them; they take a place
// in flight (closed loop) or a slot of the schedule (open loop) like a batch.
//
// It tallies what the acknowledged results imply (commands, result codes, money in and out,
// the highest sequence), for the end-of-run checks against the server's own counters and its
// reserve; queries are tallied apart (count, latency, errors by code).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/base/identifiers.h"
#include "net/client/client.h"
#include "net/client/query.h"
#include "net/server/server_counters.h"
#include "tools/load/latency_histogram.h"
#include "tools/load/load_options.h"

namespace tally::load {

// Updated by workers as answers arrive; read once a second for the progress line.
struct LiveCounters {
  std::atomic<uint64_t> commands{0};
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> refused{0};
  std::atomic<uint64_t> queries{0};
};

struct QueryTally {
  LatencyHistogram latency;  // query round trips, nanoseconds
  uint64_t answered = 0;     // every answer, errors included
  uint64_t account_queries = 0;
  uint64_t history_queries = 0;
  std::array<uint64_t, net::kResultCodeSlots> errors_by_code{};  // answered with an Error
  uint64_t errors = 0;
  // Answered with a result of the wrong type, for another account, or a page over its limit.
  uint64_t unexpected_answers = 0;

  void merge(const QueryTally& other);
};

struct WorkerTally {
  LatencyHistogram latency;  // command requests' round trips, nanoseconds
  uint64_t requests = 0;     // command batches answered
  uint64_t commands = 0;
  std::array<uint64_t, net::kResultCodeSlots> results_by_code{};
  uint64_t refused_requests = 0;  // answered with an Error (nothing applied)
  uint64_t money_in = 0;          // acknowledged deposits and initial deposits
  uint64_t money_out = 0;         // acknowledged withdrawals
  uint64_t last_sequence = 0;     // the highest sequence of an acknowledged command
  uint64_t reconnects = 0;
  uint64_t late_sends = 0;  // open loop: sends that went out after they were due
  // HTTP mode (http_worker.h): answers with a status other than 2xx, and the first one's status
  // and body.
  uint64_t http_errors = 0;
  std::string first_http_error;
  std::string failure;  // the connection could not be kept; the run is invalid
  QueryTally queries;

  void merge(const WorkerTally& other);
};

class LoadWorker {
 public:
  using Clock = std::chrono::steady_clock;

  // `accounts_sequence`: the sequence of the last opening of `accounts`; queries wait for it.
  LoadWorker(const LoadOptions& options, uint32_t index, const std::vector<std::string>& accounts,
             uint64_t accounts_sequence, LiveCounters& live);

  // Runs until `end`, then waits (up to 30 s) for what is still in flight.
  void run(Clock::time_point start, Clock::time_point end);
  const WorkerTally& tally() const { return tally_; }

 private:
  enum class Kind : uint8_t { kDeposit, kWithdraw, kTransfer, kOpen };
  struct SentCommand {
    Kind kind;
    int64_t amount;
  };
  enum class Request : uint8_t { kBatch, kAccountQuery, kHistoryQuery };
  struct InFlight {
    Clock::time_point due;
    Request request = Request::kBatch;
    std::vector<SentCommand> commands;     // kBatch
    const std::string* account = nullptr;  // queries: the account asked about
  };

  void send_one(Clock::time_point due);
  void send_batch(Clock::time_point due);
  void send_query(Clock::time_point due);
  void receive_one(std::chrono::microseconds timeout);
  void account_for(const client::Reply& reply);
  void account_for_batch(const client::Reply& reply, const InFlight& sent);
  void account_for_query(const client::Reply& reply, const InFlight& sent);
  const std::string& pick_account();
  Kind pick_kind();
  int64_t pick_amount();

  const LoadOptions& options_;
  uint32_t index_;
  const std::vector<std::string>& accounts_;
  uint64_t accounts_sequence_;
  LiveCounters& live_;
  client::Client client_;
  std::mt19937_64 random_;
  uint32_t hot_accounts_;
  uint32_t weight_total_;
  uint64_t opened_ = 0;
  client::BatchBuilder batch_;
  std::string opened_id_;
  std::unordered_map<Id128, InFlight, Id128Hash> in_flight_;
  WorkerTally tally_;
};

}  // namespace tally::load
