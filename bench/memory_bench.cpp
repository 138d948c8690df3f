// BusinessLogicMemoryPerAccount: what one million accounts cost, as the ledger counts it
// (capacities of its tables) and as the operating system sees it (resident set growth).
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "bench/workload.h"
#include "engine/ledger/ledger.h"

namespace tally::bench {
namespace {

// Resident bytes of this process from /proc/self/statm, after handing freed heap memory back to
// the system so that pages left over from earlier benchmarks do not hide new allocations.
std::optional<double> resident_bytes() {
  malloc_trim(0);
  std::FILE* file = std::fopen("/proc/self/statm", "r");
  if (file == nullptr) {
    return std::nullopt;
  }
  unsigned long size_pages = 0;
  unsigned long resident_pages = 0;
  const int fields = std::fscanf(file, "%lu %lu", &size_pages, &resident_pages);
  std::fclose(file);
  const long page_bytes = sysconf(_SC_PAGESIZE);
  if (fields != 2 || page_bytes <= 0) {
    return std::nullopt;
  }
  return static_cast<double>(resident_pages) * static_cast<double>(page_bytes);
}

// `reserve_capacity`: the account tables are sized for every account at start-up (as
// benchmark_ledger_limits does), or grow from the default capacity as accounts are opened.
void business_logic_memory_per_account(benchmark::State& state, bool reserve_capacity) {
  const Workload& workload = standard_workload();
  const auto accounts = static_cast<double>(workload.account_ids().size());
  LedgerLimits limits;
  if (reserve_capacity) {
    limits.initial_account_capacity = static_cast<uint32_t>(workload.account_ids().size());
  }
  for (auto _ : state) {
    state.PauseTiming();
    const std::optional<double> before_ledger = resident_bytes();
    auto ledger = std::make_unique<Ledger>(limits);
    const std::optional<double> before_accounts = resident_bytes();
    state.ResumeTiming();
    open_accounts(*ledger, workload);
    state.PauseTiming();
    const std::optional<double> after_accounts = resident_bytes();
    state.counters["bytes_per_account"] =
        static_cast<double>(ledger->account_memory_bytes()) / accounts;
    state.counters["account_memory_bytes"] = static_cast<double>(ledger->account_memory_bytes());
    state.counters["ledger_memory_bytes"] = static_cast<double>(ledger->memory_bytes());
    if (before_ledger && before_accounts && after_accounts) {
      // The whole ledger (comparable with ledger_memory_bytes), and the accounts alone: the
      // growth while opening them (comparable with bytes_per_account).
      state.counters["rss_ledger_bytes"] = *after_accounts - *before_ledger;
      state.counters["rss_bytes_per_account"] = (*after_accounts - *before_accounts) / accounts;
    } else {
      state.SetLabel("resident set size unavailable");
    }
    ledger.reset();  // outside the timed region: freeing is not opening
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(accounts));
}

void register_memory_benchmarks() {
  for (const bool reserve_capacity : {true, false}) {
    const std::string name = std::string("BusinessLogicMemoryPerAccount/capacity:") +
                             (reserve_capacity ? "reserved" : "grown");
    benchmark::RegisterBenchmark(name.c_str(), business_logic_memory_per_account, reserve_capacity)
        ->Iterations(1)
        ->Unit(benchmark::kMillisecond);
  }
}

const bool registered = (register_memory_benchmarks(), true);

}  // namespace
}  // namespace tally::bench
