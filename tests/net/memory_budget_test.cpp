// The server's memory under clients that try to pin it, against the real tallyd: query frames
// padded past the query limit are refused, queries held by many connections and answers a
// client never reads stay within the server-wide budget (docs/protocol.md, "Memory"), the
// resident memory follows, and a well-behaved client is answered throughout.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "net/client/client.h"
#include "net/client/query.h"
#include "net/protocol/frame.h"
#include "net/protocol/messages.h"
#include "support/program_run.h"
#include "support/raw_socket.h"
#include "support/tallyd_process.h"

namespace tally {
namespace {

using client::BatchBuilder;
using client::Client;
using client::Query;
using testing::RawSocket;
using testing::TallydProcess;
using namespace std::chrono_literals;

constexpr uint64_t kMiB = 1 << 20;

// Under a sanitizer (tallyd is built like the tests) resident memory measures shadow memory,
// redzones and quarantines: only the server's own accounting is checked then.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kResidentMemoryIsMeaningful = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr bool kResidentMemoryIsMeaningful = false;
#else
constexpr bool kResidentMemoryIsMeaningful = true;
#endif
#else
constexpr bool kResidentMemoryIsMeaningful = true;
#endif
// A sequence no test reaches: a query asking for it waits its whole read wait in a projector.
constexpr uint64_t kNeverReached = 1'000'000'000'000ULL;

// The anonymous resident memory of process `pid` (its heap, not the journal's mapped pages,
// which the good client's deposits touch), from /proc.
int64_t resident_bytes(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("RssAnon:", 0) == 0) {
      return std::strtoll(line.c_str() + 8, nullptr, 10) * 1024;
    }
  }
  return 0;
}

// A framed BalanceQuery whose message is padded with zeros to `message_bytes` (the verifier
// ignores bytes past the buffer's tables, so the query stays valid).
std::vector<uint8_t> padded_query(uint64_t request, size_t message_bytes,
                                  uint64_t min_sequence = 0) {
  std::vector<uint8_t> framed;
  Query::balance("good")
      .min_sequence(min_sequence)
      .encode(Id128{.low = request, .high = 77}, framed);
  std::vector<uint8_t> message(framed.begin() + net::kFrameHeaderBytes, framed.end());
  if (message.size() < message_bytes) {
    message.resize(message_bytes, 0);
  }
  framed.clear();
  net::append_frame(framed, message);
  return framed;
}

class MemoryBudgetTest : public ::testing::Test {
 protected:
  void SetUp() override { root_ = testing::make_temporary_directory("tallyd-memory"); }
  void TearDown() override {
    if (server_thread_.joinable()) {
      stop_serving();
    }
    observer_.reset();
    good_.reset();
    server_.reset();
    std::system(("rm -rf " + root_).c_str());
  }
  TallydProcess& start(std::vector<std::string> arguments = {}) {
    server_ = std::make_unique<TallydProcess>(root_ + "/data", std::move(arguments));
    good_ = std::make_unique<Client>(server_->client_options("good"));
    good_->connect();
    good_->execute(BatchBuilder().open_account("good", "Good", "EUR"));
    observer_ = std::make_unique<Client>(server_->client_options("observer"));
    observer_->connect();
    return *server_;
  }
  // The Response in the next frame `socket` reads, or null (kept in `message_`).
  const protocol::Response* next_response(RawSocket& socket) {
    const auto message = socket.read_frame(5s);
    message_ = message.value_or(std::vector<uint8_t>());
    return message ? testing::response_of(message_) : nullptr;
  }
  // One deposit and one query that reads it by the well-behaved client (a balance, or its
  // statement when the accounts projector is busy with someone else's queries); how long they
  // took.
  std::chrono::milliseconds serve_good_client(bool ask_history = false) {
    const auto started = std::chrono::steady_clock::now();
    const auto deposited = good_->execute(BatchBuilder().deposit("good", 1));
    EXPECT_EQ(deposited.results.at(0).code, ResultCode::Ok);
    const uint64_t sequence = deposited.results.at(0).sequence;
    const client::QueryReply answer =
        ask_history ? good_->query(Query::history("good").min_sequence(sequence))
                    : good_->query(Query::balance("good").min_sequence(sequence));
    EXPECT_EQ(answer.type(), ask_history ? protocol::ResponseBody::HistoryResult
                                         : protocol::ResponseBody::BalanceResult);
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 started);
  }
  // The well-behaved client, served again and again on a thread of its own while a test
  // misbehaves; stop_serving() says how long its slowest round took. Paced: the engine's own
  // structures (ring, idempotency window) grow into their preallocated memory with every
  // command, which is not what these tests measure.
  void start_serving(bool ask_history = false) {
    serving_ = true;
    server_thread_ = std::thread([this, ask_history] {
      while (serving_.load()) {
        slowest_ = std::max(slowest_, serve_good_client(ask_history));
        std::this_thread::sleep_for(20ms);
      }
    });
  }
  std::chrono::milliseconds stop_serving() {
    serving_ = false;
    server_thread_.join();
    return slowest_;
  }
  // Waits up to `timeout` for `done`, asking the server's stats every 50 ms (through a client
  // of its own: the well-behaved one may be busy on its thread).
  template <typename Done>
  bool wait_for_stats(Done done, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done(observer_->stats())) {
      if (std::chrono::steady_clock::now() > deadline) {
        return false;
      }
      std::this_thread::sleep_for(50ms);
    }
    return true;
  }

  std::string root_;
  std::unique_ptr<TallydProcess> server_;
  std::unique_ptr<Client> good_;
  std::unique_ptr<Client> observer_;  // asks for stats
  std::vector<uint8_t> message_;
  std::atomic<bool> serving_{false};
  std::thread server_thread_;
  std::chrono::milliseconds slowest_{0};
};

TEST_F(MemoryBudgetTest, AQueryFramePaddedPastTheQueryLimitIsRefusedAndTheConnectionCarriesOn) {
  TallydProcess& server = start();
  EXPECT_EQ(good_->server().limits.query_frame_bytes_max, 4096u);
  RawSocket socket(server.port());
  ASSERT_TRUE(socket.hello());

  // Padded to 64 KiB, far below the frame limit (1 MiB) that command batches keep.
  ASSERT_TRUE(socket.send_bytes(padded_query(7, 64 * 1024)));
  const protocol::Response* response = next_response(socket);
  ASSERT_NE(response, nullptr);
  ASSERT_EQ(response->body_type(), protocol::ResponseBody::Error);
  EXPECT_EQ(response->body_as_Error()->code(), ResultCode::LimitExceeded);
  EXPECT_NE(response->body_as_Error()->message()->str().find("max-query-frame-bytes"),
            std::string::npos);
  ASSERT_NE(response->request_id(), nullptr);
  EXPECT_EQ(response->request_id()->low(), 7u);  // the frame was read whole: it is answered

  // The stream is still in step: at the limit a query is answered, one byte over it is not.
  ASSERT_TRUE(socket.send_bytes(padded_query(8, 4096, 1)));  // once "good" is opened
  response = next_response(socket);
  ASSERT_NE(response, nullptr);
  EXPECT_EQ(response->body_type(), protocol::ResponseBody::BalanceResult);
  ASSERT_TRUE(socket.send_bytes(padded_query(9, 4097)));
  response = next_response(socket);
  ASSERT_NE(response, nullptr);
  ASSERT_EQ(response->body_type(), protocol::ResponseBody::Error);
  EXPECT_EQ(response->body_as_Error()->code(), ResultCode::LimitExceeded);

  // Command batches still use the whole frame limit: 4,000 deposits are about 200 KB.
  BatchBuilder large;
  for (int index = 0; index < 4000; ++index) {
    large.deposit("good", 1);
  }
  EXPECT_EQ(good_->execute(large).results.at(3999).balance, 4000);
  EXPECT_GE(good_->stats().requests_refused, 2u);
}

TEST_F(MemoryBudgetTest, QueriesHeldByManyConnectionsStayWithinTheBudget) {
  constexpr uint64_t kBudget = 4 * kMiB;
  TallydProcess& server =
      start({"--memory-budget-bytes", std::to_string(kBudget), "--read-wait-ms", "3000"});
  serve_good_client();
  const int64_t resident_before = resident_bytes(server.pid());

  // 64 connections, each with 256 queries (its in-flight limit) padded to just under the query
  // limit and waiting for a sequence that never comes: 64 MiB of held frames if all were read.
  constexpr int kConnections = 64;
  constexpr int kQueriesEach = 256;
  std::vector<std::unique_ptr<RawSocket>> attackers;
  for (int connection = 0; connection < kConnections; ++connection) {
    attackers.push_back(std::make_unique<RawSocket>(server.port()));
    ASSERT_TRUE(attackers.back()->hello());
  }
  start_serving();
  for (int connection = 0; connection < kConnections; ++connection) {
    std::vector<uint8_t> burst;
    for (int query = 0; query < kQueriesEach; ++query) {
      const std::vector<uint8_t> frame =
          padded_query(connection * kQueriesEach + query + 1, 4000, kNeverReached);
      burst.insert(burst.end(), frame.begin(), frame.end());
    }
    attackers[static_cast<size_t>(connection)]->send_available(burst, 200ms);
  }
  std::this_thread::sleep_for(1s);
  const int64_t resident_during = resident_bytes(server.pid());
  const std::chrono::milliseconds slowest = stop_serving();

  const net::ServerStats stats = good_->stats();
  EXPECT_EQ(stats.memory_budget_bytes, kBudget);
  EXPECT_GT(stats.memory_pauses, 0u) << "the budget never stopped a connection from reading";
  EXPECT_GE(stats.memory_peak_bytes, kBudget);
  EXPECT_LE(stats.memory_peak_bytes, 2 * kBudget);  // never past the ceiling
  // Resident memory: the ceiling, plus the connections' 64 KiB read buffers and some slack.
  if (kResidentMemoryIsMeaningful) {
    EXPECT_LT(resident_during - resident_before,
              static_cast<int64_t>(2 * kBudget + kConnections * 64 * 1024 + 4 * kMiB))
        << "before " << resident_before << ", during " << resident_during;
  }
  EXPECT_LT(slowest, 3s) << "the well-behaved client waited behind the held queries";
  EXPECT_EQ(good_->reconnects(), 0u) << "the well-behaved client was dropped";

  // Once the attackers are gone and their queries have timed out, the memory is released.
  attackers.clear();
  EXPECT_TRUE(wait_for_stats(
      [](const net::ServerStats& now) { return now.memory_in_use_bytes <= 256 * 1024; }, 20s))
      << "still in use: " << observer_->stats().memory_in_use_bytes;
  serve_good_client();
}

TEST_F(MemoryBudgetTest, AClientThatNeverReadsHoldsNoMoreThanTheCeilingAndIsDropped) {
  constexpr uint64_t kBudget = 4 * kMiB;
  // Neither the per-connection outbox bound nor the write timeout stop it: only the budget.
  TallydProcess& server = start({"--memory-budget-bytes", std::to_string(kBudget),
                                 "--max-outbox-bytes", std::to_string(1024 * kMiB),
                                 "--max-in-flight", "100000", "--write-timeout-ms", "600000"});
  BatchBuilder accounts;
  for (int index = 0; index < 1000; ++index) {
    accounts.open_account("account-" + std::to_string(index), "owner", "EUR");
  }
  const uint64_t last = good_->execute(accounts).results.at(999).sequence;
  const client::QueryReply page =
      good_->query(Query::accounts("owner", 0, 1000).min_sequence(last));
  ASSERT_EQ(page.type(), protocol::ResponseBody::AccountListResult);
  const size_t answer_bytes = page.message.size();
  ASSERT_GT(answer_bytes, 50'000u);  // each answer is a page of 1,000 accounts
  const int64_t resident_before = resident_bytes(server.pid());

  // 3,000 pages asked for and never read: 3,000 x ~100 KB of answers if the server kept them.
  RawSocket never_reads(server.port(), 4096);
  ASSERT_TRUE(never_reads.hello());
  // Its statement, not its balance: the accounts projector computes every page asked for, in
  // order, even for a connection that has gone (a matter of the read side, not of memory).
  start_serving(/*ask_history=*/true);
  std::vector<uint8_t> burst;
  for (uint64_t request = 1; request <= 3000; ++request) {
    Query::accounts("owner", 0, 1000).encode(Id128{.low = request, .high = 5}, burst);
  }
  never_reads.send_available(burst, 2s);
  EXPECT_TRUE(
      wait_for_stats([](const net::ServerStats& now) { return now.connections_dropped > 0; }, 30s))
      << "the client that never reads was never dropped";
  const int64_t resident_during = resident_bytes(server.pid());
  EXPECT_LT(stop_serving(), 3s) << "the well-behaved client waited behind the unread answers";
  EXPECT_EQ(good_->reconnects(), 0u) << "the well-behaved client was dropped, not the other";

  const net::ServerStats stats = good_->stats();
  EXPECT_LE(stats.memory_peak_bytes, 2 * kBudget);
  EXPECT_GT(stats.memory_peak_bytes, kBudget);  // the answers went past the budget, not the ceiling
  if (kResidentMemoryIsMeaningful) {
    EXPECT_LT(resident_during - resident_before, static_cast<int64_t>(2 * kBudget + 4 * kMiB))
        << "before " << resident_before << ", during " << resident_during;
  }
  EXPECT_NE(server.log().find("memory ceiling"), std::string::npos) << server.log();
  EXPECT_TRUE(never_reads.closed_by_peer(10s));
  EXPECT_TRUE(wait_for_stats(
      [](const net::ServerStats& now) { return now.memory_in_use_bytes <= 256 * 1024; }, 20s))
      << "still in use: " << observer_->stats().memory_in_use_bytes;
}

TEST_F(MemoryBudgetTest, ATinyQueryLimitOrABudgetBelowTheFrameLimitIsABadFlag) {
  const std::string tallyd = std::string(TALLY_TALLYD_PATH) + " --data-dir " + root_ + "/data";
  testing::ProgramRun run = testing::run_program(tallyd + " --max-query-frame-bytes 100",
                                                 testing::Capture::kStandardOutputAndError);
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_NE(run.output.find("max-query-frame-bytes"), std::string::npos) << run.output;
  // A large frame is read only once its whole buffer fits in the budget.
  run = testing::run_program(tallyd + " --memory-budget-bytes 65536",
                             testing::Capture::kStandardOutputAndError);
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_NE(run.output.find("memory-budget-bytes"), std::string::npos) << run.output;
}

}  // namespace
}  // namespace tally
