// MutexBaseline benchmarks: the conventional design the pipeline is measured against. The
// benchmark thread pushes command batches onto a mutex-guarded deque; one worker thread pops
// them and applies the same rules (simplified) to a std::unordered_map of accounts, doing the
// consumers' cheap work inline. Same workload, batch sizes and timing as PipelineMixed.
//
// Deliberately not a straw man: batches carry the commands as views (no string copies, where
// the pipeline copies whole frames), lookups are heterogeneous (no temporary std::string), the
// queue is bounded like the ingress, and the worker takes a whole batch per lock.
#include <benchmark/benchmark.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "bench/workload.h"

namespace tally::bench {
namespace {

constexpr size_t kBatchesInFlightMax = 4096;  // as IngressConfig's default

uint64_t commands_per_run(uint32_t batch_size) {
  return batch_size == 1 ? 1 << 20 : 1 << 22;
}

struct BaselineAccount {
  int64_t balance = 0;
  uint64_t version = 0;
};

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
};

using AccountMap = std::unordered_map<std::string, BaselineAccount, StringHash, std::equal_to<>>;

// The accounts and the rules, owned by the worker thread once it runs.
class BaselineLedger {
 public:
  explicit BaselineLedger(const Workload& workload) {
    accounts_.reserve(workload.account_ids().size());
    for (const std::string& account_id : workload.account_ids()) {
      accounts_.emplace(account_id, BaselineAccount{workload.config().initial_deposit, 1});
    }
  }

  void apply(const Command& command) {
    const bool applied = apply_rules(command);
    rejections_ += applied ? 0 : 1;
    amount_total_ += applied ? command.amount : 0;
  }

  uint64_t rejections() const { return rejections_; }

 private:
  bool apply_rules(const Command& command) {
    if (command.amount <= 0) {
      return false;
    }
    const auto account = accounts_.find(command.account_id);
    if (account == accounts_.end()) {
      return false;
    }
    switch (command.type) {
      case CommandType::Deposit:
        return move(account->second, command.amount);
      case CommandType::Withdraw:
        return account->second.balance >= command.amount && move(account->second, -command.amount);
      case CommandType::Transfer:
        return transfer(account->second, command);
      default:
        return false;
    }
  }

  bool transfer(BaselineAccount& source, const Command& command) {
    const auto destination = accounts_.find(command.counterparty_id);
    if (destination == accounts_.end() || &destination->second == &source ||
        source.balance < command.amount) {
      return false;
    }
    return move(source, -command.amount) && move(destination->second, command.amount);
  }

  static bool move(BaselineAccount& account, int64_t amount) {
    account.balance += amount;
    ++account.version;
    return true;
  }

  AccountMap accounts_;
  uint64_t rejections_ = 0;
  int64_t amount_total_ = 0;
};

// A bounded queue of batches and the one worker thread that drains it.
class MutexWorker {
 public:
  explicit MutexWorker(BaselineLedger& ledger) : ledger_(ledger), thread_([this] { run(); }) {}
  ~MutexWorker() { stop(); }

  // Blocks while the queue is full (back-pressure, as the ingress pool gives).
  void submit(std::vector<Command> batch) {
    std::unique_lock<std::mutex> lock(mutex_);
    not_full_.wait(lock, [&] { return queue_.size() < kBatchesInFlightMax; });
    queue_.push_back(std::move(batch));
    lock.unlock();
    not_empty_.notify_one();
  }

  uint64_t commands_done() const { return commands_done_.load(std::memory_order_acquire); }

  void stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    not_empty_.notify_one();
    if (thread_.joinable()) {
      thread_.join();
    }
  }

 private:
  void run() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (true) {
      not_empty_.wait(lock, [&] { return !queue_.empty() || stopping_; });
      if (queue_.empty()) {
        return;
      }
      const std::vector<Command> batch = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      not_full_.notify_one();
      for (const Command& command : batch) {
        ledger_.apply(command);
      }
      commands_done_.fetch_add(batch.size(), std::memory_order_release);
      lock.lock();
    }
  }

  BaselineLedger& ledger_;
  std::mutex mutex_;
  std::condition_variable not_empty_;
  std::condition_variable not_full_;
  std::deque<std::vector<Command>> queue_;
  bool stopping_ = false;
  std::atomic<uint64_t> commands_done_{0};
  std::thread thread_;
};

void mutex_baseline(benchmark::State& state, uint32_t batch_size) {
  const Workload& workload = standard_workload();
  BaselineLedger ledger(workload);
  MutexWorker worker(ledger);
  const uint64_t batches_per_run = commands_per_run(batch_size) / batch_size;
  uint64_t batch_number = 0;
  for (auto _ : state) {
    for (uint64_t index = 0; index < batches_per_run; ++index, ++batch_number) {
      const std::span<const Command> commands = workload.traffic_batch(batch_number, batch_size);
      worker.submit(std::vector<Command>(commands.begin(), commands.end()));
    }
    while (worker.commands_done() < batch_number * batch_size) {
      std::this_thread::yield();
    }
  }
  worker.stop();
  const uint64_t commands = batch_number * batch_size;
  state.SetItemsProcessed(static_cast<int64_t>(commands));
  state.counters["rejected_percent"] =
      100.0 * static_cast<double>(ledger.rejections()) / static_cast<double>(commands);
}

void register_mutex_baseline_benchmarks() {
  for (const uint32_t batch_size : {1u, 64u, 1024u}) {
    const std::string name = "MutexBaseline/batch:" + std::to_string(batch_size);
    benchmark::RegisterBenchmark(name.c_str(), mutex_baseline, batch_size)
        ->Iterations(1)
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  }
}

const bool registered = (register_mutex_baseline_benchmarks(), true);

}  // namespace
}  // namespace tally::bench
