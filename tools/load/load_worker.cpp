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
  client.api_key = options.api_key;
  client.tls_ca_file = options.tls_ca_file;
  return client;
}

// Open loop: requests due but not yet answered at most, so a stalled server cannot make the
// load tool queue without bound.
constexpr size_t kOpenLoopInFlightMax = 1 << 16;

// The history page each history query asks for.
constexpr uint32_t kHistoryPageEntries = 50;

bool same_text(const flatbuffers::String* text, const std::string& expected) {
  return text != nullptr && text->string_view() == expected;
}

}  // namespace

void QueryTally::merge(const QueryTally& other) {
  latency.merge(other.latency);
  answered += other.answered;
  account_queries += other.account_queries;
  history_queries += other.history_queries;
  for (size_t code = 0; code < errors_by_code.size(); ++code) {
    errors_by_code[code] += other.errors_by_code[code];
  }
  errors += other.errors;
  unexpected_answers += other.unexpected_answers;
}

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
  last_sequence = std::max(last_sequence, other.last_sequence);
  reconnects += other.reconnects;
  late_sends += other.late_sends;
  http_errors += other.http_errors;
  if (first_http_error.empty()) {
    first_http_error = other.first_http_error;
  }
  if (failure.empty()) {
    failure = other.failure;
  }
  queries.merge(other.queries);
}

LoadWorker::LoadWorker(const LoadOptions& options, uint32_t index,
                       const std::vector<std::string>& accounts, uint64_t accounts_sequence,
                       LiveCounters& live)
    : options_(options),
      index_(index),
      accounts_(accounts),
      accounts_sequence_(accounts_sequence),
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
  // uniform_real_distribution draws from [0, 1): a weight of 1 always reads, 0 never does.
  if (options_.read_weight > 0 &&
      std::uniform_real_distribution<double>(0, 1)(random_) < options_.read_weight) {
    send_query(due);
  } else {
    send_batch(due);
  }
}

void LoadWorker::send_query(Clock::time_point due) {
  const std::string& account = pick_account();
  const bool history = (random_() & 1) != 0;
  client::Query query =
      history ? client::Query::history(account,
                                       client::HistoryOptions{.order = protocol::Order::NewestFirst,
                                                              .from_ns = 0,
                                                              .to_ns = 0,
                                                              .limit = kHistoryPageEntries,
                                                              .cursor = 0})
              : client::Query::account(account);
  query.min_sequence(accounts_sequence_);
  in_flight_.emplace(client_.send(query),
                     InFlight{.due = due,
                              .request = history ? Request::kHistoryQuery : Request::kAccountQuery,
                              .commands = {},
                              .account = &account});
}

void LoadWorker::send_batch(Clock::time_point due) {
  batch_.clear();
  InFlight sent{.due = due, .request = Request::kBatch, .commands = {}, .account = nullptr};
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
  if (found->second.request == Request::kBatch) {
    account_for_batch(reply, found->second);
  } else {
    account_for_query(reply, found->second);
  }
  in_flight_.erase(found);
}

void LoadWorker::account_for_batch(const client::Reply& reply, const InFlight& sent_request) {
  tally_.latency.record(static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - sent_request.due)
          .count()));
  ++tally_.requests;
  live_.requests.fetch_add(1, std::memory_order_relaxed);
  if (std::holds_alternative<client::ErrorReply>(reply.body)) {
    ++tally_.refused_requests;
    live_.refused.fetch_add(1, std::memory_order_relaxed);
  } else if (const auto* batch = std::get_if<client::BatchResult>(&reply.body)) {
    const std::vector<SentCommand>& sent = sent_request.commands;
    for (size_t index = 0; index < batch->results.size() && index < sent.size(); ++index) {
      const ResultCode code = batch->results[index].code;
      tally_.last_sequence = std::max(tally_.last_sequence, batch->results[index].sequence);
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
}

void LoadWorker::account_for_query(const client::Reply& reply, const InFlight& sent) {
  QueryTally& queries = tally_.queries;
  queries.latency.record(static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - sent.due).count()));
  ++queries.answered;
  live_.queries.fetch_add(1, std::memory_order_relaxed);
  const bool history = sent.request == Request::kHistoryQuery;
  ++(history ? queries.history_queries : queries.account_queries);
  if (const auto* error = std::get_if<client::ErrorReply>(&reply.body)) {
    ++queries.errors;
    ++queries.errors_by_code[static_cast<size_t>(error->code) % net::kResultCodeSlots];
    return;
  }
  const auto* answer = std::get_if<client::QueryReply>(&reply.body);
  bool expected = false;
  if (answer != nullptr && history) {
    const auto* page = answer->body<protocol::HistoryResult>();
    expected = page != nullptr && same_text(page->account_id(), *sent.account) &&
               (page->entries() == nullptr || page->entries()->size() <= kHistoryPageEntries);
  } else if (answer != nullptr) {
    const auto* details = answer->body<protocol::AccountResult>();
    expected = details != nullptr && details->account() != nullptr &&
               same_text(details->account()->account_id(), *sent.account);
  }
  if (!expected) {
    ++queries.unexpected_answers;
  }
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
