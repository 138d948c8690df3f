#include "tools/load/load_worker.h"

#include <algorithm>
#include <cmath>

namespace tally::load {
namespace {

client::ClientOptions client_options(const LoadOptions& options, uint32_t index) {
  client::ClientOptions client;
  client.host = options.host;
  client.port = options.port;
  client.client_name = "tally-load/" + std::to_string(index);
  return client;
}

// Open loop: requests due but not yet answered at most, so a stalled server cannot make the
// load tool queue without bound.
constexpr size_t kOpenLoopInFlightMax = 1 << 16;

}  // namespace

void WorkerTally::merge(const WorkerTally& other) {
  latency.merge(other.latency);
  requests += other.requests;
  commands += other.commands;
  for (size_t code = 0; code < results_by_code.size(); ++code) {
    results_by_code[code] += other.results_by_code[code];
  }
  refused_requests += other.refused_requests;
  money_in += other.money_in;
  money_out += other.money_out;
  reconnects += other.reconnects;
  late_sends += other.late_sends;
  if (failure.empty()) {
    failure = other.failure;
  }
}

LoadWorker::LoadWorker(const LoadOptions& options, uint32_t index,
                       const std::vector<std::string>& accounts, LiveCounters& live)
    : options_(options),
      index_(index),
      accounts_(accounts),
      live_(live),
      client_(client_options(options, index)),
      random_(options.seed * 7919 + index),
      hot_accounts_(std::max<uint32_t>(
          1, static_cast<uint32_t>(
                 std::ceil(options.hot_account_ratio * static_cast<double>(accounts.size()))))),
      weight_total_(options.deposit_weight + options.withdraw_weight + options.transfer_weight +
                    options.open_weight) {}

const std::string& LoadWorker::pick_account() {
  const bool hot =
      std::uniform_real_distribution<double>(0, 1)(random_) < options_.hot_selection_rate;
  const uint64_t range = hot ? hot_accounts_ : accounts_.size();
  return accounts_[random_() % range];
}

LoadWorker::Kind LoadWorker::pick_kind() {
  uint32_t draw = static_cast<uint32_t>(random_() % weight_total_);
  if (draw < options_.deposit_weight) {
    return Kind::kDeposit;
  }
  draw -= options_.deposit_weight;
  if (draw < options_.withdraw_weight) {
    return Kind::kWithdraw;
  }
  draw -= options_.withdraw_weight;
  return draw < options_.transfer_weight ? Kind::kTransfer : Kind::kOpen;
}

int64_t LoadWorker::pick_amount() {
  const auto span = static_cast<uint64_t>(options_.max_amount - options_.min_amount) + 1;
  return options_.min_amount + static_cast<int64_t>(random_() % span);
}

void LoadWorker::send_one(Clock::time_point due) {
  batch_.clear();
  InFlight sent{.due = due, .commands = {}};
  sent.commands.reserve(options_.batch);
  for (uint32_t command = 0; command < options_.batch; ++command) {
    const Kind kind = pick_kind();
    switch (kind) {
      case Kind::kDeposit:
        sent.commands.push_back({kind, pick_amount()});
        batch_.deposit(pick_account(), sent.commands.back().amount);
        break;
      case Kind::kWithdraw:
        sent.commands.push_back({kind, pick_amount()});
        batch_.withdraw(pick_account(), sent.commands.back().amount);
        break;
      case Kind::kTransfer: {
        const std::string& from = pick_account();
        const std::string* to = &pick_account();
        while (to == &from) {
          to = &accounts_[random_() % accounts_.size()];
        }
        sent.commands.push_back({kind, pick_amount()});
        batch_.transfer(from, *to, sent.commands.back().amount);
        break;
      }
      case Kind::kOpen:
        opened_id_ = options_.account_prefix + "w" + std::to_string(index_) + "-" +
                     std::to_string(++opened_);
        sent.commands.push_back({kind, options_.initial_deposit});
        batch_.open_account(opened_id_, "tally-load", options_.currency, AccountType::Checking, 0,
                            options_.initial_deposit);
        break;
    }
  }
  in_flight_.emplace(client_.send(batch_), std::move(sent));
}

void LoadWorker::account_for(const client::Reply& reply) {
  const auto found = in_flight_.find(reply.request_id);
  if (found == in_flight_.end()) {
    return;  // an error about a frame the server could not read: not one of ours
  }
  tally_.latency.record(static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - found->second.due)
          .count()));
  ++tally_.requests;
  live_.requests.fetch_add(1, std::memory_order_relaxed);
  if (std::holds_alternative<client::ErrorReply>(reply.body)) {
    ++tally_.refused_requests;
    live_.refused.fetch_add(1, std::memory_order_relaxed);
  } else if (const auto* batch = std::get_if<client::BatchResult>(&reply.body)) {
    const std::vector<SentCommand>& sent = found->second.commands;
    for (size_t index = 0; index < batch->results.size() && index < sent.size(); ++index) {
      const ResultCode code = batch->results[index].code;
      ++tally_.results_by_code[static_cast<size_t>(code) % net::kResultCodeSlots];
      if (code != ResultCode::Ok) {
        continue;
      }
      if (sent[index].kind == Kind::kWithdraw) {
        tally_.money_out += static_cast<uint64_t>(sent[index].amount);
      } else if (sent[index].kind != Kind::kTransfer) {
        tally_.money_in += static_cast<uint64_t>(sent[index].amount);
      }
    }
    tally_.commands += batch->results.size();
    live_.commands.fetch_add(batch->results.size(), std::memory_order_relaxed);
  }
  in_flight_.erase(found);
}

void LoadWorker::receive_one(std::chrono::microseconds timeout) {
  if (const std::optional<client::Reply> reply = client_.receive(timeout)) {
    account_for(*reply);
  }
}

void LoadWorker::run(Clock::time_point start, Clock::time_point end) {
  try {
    client_.connect();
    const bool open_loop = options_.rate > 0;
    const auto interval = std::chrono::nanoseconds(
        open_loop
            ? static_cast<int64_t>(1e9 * options_.batch * options_.connections / options_.rate)
            : 0);
    // Stagger the connections' schedules so their sends do not bunch up.
    Clock::time_point next_due = start + interval * index_ / options_.connections;
    while (Clock::now() < end) {
      if (!open_loop) {
        while (in_flight_.size() < options_.pipeline) {
          send_one(Clock::now());
        }
        receive_one(std::chrono::milliseconds(50));
        continue;
      }
      const Clock::time_point now = Clock::now();
      while (next_due <= now && next_due < end && in_flight_.size() < kOpenLoopInFlightMax) {
        if (now - next_due > std::chrono::milliseconds(1)) {
          ++tally_.late_sends;
        }
        send_one(next_due);
        next_due += interval;
      }
      const auto wait = std::chrono::duration_cast<std::chrono::microseconds>(next_due - now);
      receive_one(
          std::clamp(wait, std::chrono::microseconds(0), std::chrono::microseconds(50'000)));
    }
    const Clock::time_point drain_end = Clock::now() + std::chrono::seconds(30);
    while (!in_flight_.empty() && Clock::now() < drain_end) {
      receive_one(std::chrono::milliseconds(100));
    }
    if (!in_flight_.empty()) {
      tally_.failure = std::to_string(in_flight_.size()) + " requests unanswered after 30 s";
    }
  } catch (const client::ClientError& error) {
    tally_.failure = error.what();
  }
  tally_.reconnects = client_.reconnects();
}

}  // namespace tally::load
