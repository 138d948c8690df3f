// Generation of the shared benchmark workload (see workload.h).
#include "bench/workload.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "engine/ledger/outcome_slots.h"

namespace tally::bench {
namespace {

constexpr uint32_t kOpeningBatchSize = 1024;
constexpr std::string_view kOwner = "Benchmark Owner";
constexpr std::string_view kCurrency = "EUR";

// SplitMix64: small, fast and the same on every platform, so the workload is reproducible.
class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}

  uint64_t next() {
    uint64_t value = (state_ += 0x9e3779b97f4a7c15ULL);
    value = (value ^ (value >> 30)) * 0xbf58476d1ce4e5b9ULL;
    value = (value ^ (value >> 27)) * 0x94d049bb133111ebULL;
    return value ^ (value >> 31);
  }

  // Uniform in [0, bound); the modulo bias is negligible for bounds this far below 2^64.
  uint64_t below(uint64_t bound) { return next() % bound; }

  // Uniform in [0, 1).
  double chance() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

 private:
  uint64_t state_;
};

std::string account_id_of(uint32_t index) {
  char text[32];
  const int length = std::snprintf(text, sizeof(text), "acc-%07u", index);
  return std::string(text, static_cast<size_t>(length));
}

// Picks accounts: hot ones (every stride-th) with the hot traffic fraction, cold ones otherwise.
// Hot accounts are spread over the whole directory rather than packed at its start, so that the
// hot set does not get an unrealistically compact cache footprint.
class AccountPicker {
 public:
  explicit AccountPicker(const WorkloadConfig& config)
      : stride_(config.hot_account_stride),
        hot_count_(config.account_count / config.hot_account_stride),
        cold_count_(config.account_count - hot_count_),
        hot_traffic_fraction_(config.hot_traffic_fraction) {
    check(config.hot_account_stride >= 2, "hot_account_stride must be at least 2");
    check(config.account_count % config.hot_account_stride == 0,
          "account_count must be a multiple of hot_account_stride");
  }

  uint32_t pick(Random& random) const {
    if (random.chance() < hot_traffic_fraction_) {
      return static_cast<uint32_t>(random.below(hot_count_)) * stride_;
    }
    const auto rank = static_cast<uint32_t>(random.below(cold_count_));
    const uint32_t cold_per_stride = stride_ - 1;
    return (rank / cold_per_stride) * stride_ + 1 + rank % cold_per_stride;
  }

 private:
  uint32_t stride_;
  uint32_t hot_count_;
  uint32_t cold_count_;
  double hot_traffic_fraction_;
};

CommandType pick_type(const WorkloadConfig& config, Random& random) {
  const uint32_t total = config.deposit_weight + config.withdraw_weight + config.transfer_weight;
  const auto roll = static_cast<uint32_t>(random.below(total));
  if (roll < config.deposit_weight) {
    return CommandType::Deposit;
  }
  if (roll < config.deposit_weight + config.withdraw_weight) {
    return CommandType::Withdraw;
  }
  return CommandType::Transfer;
}

}  // namespace

Workload::Workload(const WorkloadConfig& config) : config_(config) {
  check(config.command_count > 0 && (config.command_count & (config.command_count - 1)) == 0,
        "command_count must be a power of two");
  // Filled completely before any view is taken: the strings must never move afterwards.
  account_ids_.reserve(config.account_count);
  for (uint32_t index = 0; index < config.account_count; ++index) {
    account_ids_.push_back(account_id_of(index));
  }
  open_commands_.reserve(config.account_count);
  for (const std::string& account_id : account_ids_) {
    Command command;
    command.type = CommandType::OpenAccount;
    command.account_id = account_id;
    command.owner = kOwner;
    command.currency = kCurrency;
    command.amount = config.initial_deposit;
    open_commands_.push_back(command);
  }
  Random random(config.seed);
  const AccountPicker picker(config);
  traffic_.reserve(config.command_count);
  // Traffic ids are copied next to each other in command order, as they arrive in a frame: a
  // command's ids are then read sequentially, not fetched from a random string in memory (which
  // would charge the ledger a cache miss the real pipeline never pays).
  traffic_id_bytes_.reserve(size_t{config.command_count} * 2 * kAccountIdBytesMax);
  const auto copy_id = [&](const std::string& account_id) {
    const size_t offset = traffic_id_bytes_.size();
    traffic_id_bytes_.insert(traffic_id_bytes_.end(), account_id.begin(), account_id.end());
    return std::string_view(traffic_id_bytes_.data() + offset, account_id.size());
  };
  for (uint32_t index = 0; index < config.command_count; ++index) {
    Command command;
    command.type = pick_type(config, random);
    command.amount =
        1 + static_cast<int64_t>(random.below(static_cast<uint64_t>(config.max_amount)));
    const uint32_t account = picker.pick(random);
    command.account_id = copy_id(account_ids_[account]);
    if (command.type == CommandType::Transfer) {
      uint32_t counterparty = picker.pick(random);
      while (counterparty == account) {
        counterparty = picker.pick(random);
      }
      command.counterparty_id = copy_id(account_ids_[counterparty]);
    }
    traffic_.push_back(command);
  }
}

std::span<const Command> Workload::traffic_batch(uint64_t batch_number, uint32_t batch_size) const {
  // Power-of-two sizes tile the power-of-two traffic exactly, so a batch never wraps midway.
  check(batch_size <= traffic_.size() && traffic_.size() % batch_size == 0,
        "batch_size must divide the traffic size");
  const size_t first = (batch_number * batch_size) % traffic_.size();
  return std::span<const Command>(traffic_).subspan(first, batch_size);
}

const Workload& standard_workload() {
  static const Workload workload{WorkloadConfig{}};
  return workload;
}

const Workload& cache_resident_workload() {
  static const Workload workload{WorkloadConfig{.account_count = 10'000, .command_count = 1 << 20}};
  return workload;
}

LedgerLimits benchmark_ledger_limits(const Workload& workload, uint32_t idempotency_window) {
  LedgerLimits limits;
  limits.initial_account_capacity = workload.config().account_count;
  limits.idempotency_window = idempotency_window;
  return limits;
}

void check(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "tally-bench: %s\n", what);
    std::abort();
  }
}

void open_accounts(Ledger& ledger, const Workload& workload) {
  std::vector<Outcome> events(kOpeningBatchSize);
  const std::span<const Command> commands = workload.open_commands();
  uint64_t request_number = 0;
  for (size_t first = 0; first < commands.size(); first += kOpeningBatchSize) {
    const std::span<const Command> batch_commands =
        commands.subspan(first, std::min<size_t>(kOpeningBatchSize, commands.size() - first));
    const CommandBatch batch{.request_id = {.low = ++request_number, .high = kOpeningRequestIdHigh},
                             .origin = 0,
                             .atomic = false,
                             .commands = batch_commands};
    const OutcomeSlots slots{.slots = events.data(),
                             .mask = ~uint64_t{0},
                             .first = 0,
                             .count = static_cast<uint32_t>(batch_commands.size())};
    ledger.apply(batch, static_cast<int64_t>(request_number), slots);
    check(count_rejections(std::span<const Outcome>(events).first(batch_commands.size())) == 0,
          "opening an account of the workload was rejected");
  }
}

uint64_t count_rejections(std::span<const Outcome> events) {
  uint64_t rejections = 0;
  for (const Outcome& event : events) {
    rejections += event.type == EventType::CommandRejected ? 1 : 0;
  }
  return rejections;
}

}  // namespace tally::bench
