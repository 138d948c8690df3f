// Journal benchmarks (issue 3's, first figures): appending events to real segment files on
// the local disk, with and without group sync, beside a raw sequential write of the same bytes
// into the same kind of file; and replaying the journal.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "bench/workload.h"
#include "engine/journal/journal_reader.h"
#include "engine/journal/journal_writer.h"
#include "engine/journal/posix_storage.h"
#include "engine/journal/record_codec.h"
#include "engine/journal/snapshot.h"

namespace tally::bench {
namespace {

constexpr uint64_t kSegmentBytes = 64ULL << 20;
constexpr uint32_t kJournalBatch = 64;  // events per group commit

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it when done.
class ScratchDirectory {
 public:
  ScratchDirectory() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/tally-bench-XXXXXX";
    path_ = ::mkdtemp(pattern.data()) != nullptr ? pattern : std::string();
  }
  ~ScratchDirectory() {
    journal::PosixStorage storage;
    std::vector<std::string> names;
    if (!path_.empty() && storage.list_directory(path_, names).is_ok()) {
      for (const std::string& name : names) {
        storage.remove(path_ + "/" + name);
      }
      ::rmdir(path_.c_str());
    }
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The value at `quantile` of `sorted` (ascending, not empty): one rule for every latency here.
double percentile(const std::vector<double>& sorted, double quantile) {
  return sorted[static_cast<size_t>(quantile * static_cast<double>(sorted.size() - 1))];
}

// The events of the standard workload's traffic, as the ledger records them (1M deposits,
// withdrawals and transfers on a million accounts).
const std::vector<Outcome>& traffic_events() {
  static const std::vector<Outcome> events = [] {
    const Workload& workload = standard_workload();
    Ledger ledger(benchmark_ledger_limits(workload, 0));
    open_accounts(ledger, workload);
    std::vector<Outcome> recorded(1 << 20);
    for (size_t first = 0; first < recorded.size(); first += kJournalBatch) {
      const CommandBatch batch{
          .request_id = {.low = first + 1, .high = kTrafficRequestIdHigh},
          .origin = 0,
          .atomic = false,
          .commands = workload.traffic_batch(first / kJournalBatch, kJournalBatch)};
      ledger.apply(batch, 1, {.slots = recorded.data() + first, .count = kJournalBatch});
    }
    // A journal of its own: sequences from 1.
    for (size_t index = 0; index < recorded.size(); ++index) {
      recorded[index].sequence = index + 1;
    }
    return recorded;
  }();
  return events;
}

void journal_append(benchmark::State& state, bool group_sync) {
  const std::vector<Outcome>& events = traffic_events();
  ScratchDirectory directory;
  journal::PosixStorage storage;
  journal::JournalWriter writer(storage, {.directory = directory.path(),
                                          .segment_bytes = kSegmentBytes,
                                          .prepare_in_background = true});
  if (directory.path().empty() || !writer.open({}, 0).is_ok()) {
    state.SkipWithError("cannot create the journal directory");
    return;
  }
  uint64_t bytes = 0;
  for (auto _ : state) {
    for (size_t index = 0; index < events.size(); ++index) {
      if (!writer.append(events[index]).is_ok() ||
          (group_sync && index % kJournalBatch == kJournalBatch - 1 && !writer.sync().is_ok())) {
        state.SkipWithError("journal write failed");
        return;
      }
    }
    if (!writer.sync().is_ok()) {
      state.SkipWithError("journal sync failed");
      return;
    }
  }
  uint8_t record[journal::kRecordBytesMax];
  for (const Outcome& event : events) {
    bytes += journal::write_record(event, record);
  }
  state.SetItemsProcessed(static_cast<int64_t>(events.size()));
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.counters["bytes_per_event"] =
      static_cast<double>(bytes) / static_cast<double>(events.size());
}

// The same record bytes copied into preallocated, mapped segment files and synced at the same
// cadence: what the disk and the mapping allow, without encoding or checksums.
void raw_sequential_write(benchmark::State& state, bool group_sync) {
  const std::vector<Outcome>& events = traffic_events();
  std::vector<uint8_t> bytes;
  std::vector<size_t> ends;
  uint8_t record[journal::kRecordBytesMax];
  for (const Outcome& event : events) {
    const size_t size = journal::write_record(event, record);
    bytes.insert(bytes.end(), record, record + size);
    ends.push_back(bytes.size());
  }
  ScratchDirectory directory;
  journal::PosixStorage storage;
  for (auto _ : state) {
    size_t written = 0;
    for (uint64_t segment = 0; written < bytes.size(); ++segment) {
      const std::string path = directory.path() + "/" + std::to_string(segment);
      journal::MappedFile file;
      if (!storage.create_file(path, kSegmentBytes).is_ok() ||
          !storage.map_file(path, file).is_ok()) {
        state.SkipWithError("cannot create a segment");
        return;
      }
      const size_t chunk = std::min<size_t>(bytes.size() - written, kSegmentBytes);
      for (size_t done = 0; done < chunk;) {
        const size_t step = std::min<size_t>(chunk - done, group_sync ? 64 * 80 : chunk);
        std::memcpy(file.bytes.data() + done, bytes.data() + written + done, step);
        if (group_sync && !storage.sync(file, done, step).is_ok()) {
          state.SkipWithError("sync failed");
          return;
        }
        done += step;
      }
      storage.sync(file, 0, chunk);
      storage.unmap_file(file);
      written += chunk;
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(events.size()));
  state.SetBytesProcessed(static_cast<int64_t>(bytes.size()));
}

// The storage's floor for a group commit: the latency of one sync of one group (64 deposit
// records, 5 KiB) through the journal's mapping, 2,000 times, with a short pause between (as at
// a moderate request rate). Percentiles in microseconds.
void storage_sync_latency(benchmark::State& state) {
  constexpr int kSyncs = 2000;
  constexpr size_t kGroupBytes = 64 * 80;
  ScratchDirectory directory;
  journal::PosixStorage storage;
  std::vector<double> latencies;
  for (auto _ : state) {
    const std::string path = directory.path() + "/sync-latency";
    journal::MappedFile file;
    if (!storage.create_file(path, kSegmentBytes).is_ok() ||
        !storage.map_file(path, file).is_ok()) {
      state.SkipWithError("cannot create a segment");
      return;
    }
    for (int sync = 0; sync < kSyncs; ++sync) {
      const size_t offset = static_cast<size_t>(sync) * kGroupBytes;
      std::memset(file.bytes.data() + offset, 0x5A, kGroupBytes);
      const auto started = std::chrono::steady_clock::now();
      if (!storage.sync(file, offset, kGroupBytes).is_ok()) {
        state.SkipWithError("sync failed");
        return;
      }
      latencies.push_back(
          std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - started)
              .count());
      ::usleep(500);
    }
    storage.unmap_file(file);
    storage.remove(path);
  }
  std::sort(latencies.begin(), latencies.end());
  state.counters["p50_us"] = percentile(latencies, 0.5);
  state.counters["p90_us"] = percentile(latencies, 0.9);
  state.counters["p99_us"] = percentile(latencies, 0.99);
  state.counters["max_us"] = latencies.back();
}

// The journal's own durable append, timed one group at a time: `events` deposits appended and
// synced, 2,000 times, by the writer as tallyd runs it. Percentiles in microseconds, to read
// against DiskFloor's in the same run.
void journal_durable_append(benchmark::State& state) {
  const auto group = static_cast<size_t>(state.range(0));
  const std::vector<Outcome>& events = traffic_events();
  ScratchDirectory directory;
  journal::PosixStorage storage;
  journal::JournalWriter writer(storage, {.directory = directory.path(),
                                          .segment_bytes = kSegmentBytes,
                                          .prepare_in_background = true});
  if (directory.path().empty() || !writer.open({}, 0).is_ok()) {
    state.SkipWithError("cannot create the journal directory");
    return;
  }
  std::vector<double> latencies;
  size_t next = 0;
  for (auto _ : state) {
    const auto started = std::chrono::steady_clock::now();
    for (size_t index = 0; index < group; ++index, ++next) {
      if (!writer.append(events[next % events.size()]).is_ok()) {
        state.SkipWithError("append failed");
        return;
      }
    }
    if (!writer.sync().is_ok()) {
      state.SkipWithError("sync failed");
      return;
    }
    latencies.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - started)
            .count());
  }
  std::sort(latencies.begin(), latencies.end());
  state.counters["p50_us"] = percentile(latencies, 0.50);
  state.counters["p99_us"] = percentile(latencies, 0.99);
  state.counters["p999_us"] = percentile(latencies, 0.999);
  state.counters["max_us"] = latencies.back();
}

void journal_replay(benchmark::State& state) {
  const std::vector<Outcome>& events = traffic_events();
  ScratchDirectory directory;
  journal::PosixStorage storage;
  {
    journal::JournalWriter writer(storage,
                                  {.directory = directory.path(), .segment_bytes = kSegmentBytes});
    bool written = writer.open({}, 0).is_ok();
    for (size_t index = 0; written && index < events.size(); ++index) {
      written = writer.append(events[index]).is_ok();
    }
    if (!written || !writer.sync().is_ok()) {
      state.SkipWithError("cannot write the journal to replay");
      return;
    }
  }
  int64_t balance_sum = 0;
  for (auto _ : state) {
    const journal::ScanResult result =
        journal::scan_journal(storage, directory.path(), {}, [&](const Outcome& event) {
          balance_sum += event.balance;
          return Status::ok();
        });
    if (!result.status.is_ok() || result.last_sequence != events.size()) {
      state.SkipWithError("replay failed");
      return;
    }
  }
  benchmark::DoNotOptimize(balance_sum);
  state.SetItemsProcessed(static_cast<int64_t>(events.size()) * state.iterations());
}

void register_journal_benchmarks() {
  for (const bool group_sync : {false, true}) {
    const std::string sync = group_sync ? "/sync:group64" : "/sync:none";
    benchmark::RegisterBenchmark(("JournalAppend" + sync).c_str(), journal_append, group_sync)
        ->Iterations(1)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
    benchmark::RegisterBenchmark(("JournalRawSequentialWrite" + sync).c_str(), raw_sequential_write,
                                 group_sync)
        ->Iterations(1)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  }
  benchmark::RegisterBenchmark("StorageSyncLatency", storage_sync_latency)
      ->Iterations(1)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
  benchmark::RegisterBenchmark("JournalDurableAppend", journal_durable_append)
      ->ArgName("events")
      ->Arg(1)
      ->Arg(16)
      ->Arg(64)
      ->Arg(256)
      ->Iterations(2000)
      ->Unit(benchmark::kMicrosecond)
      ->UseRealTime();
  benchmark::RegisterBenchmark("JournalReplay", journal_replay)
      ->Iterations(3)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
}

const bool registered = (register_journal_benchmarks(), true);

}  // namespace
}  // namespace tally::bench

namespace tally::bench {
namespace {

// A ledger of `accounts` accounts ("acc-00000000"...), opened in batches; not timed.
std::unique_ptr<Ledger> ledger_with_accounts(uint32_t accounts) {
  LedgerLimits limits;
  limits.initial_account_capacity = accounts;
  auto ledger = std::make_unique<Ledger>(limits);
  std::vector<std::string> ids(1024);
  std::vector<Command> opens(1024);
  std::vector<Outcome> events(1024);
  for (uint32_t first = 0; first < accounts; first += 1024) {
    const uint32_t count = std::min<uint32_t>(1024, accounts - first);
    for (uint32_t index = 0; index < count; ++index) {
      char id[16];
      std::snprintf(id, sizeof(id), "acc-%08u", first + index);
      ids[index] = id;
      opens[index] = Command{.type = CommandType::OpenAccount,
                             .account_id = ids[index],
                             .counterparty_id = {},
                             .owner = "Benchmark Owner",
                             .currency = "EUR",
                             .reason = {},
                             .account_type = AccountType::Checking,
                             .amount = 1000,
                             .overdraft_limit = 0,
                             .transaction_id = {},
                             .transaction_text = {},
                             .expected_version = std::nullopt,
                             .expected_counterparty_version = std::nullopt};
    }
    ledger->apply({.request_id = {.low = first + 1, .high = 77},
                   .origin = 0,
                   .atomic = false,
                   .commands = std::span<const Command>(opens).first(count)},
                  0, {.slots = events.data(), .count = count});
  }
  return ledger;
}

void snapshot_write_and_load(benchmark::State& state, uint32_t accounts) {
  const std::unique_ptr<Ledger> ledger = ledger_with_accounts(accounts);
  ScratchDirectory directory;
  journal::PosixStorage storage;
  double write_seconds = 0;
  double load_seconds = 0;
  uint64_t bytes = 0;
  for (auto _ : state) {
    const auto started = std::chrono::steady_clock::now();
    if (!journal::write_snapshot(storage, directory.path(), *ledger, 1).is_ok()) {
      state.SkipWithError("snapshot write failed");
      return;
    }
    const auto written = std::chrono::steady_clock::now();
    const journal::SnapshotLoad load =
        journal::load_newest_snapshot(storage, directory.path(), ledger->limits());
    const auto loaded = std::chrono::steady_clock::now();
    if (!load.status.is_ok() || load.ledger->accounts().size() != accounts) {
      state.SkipWithError("snapshot load failed");
      return;
    }
    write_seconds += std::chrono::duration<double>(written - started).count();
    load_seconds += std::chrono::duration<double>(loaded - written).count();
    bytes = journal::encode_snapshot(*ledger).size();
  }
  state.counters["write_seconds"] = write_seconds / static_cast<double>(state.iterations());
  state.counters["load_seconds"] = load_seconds / static_cast<double>(state.iterations());
  state.counters["snapshot_bytes"] = static_cast<double>(bytes);
}

void register_snapshot_benchmarks() {
  for (const uint32_t accounts : {1'000'000u, 10'000'000u}) {
    benchmark::RegisterBenchmark(
        ("SnapshotWriteAndLoad/accounts:" + std::to_string(accounts)).c_str(),
        snapshot_write_and_load, accounts)
        ->Iterations(1)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  }
}

const bool snapshots_registered = (register_snapshot_benchmarks(), true);

}  // namespace
}  // namespace tally::bench
