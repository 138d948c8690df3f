// The benchmarks' shared workload: one million accounts and a few million pre-generated
// commands (deposits, withdrawals, transfers) with most of the traffic on a hot set of
// accounts. Every benchmark (Ledger alone, pipeline, mutex baseline) runs these same commands,
// so their figures compare like with like.
//
// Commands are views: their account ids point into the workload's own strings, which never
// move, so a Workload must outlive every command taken from it.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "engine/ledger/ledger.h"
#include "engine/wire/command.h"
#include "engine/wire/outcome.h"

namespace tally::bench {

struct WorkloadConfig {
  uint32_t account_count = 1'000'000;
  // A power of two, so that batches of any power-of-two size tile it without straddling the end.
  uint32_t command_count = 1 << 21;
  uint32_t hot_account_stride = 10;  // every 10th account is hot: 10% of the accounts
  double hot_traffic_fraction = 0.8;
  uint32_t deposit_weight = 40;
  uint32_t withdraw_weight = 30;
  uint32_t transfer_weight = 30;
  // Balances start far above the largest amount, so that almost every command succeeds.
  int64_t initial_deposit = 1'000'000;
  int64_t max_amount = 10'000;
  uint64_t seed = 20240601;
};

class Workload {
 public:
  explicit Workload(const WorkloadConfig& config);
  Workload(const Workload&) = delete;
  Workload& operator=(const Workload&) = delete;

  const WorkloadConfig& config() const { return config_; }
  const std::vector<std::string>& account_ids() const { return account_ids_; }
  // One OpenAccount (with the initial deposit) per account, in account order.
  std::span<const Command> open_commands() const { return open_commands_; }
  // The mixed traffic, meant to be replayed cyclically.
  std::span<const Command> traffic() const { return traffic_; }

  // The `batch_size` traffic commands of batch number `batch_number`, wrapping around the end.
  std::span<const Command> traffic_batch(uint64_t batch_number, uint32_t batch_size) const;

 private:
  WorkloadConfig config_;
  std::vector<std::string> account_ids_;
  std::vector<Command> open_commands_;
  std::vector<Command> traffic_;
  std::vector<char> traffic_id_bytes_;  // reserved up front: views into it never move
};

// The standard workload (default config), generated on first use and shared by every benchmark.
const Workload& standard_workload();

// A small workload whose accounts all fit in the caches: the same mix over 10,000 accounts, to
// separate the cost of the rules from the cost of reaching a million accounts in memory.
const Workload& cache_resident_workload();

// Ledger limits for the benchmarks: room for every account of `workload` reserved up front, as
// a production start-up would, and the given retry window (0 disables retry detection).
LedgerLimits benchmark_ledger_limits(const Workload& workload, uint32_t idempotency_window);

// Request ids: `high` separates account opening from traffic, `low` counts batches, so that
// no two batches share an id and none is mistaken for a retry.
inline constexpr uint64_t kOpeningRequestIdHigh = 1;
inline constexpr uint64_t kTrafficRequestIdHigh = 2;

// A benchmark's precondition: if it does not hold, says what went wrong and aborts (a figure
// from a broken run is worse than none).
void check(bool condition, const char* what);

// Opens every account of `workload` in `ledger` (batches of 1024); not meant to be timed.
void open_accounts(Ledger& ledger, const Workload& workload);

// The number of entries in `events` that record a rejection.
uint64_t count_rejections(std::span<const Outcome> events);

}  // namespace tally::bench
