// tally-subscribe-bench: subscribers against a running tallyd, for the subscription figures in
// docs/performance.md (bench/subscriptions.sh drives it).
//
//   catch-up: one subscriber from sequence 1 until it has read what was durable when it started:
//             events/s;
//   live:     N subscribers from now for --duration seconds (beside a tally-load run): events
//             each received and the lag of each batch's last event (its arrival's wall clock
//             minus the event's timestamp, which the logic thread took: queueing, sync, hub and
//             network all included).
//
// Prints one JSON object. Exit 0, or 1 if a subscriber failed, 2 bad options.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "net/client/subscriber.h"
#include "tools/load/latency_histogram.h"

namespace {

using namespace tally;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string host = "127.0.0.1";
  uint16_t port = 7070;
  uint32_t subscribers = 1;
  uint64_t from_sequence = 0;  // 0: from now
  double duration_seconds = 10;
  bool until_durable = false;  // stop once what was durable at the start is read
  uint32_t credit_window = 16'384;
};

struct SubscriberResult {
  uint64_t events = 0;
  uint64_t batches = 0;
  double seconds = 0;
  load::LatencyHistogram lag;
  std::string failure;
};

int64_t wall_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void follow(const Options& options, uint64_t from, uint64_t until, SubscriberResult& result) {
  try {
    client::ClientOptions client;
    client.host = options.host;
    client.port = options.port;
    client.client_name = "tally-subscribe-bench";
    client::SubscriberOptions subscription;
    subscription.from_sequence = from;
    subscription.credit_window = options.credit_window;
    client::Subscriber subscriber(client, subscription);
    const auto started = Clock::now();
    const auto deadline = started + std::chrono::duration_cast<Clock::duration>(
                                        std::chrono::duration<double>(options.duration_seconds));
    while (Clock::now() < deadline && (until == 0 || subscriber.next_sequence() <= until)) {
      std::optional<client::EventBatchView> batch = subscriber.next(std::chrono::milliseconds(100));
      if (!batch) {
        continue;
      }
      ++result.batches;
      result.events += batch->size();
      if (batch->size() > 0) {
        const int64_t lag = wall_ns() - (*batch)[batch->size() - 1].timestamp_ns();
        result.lag.record(lag > 0 ? static_cast<uint64_t>(lag) : 0);
      }
    }
    result.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  } catch (const std::exception& error) {
    result.failure = error.what();
  }
}

double milliseconds(uint64_t nanoseconds) {
  return static_cast<double>(nanoseconds) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  CLI::App app("tally-subscribe-bench: subscribers against a running tallyd",
               "tally-subscribe-bench");
  app.add_option("--host", options.host);
  app.add_option("--port", options.port);
  app.add_option("--subscribers", options.subscribers)->check(CLI::Range(1u, 1000u));
  app.add_option("--from", options.from_sequence, "first sequence; 0: from now");
  app.add_option("--duration", options.duration_seconds, "seconds at most");
  app.add_flag("--until-durable", options.until_durable,
               "stop once what was durable at the start is read (catch-up)");
  app.add_option("--credit", options.credit_window, "events granted ahead");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error) == 0 ? 0 : 2;
  }
  client::ClientOptions probe_options;
  probe_options.host = options.host;
  probe_options.port = options.port;
  client::Client probe(probe_options);
  uint64_t durable = 0;
  try {
    probe.connect();
    durable = probe.stats().durable_sequence;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "tally-subscribe-bench: %s\n", error.what());
    return 1;
  }
  const uint64_t from = options.from_sequence != 0 ? options.from_sequence : durable + 1;
  const uint64_t until = options.until_durable ? durable : 0;
  std::vector<std::unique_ptr<SubscriberResult>> results;
  std::vector<std::thread> threads;
  for (uint32_t index = 0; index < options.subscribers; ++index) {
    results.push_back(std::make_unique<SubscriberResult>());
    threads.emplace_back(follow, std::cref(options), from, until, std::ref(*results.back()));
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  load::LatencyHistogram lag;
  uint64_t events = 0;
  double slowest_rate = 0;
  double seconds = 0;
  int exit_code = 0;
  for (size_t index = 0; index < results.size(); ++index) {
    const SubscriberResult& result = *results[index];
    if (!result.failure.empty()) {
      std::fprintf(stderr, "tally-subscribe-bench: subscriber %zu: %s\n", index,
                   result.failure.c_str());
      exit_code = 1;
    }
    lag.merge(result.lag);
    events += result.events;
    seconds = std::max(seconds, result.seconds);
    const double rate =
        result.seconds > 0 ? static_cast<double>(result.events) / result.seconds : 0;
    slowest_rate = index == 0 ? rate : std::min(slowest_rate, rate);
  }
  std::printf(
      "{\"subscribers\":%u,\"from_sequence\":%llu,\"durable_at_start\":%llu,\"seconds\":%.3f,"
      "\"events\":%llu,\"events_per_second\":%.0f,\"slowest_subscriber_events_per_second\":%.0f,"
      "\"lag_ms\":{\"batches\":%llu,\"p50\":%.2f,\"p99\":%.2f,\"max\":%.2f}}\n",
      options.subscribers, static_cast<unsigned long long>(from),
      static_cast<unsigned long long>(durable), seconds, static_cast<unsigned long long>(events),
      seconds > 0 ? static_cast<double>(events) / seconds : 0.0, slowest_rate,
      static_cast<unsigned long long>(lag.count()), milliseconds(lag.value_at(0.5)),
      milliseconds(lag.value_at(0.99)), milliseconds(lag.max()));
  return exit_code;
}
