#include "tools/load/http_accounts.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <thread>

#include "net/client/client.h"
#include "tools/load/http_connection.h"

namespace tally::load {
namespace {

using client::ClientError;

constexpr uint32_t kConnectionsMax = 8;
constexpr size_t kInFlightPerConnection = 16;
// An opening unanswered this long stops the run.
constexpr std::chrono::seconds kPatience{30};

// Opens accounts[first], accounts[first + step], ... on one connection.
void open_share(const LoadOptions& options, const HttpRequests& requests,
                const std::vector<std::string>& accounts, size_t first, size_t step,
                std::atomic<uint64_t>& opened, std::atomic<uint64_t>& last_sequence) {
  HttpConnection connection(options.host, options.http_port);
  connection.connect();
  size_t next = first;
  size_t in_flight = 0;
  std::vector<size_t> sent;  // the accounts in flight, oldest first (answers come in order)
  size_t answered = 0;
  uint64_t highest = 0;
  while (next < accounts.size() || in_flight > 0) {
    while (next < accounts.size() && in_flight < kInFlightPerConnection) {
      requests.append_open_account(connection.output(), accounts[next], options.currency,
                                   options.initial_deposit);
      sent.push_back(next);
      next += step;
      ++in_flight;
    }
    const auto waited_from = std::chrono::steady_clock::now();
    if (!connection.wait(kPatience)) {
      if (std::chrono::steady_clock::now() - waited_from >= kPatience) {
        throw ClientError(ClientError::Kind::kTimeout,
                          "opening accounts over HTTP: no answer within " +
                              std::to_string(kPatience.count()) + " s");
      }
      continue;
    }
    HttpResponse answer;
    while (connection.next(answer)) {
      if (in_flight == 0) {
        throw ClientError(ClientError::Kind::kProtocol, "an HTTP answer with no opening in flight");
      }
      const std::string& account = accounts[sent[answered++]];
      --in_flight;
      if (answer.status != 201) {
        throw ClientError(ClientError::Kind::kRefused,
                          "opening account " + account + " over HTTP was answered " +
                              std::to_string(answer.status) + " " + std::string(answer.body));
      }
      highest = std::max(highest, unsigned_field(answer.body, "sequence"));
      opened.fetch_add(1, std::memory_order_relaxed);
    }
  }
  uint64_t seen = last_sequence.load();
  while (seen < highest && !last_sequence.compare_exchange_weak(seen, highest)) {
  }
}

}  // namespace

uint64_t open_accounts_over_http(const LoadOptions& options, const HttpRequests& requests,
                                 const std::vector<std::string>& accounts,
                                 const std::function<void(uint64_t opened)>& progress) {
  const size_t connections =
      std::clamp<size_t>(std::min<size_t>(options.connections, kConnectionsMax), 1,
                         std::max<size_t>(accounts.size(), 1));
  std::atomic<uint64_t> opened{0};
  std::atomic<uint64_t> last_sequence{0};
  std::atomic<size_t> running{connections};
  std::vector<std::exception_ptr> failures(connections);
  std::vector<std::thread> threads;
  for (size_t index = 0; index < connections; ++index) {
    threads.emplace_back([&, index] {
      try {
        open_share(options, requests, accounts, index, connections, opened, last_sequence);
      } catch (...) {
        failures[index] = std::current_exception();
      }
      running.fetch_sub(1);
    });
  }
  while (running.load() > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    progress(opened.load(std::memory_order_relaxed));
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  for (const std::exception_ptr& failure : failures) {
    if (failure) {
      std::rethrow_exception(failure);
    }
  }
  return last_sequence.load();
}

}  // namespace tally::load
