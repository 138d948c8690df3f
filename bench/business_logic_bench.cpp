// BusinessLogic benchmarks: the Ledger alone, on the calling thread, with no ring, no ingress
// and no wire decoding: the ceiling of what the business-logic thread can do.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "bench/workload.h"
#include "engine/ledger/ledger.h"
#include "engine/ledger/outcome_slots.h"
#include "engine/wire/fingerprint.h"

namespace tally::bench {
namespace {

// One pass over the standard traffic: long enough for a stable figure (a second or more), short
// enough to keep the default run well under two minutes.
constexpr uint64_t kCommandsPerRun = 1 << 21;
constexpr uint32_t kDefaultIdempotencyWindow = LedgerLimits{}.idempotency_window;

// A function that returns a workload; called only when a benchmark runs, so that workloads are
// generated only for the benchmarks selected.
using WorkloadSource = const Workload& (*)();

// Where the request fingerprint (for retry detection) is computed: by the ledger on the logic
// thread, or beforehand, as the pipeline's ingress does on the producers' threads.
enum class Fingerprints { kLedger, kSubmitter };

// The traffic's batch `batch_number`, with a request id no other batch has (counting from 1, so
// none is a retry).
CommandBatch traffic_batch(const Workload& workload, uint64_t batch_number, uint32_t batch_size,
                           const std::vector<uint64_t>& fingerprints) {
  CommandBatch batch{.request_id = {.low = batch_number + 1, .high = kTrafficRequestIdHigh},
                     .origin = 0,
                     .atomic = false,
                     .commands = workload.traffic_batch(batch_number, batch_size)};
  if (!fingerprints.empty()) {
    batch.fingerprint = fingerprints[batch_number % fingerprints.size()];
  }
  return batch;
}

void business_logic_mixed(benchmark::State& state, WorkloadSource workload_source,
                          uint32_t batch_size, uint32_t idempotency_window,
                          Fingerprints fingerprints_by) {
  const Workload& workload = workload_source();
  Ledger ledger(benchmark_ledger_limits(workload, idempotency_window));
  open_accounts(ledger, workload);
  std::vector<Outcome> events(batch_size);
  const OutcomeSlots slots{
      .slots = events.data(), .mask = ~uint64_t{0}, .first = 0, .count = batch_size};
  const uint64_t batches_per_run = kCommandsPerRun / batch_size;
  std::vector<uint64_t> fingerprints;
  if (fingerprints_by == Fingerprints::kSubmitter) {
    for (uint64_t batch_number = 0; batch_number < batches_per_run; ++batch_number) {
      fingerprints.push_back(
          request_fingerprint(traffic_batch(workload, batch_number, batch_size, {})));
    }
  }
  uint64_t batch_number = 0;
  uint64_t rejections = 0;
  // Warm-up, untimed: one pass fills the retry window and touches every page the ledger
  // reserved, so the timed pass measures the steady state (evictions included), not first-touch
  // page faults.
  for (uint64_t index = 0; index < batches_per_run; ++index, ++batch_number) {
    ledger.apply(traffic_batch(workload, batch_number, batch_size, fingerprints),
                 static_cast<int64_t>(batch_number), slots);
  }
  const uint64_t warm_up_batches = batch_number;
  for (auto _ : state) {
    for (uint64_t index = 0; index < batches_per_run; ++index, ++batch_number) {
      ledger.apply(traffic_batch(workload, batch_number, batch_size, fingerprints),
                   static_cast<int64_t>(batch_number), slots);
      rejections += count_rejections(events);
    }
  }
  const uint64_t commands = (batch_number - warm_up_batches) * batch_size;
  state.SetItemsProcessed(static_cast<int64_t>(commands));
  state.counters["rejected_percent"] =
      100.0 * static_cast<double>(rejections) / static_cast<double>(commands);
}

void register_business_logic(const std::string& family, WorkloadSource workload_source,
                             uint32_t batch_size, uint32_t window,
                             Fingerprints fingerprints_by = Fingerprints::kLedger) {
  std::string name =
      family + "/batch:" + std::to_string(batch_size) + "/retry_window:" + std::to_string(window);
  if (fingerprints_by == Fingerprints::kSubmitter) {
    name += "/fingerprint:submitter";
  }
  benchmark::RegisterBenchmark(name.c_str(), business_logic_mixed, workload_source, batch_size,
                               window, fingerprints_by)
      ->Iterations(1)
      ->Unit(benchmark::kMillisecond);
}

void register_business_logic_benchmarks() {
  for (const uint32_t window : {kDefaultIdempotencyWindow, 0u}) {
    for (const uint32_t batch_size : {1u, 64u, 1024u}) {
      register_business_logic("BusinessLogicMixed", standard_workload, batch_size, window);
    }
  }
  for (const uint32_t batch_size : {64u, 1024u}) {
    register_business_logic("BusinessLogicMixed", standard_workload, batch_size,
                            kDefaultIdempotencyWindow, Fingerprints::kSubmitter);
  }
  for (const uint32_t window : {kDefaultIdempotencyWindow, 0u}) {
    register_business_logic("BusinessLogicCacheResident", cache_resident_workload, 64, window);
  }
}

const bool registered = (register_business_logic_benchmarks(), true);

}  // namespace
}  // namespace tally::bench
