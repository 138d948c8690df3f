// tallyd end to end: the real server on a loopback port, driven through tally::client::Client.
#include <gtest/gtest.h>
#include <signal.h>

#include <cstdlib>
#include <set>
#include <string>
#include <thread>

#include "engine/pipeline/ingress.h"
#include "engine/wire/wire_decoder.h"
#include "engine/wire/wire_encoder.h"
#include "net/client/client.h"
#include "net/protocol/messages.h"
#include "support/ledger_harness.h"
#include "support/program_run.h"
#include "support/raw_socket.h"
#include "support/tallyd_process.h"

namespace tally {
namespace {

using client::BatchBuilder;
using client::BatchResult;
using client::Client;
using client::ClientError;
using testing::TallydProcess;

class TallydTest : public ::testing::Test {
 protected:
  void SetUp() override { data_ = testing::make_temporary_directory("tallyd-test") + "/data"; }
  void TearDown() override {
    server_.reset();
    std::system(("rm -rf " + data_.substr(0, data_.rfind('/'))).c_str());
  }
  TallydProcess& start(std::vector<std::string> arguments = {}) {
    server_ = std::make_unique<TallydProcess>(data_, std::move(arguments));
    return *server_;
  }
  ResultCode code_of(Client& client, const BatchBuilder& batch) {
    return client.execute(batch).results.at(0).code;
  }

  std::string data_;
  std::unique_ptr<TallydProcess> server_;
};

TEST_F(TallydTest, HandshakeReportsVersionAndLimits) {
  TallydProcess& server = start({"--max-in-flight", "77"});
  Client client(server.client_options());
  client.connect();
  EXPECT_EQ(client.server().protocol_version, 1);
  EXPECT_EQ(client.server().server_name, "tallyd");
  EXPECT_FALSE(client.server().server_version.empty());
  EXPECT_EQ(client.server().limits.frame_bytes_max, 1u << 20);
  EXPECT_EQ(client.server().limits.batch_commands_max, 8190u);
  EXPECT_EQ(client.server().limits.requests_in_flight_max, 77u);
  EXPECT_EQ(client.server().limits.connections_max, 1024u);
  EXPECT_NE(server.log().find("event=client_hello"), std::string::npos);
}

TEST_F(TallydTest, ConfigurationComesFromTheEnvironmentTooAndFlagsWin) {
  ::setenv("TALLY_MAX_IN_FLIGHT", "77", 1);
  ::setenv("TALLY_MAX_BATCH", "100", 1);
  TallydProcess& server = start({"--max-batch", "50"});
  ::unsetenv("TALLY_MAX_IN_FLIGHT");
  ::unsetenv("TALLY_MAX_BATCH");
  Client client(server.client_options());
  client.connect();
  EXPECT_EQ(client.server().limits.requests_in_flight_max, 77u);
  EXPECT_EQ(client.server().limits.batch_commands_max, 50u);
  server_.reset();
  // A flag without a value too: TALLY_NO_HTTP turns the HTTP listener off.
  ::setenv("TALLY_NO_HTTP", "true", 1);
  TallydProcess& quiet = start();
  ::unsetenv("TALLY_NO_HTTP");
  EXPECT_EQ(quiet.log().find("event=http_listening"), std::string::npos) << quiet.log();
}

TEST_F(TallydTest, EveryCommandThroughTheWire) {
  TallydProcess& server = start();
  Client client(server.client_options());
  client.connect();

  const BatchResult opened =
      client.execute(BatchBuilder()
                         .open_account("alice", "Alice", "EUR", AccountType::Checking, 500, 1000)
                         .open_account("", "Generated", "EUR"));
  ASSERT_EQ(opened.results.size(), 2u);
  EXPECT_EQ(opened.results[0].code, ResultCode::Ok);
  EXPECT_EQ(opened.results[0].account_id, "alice");
  EXPECT_EQ(opened.results[0].balance, 1000);
  EXPECT_EQ(opened.results[0].version, 1u);
  EXPECT_EQ(opened.results[1].account_id, "tally:" + std::to_string(opened.results[1].sequence));
  const std::string bob = opened.results[1].account_id;

  const BatchResult deposited = client.execute(BatchBuilder().deposit("alice", 250));
  EXPECT_EQ(deposited.results[0].code, ResultCode::Ok);
  EXPECT_EQ(deposited.results[0].balance, 1250);
  EXPECT_EQ(deposited.results[0].sequence, opened.results[1].sequence + 1);

  EXPECT_EQ(client.execute(BatchBuilder().withdraw("alice", 1700)).results[0].balance, -450);
  EXPECT_EQ(code_of(client, BatchBuilder().withdraw("alice", 51)), ResultCode::InsufficientFunds);
  const BatchResult moved = client.execute(BatchBuilder().transfer("alice", bob, 50));
  EXPECT_EQ(moved.results[0].code, ResultCode::Ok);
  EXPECT_EQ(moved.results[0].balance, -500);

  EXPECT_EQ(code_of(client, BatchBuilder().freeze(bob, "audit")), ResultCode::Ok);
  EXPECT_EQ(code_of(client, BatchBuilder().deposit(bob, 1)), ResultCode::AccountFrozen);
  EXPECT_EQ(code_of(client, BatchBuilder().unfreeze(bob)), ResultCode::Ok);
  EXPECT_EQ(code_of(client, BatchBuilder().close(bob)), ResultCode::BalanceNotZero);
  EXPECT_EQ(code_of(client, BatchBuilder().transfer(bob, "alice", 50)), ResultCode::Ok);
  EXPECT_EQ(code_of(client, BatchBuilder().close(bob)), ResultCode::Ok);
  EXPECT_EQ(code_of(client, BatchBuilder().deposit(bob, 1)), ResultCode::AccountClosed);
  EXPECT_EQ(code_of(client, BatchBuilder().deposit("nobody", 1)), ResultCode::AccountNotFound);
  EXPECT_EQ(code_of(client, BatchBuilder().deposit("alice", 0)), ResultCode::InvalidAmount);
  EXPECT_EQ(code_of(client, BatchBuilder().deposit("alice", 1,
                                                   client::CommandOptions::expecting_version(99))),
            ResultCode::VersionConflict);
  EXPECT_EQ(code_of(client, BatchBuilder().open_account("x", "X", "euro")),
            ResultCode::InvalidArgument);

  const Id128 transaction{.low = 7, .high = 7};
  EXPECT_EQ(code_of(client, BatchBuilder().deposit(
                                "alice", 5, client::CommandOptions::with_transaction(transaction))),
            ResultCode::Ok);
  EXPECT_EQ(code_of(client, BatchBuilder().deposit(
                                "alice", 5, client::CommandOptions::with_transaction(transaction))),
            ResultCode::DuplicateTransaction);

  const BatchResult atomic =
      client.execute(BatchBuilder().deposit("alice", 10).withdraw("alice", 1'000'000).atomic());
  EXPECT_EQ(atomic.results[0].code, ResultCode::LinkedCommandFailed);
  EXPECT_EQ(atomic.results[1].code, ResultCode::InsufficientFunds);
}

TEST_F(TallydTest, ARequestIdReusedWithOtherCommandsIsRefusedPerCommand) {
  TallydProcess& server = start();
  Client client(server.client_options());
  client.connect();
  client.execute(BatchBuilder().open_account("a", "A", "EUR"));
  const Id128 request_id = client.next_request_id();
  EXPECT_EQ(client.execute(BatchBuilder().deposit("a", 5), request_id).results[0].code,
            ResultCode::Ok);
  const BatchResult retried = client.execute(BatchBuilder().deposit("a", 5), request_id);
  EXPECT_EQ(retried.results[0].code, ResultCode::Ok);
  EXPECT_EQ(retried.results[0].balance, 5);  // the original answer, not a second deposit
  EXPECT_TRUE(retried.results[0].replayed);
  EXPECT_EQ(client.execute(BatchBuilder().deposit("a", 6), request_id).results[0].code,
            ResultCode::RequestIdReused);
  EXPECT_FALSE(client.execute(BatchBuilder().deposit("a", 1)).results[0].replayed);
}

TEST_F(TallydTest, RequestsOverTheBatchLimitGetAnErrorAndTheConnectionStaysUsable) {
  TallydProcess& server = start({"--max-batch", "4"});
  Client client(server.client_options());
  client.connect();
  BatchBuilder too_many;
  for (int index = 0; index < 5; ++index) {
    too_many.deposit("a", 1);
  }
  try {
    client.execute(too_many);
    FAIL() << "a batch over --max-batch was accepted";
  } catch (const ClientError& error) {
    EXPECT_EQ(error.kind(), ClientError::Kind::kRefused);
    EXPECT_EQ(error.code(), ResultCode::LimitExceeded);
  }
  try {
    client.execute(BatchBuilder());
    FAIL() << "an empty batch was accepted";
  } catch (const ClientError& error) {
    EXPECT_EQ(error.code(), ResultCode::InvalidArgument);
  }
  EXPECT_EQ(code_of(client, BatchBuilder().open_account("a", "A", "EUR")), ResultCode::Ok);
}

TEST_F(TallydTest, AnUnreadableFrameRefusesTheRequestInFlightAtOnce) {
  TallydProcess& server = start({"--max-frame-bytes", "2048"});
  Client client(server.client_options());
  client.connect();
  BatchBuilder too_large;
  too_large.open_account("a", std::string(120, 'x'), "EUR");
  for (int index = 0; index < 200; ++index) {
    too_large.deposit("a", 1);
  }
  const auto started = std::chrono::steady_clock::now();
  try {
    client.execute(too_large);
    FAIL() << "a frame over --max-frame-bytes was accepted";
  } catch (const ClientError& error) {
    EXPECT_EQ(error.kind(), ClientError::Kind::kRefused);
    EXPECT_EQ(error.code(), ResultCode::LimitExceeded);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
}

TEST_F(TallydTest, PipelinedRequestsAreAllAnsweredByRequestId) {
  TallydProcess& server = start({"--max-in-flight", "8"});
  Client client(server.client_options());
  client.connect();
  client.execute(BatchBuilder().open_account("a", "A", "EUR"));
  std::vector<Id128> sent;
  for (int index = 0; index < 500; ++index) {
    sent.push_back(client.send(BatchBuilder().deposit("a", 1).deposit("a", 1)));
  }
  std::vector<Id128> answered;
  while (answered.size() < sent.size()) {
    const std::optional<client::Reply> reply = client.receive(std::chrono::seconds(10));
    ASSERT_TRUE(reply.has_value()) << "only " << answered.size() << " answers";
    const auto* result = std::get_if<BatchResult>(&reply->body);
    ASSERT_NE(result, nullptr);
    ASSERT_EQ(result->results.size(), 2u);
    EXPECT_EQ(result->results[1].code, ResultCode::Ok);
    answered.push_back(reply->request_id);
  }
  EXPECT_EQ(answered, sent);  // one connection, one logic thread: answers come in order
  EXPECT_EQ(client.in_flight(), 0u);
  EXPECT_EQ(client.execute(BatchBuilder().withdraw("a", 1)).results[0].balance, 999);
}

// The open-loop pattern of tally-load: send, poll without waiting, send again. Reads stay
// pending while earlier answers are decoded; none may be lost or read twice.
TEST_F(TallydTest, InterleavedSendsAndPollsLoseNoAnswer) {
  TallydProcess& server = start();
  Client client(server.client_options());
  client.connect();
  client.execute(BatchBuilder().open_account("a", "A", "EUR"));
  constexpr int kRequests = 20000;
  BatchBuilder deposits;
  for (int command = 0; command < 64; ++command) {
    deposits.deposit("a", 1);
  }
  std::set<uint64_t> sent;
  std::set<uint64_t> answered;
  const auto take = [&](const client::Reply& reply) {
    ASSERT_TRUE(std::holds_alternative<BatchResult>(reply.body));
    EXPECT_TRUE(sent.contains(reply.request_id.low));
    EXPECT_TRUE(answered.insert(reply.request_id.low).second) << "answered twice";
  };
  for (int index = 0; index < kRequests; ++index) {
    sent.insert(client.send(deposits).low);
    while (const std::optional<client::Reply> reply =
               client.receive(std::chrono::microseconds(0))) {
      take(*reply);
    }
  }
  while (client.in_flight() > 0) {
    const std::optional<client::Reply> reply = client.receive(std::chrono::seconds(10));
    ASSERT_TRUE(reply.has_value()) << client.in_flight() << " requests unanswered";
    take(*reply);
  }
  EXPECT_EQ(answered, sent);
  EXPECT_EQ(client.execute(BatchBuilder().withdraw("a", 1)).results[0].balance, 64 * kRequests - 1);
}

TEST_F(TallydTest, StatsCountCommandsRejectionsAndConnections) {
  TallydProcess& server = start();
  Client client(server.client_options());
  client.connect();
  client.execute(BatchBuilder().open_account("a", "A", "EUR", AccountType::Checking, 0, 100));
  client.execute(BatchBuilder().deposit("a", 20).withdraw("a", 5).withdraw("a", 1000));
  const net::ServerStats stats = client.stats();
  EXPECT_EQ(stats.requests, 2u);
  EXPECT_EQ(stats.commands, 4u);
  EXPECT_EQ(stats.rejections, 1u);
  ASSERT_EQ(stats.rejections_by_reason.size(), 1u);
  EXPECT_EQ(stats.rejections_by_reason[0].first, ResultCode::InsufficientFunds);
  EXPECT_EQ(stats.rejections_by_reason[0].second, 1u);
  EXPECT_EQ(stats.money_in, 120);
  EXPECT_EQ(stats.money_out, 5);
  EXPECT_EQ(stats.connections_open, 1u);
  EXPECT_EQ(stats.connections_accepted, 1u);
  EXPECT_EQ(stats.durable_sequence, 4u);
  EXPECT_EQ(stats.journal_lag, 0u);
}

// Stats until the last answer's write has been recorded: the client may read an answer before
// the server's write completion runs.
net::ServerStats stats_with_written_answers(Client& client) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  net::ServerStats stats = client.stats();
  const auto answers_written = [](const net::ServerStats& candidate) {
    for (const net::StageLatency& stage : candidate.stage_latencies) {
      if (stage.stage == "answer_write") {
        return stage.latency.count;
      }
    }
    return uint64_t{0};
  };
  while (answers_written(stats) == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    stats = client.stats();
  }
  return stats;
}

TEST_F(TallydTest, StatsReportTheLatencyOfEveryStageOfSampledRequests) {
  TallydProcess& server = start();
  Client client(server.client_options());
  client.connect();
  client.execute(BatchBuilder().open_account("a", "A", "EUR"));
  constexpr uint64_t kRequests = 80;  // one at a time: the logic thread takes one per group
  for (uint64_t index = 1; index < kRequests; ++index) {
    ASSERT_EQ(code_of(client, BatchBuilder().deposit("a", 1)), ResultCode::Ok);
  }
  const net::ServerStats stats = stats_with_written_answers(client);
  std::vector<std::string> names;
  for (const net::StageLatency& stage : stats.stage_latencies) {
    names.push_back(stage.stage);
    const LatencySummary& latency = stage.latency;
    SCOPED_TRACE(stage.stage);
    EXPECT_GT(latency.count, 0u);
    EXPECT_GT(latency.max_ns, 0u);
    EXPECT_LE(latency.p50_ns, latency.p90_ns);
    EXPECT_LE(latency.p90_ns, latency.p99_ns);
    EXPECT_LE(latency.p99_ns, latency.p999_ns);
    EXPECT_LE(latency.p999_ns, latency.max_ns);
    EXPECT_LT(latency.max_ns, 10'000'000'000u) << "a stage of a loopback request took seconds";
    if (stage.stage != "journal_sync") {
      // Sampled: each network thread's first request, then one in kSubmitsPerTimestamp of each
      // (here each request is a group of its own).
      EXPECT_LE(latency.count, kRequests / Ingress::kSubmitsPerTimestamp + 4);
    } else {
      EXPECT_GE(latency.count, kRequests);  // every group is synced and timed
    }
  }
  EXPECT_EQ(names, (std::vector<std::string>{"ingress_wait", "logic_apply", "durable_wait",
                                             "answer_write", "request_total", "journal_sync"}));
}

TEST_F(TallydTest, AnAcknowledgedCommandSurvivesKillNine) {
  {
    TallydProcess& server = start();
    Client client(server.client_options());
    client.connect();
    client.execute(BatchBuilder().open_account("a", "A", "EUR"));
    EXPECT_EQ(client.execute(BatchBuilder().deposit("a", 42)).results[0].code, ResultCode::Ok);
    server.kill();
  }
  TallydProcess& restarted = start();
  EXPECT_NE(restarted.log().find("events_replayed=2"), std::string::npos) << restarted.log();
  Client client(restarted.client_options());
  client.connect();
  const BatchResult result = client.execute(BatchBuilder().withdraw("a", 2));
  EXPECT_EQ(result.results[0].balance, 40);
  EXPECT_EQ(result.results[0].sequence, 3u);
}

TEST_F(TallydTest, ARetryAfterADroppedConnectionAppliesOnce) {
  TallydProcess& server = start();
  Client client(server.client_options());
  Client observer(server.client_options("observer"));
  client.connect();
  observer.connect();
  client.execute(BatchBuilder().open_account("a", "A", "EUR"));
  // Sent and applied, then the connection drops before the answer is read: the client cannot
  // know whether it applied. It reconnects and sends the same request id again.
  const Id128 request_id = client.send(BatchBuilder().deposit("a", 10));
  // One round of I/O: the frame goes out. The answer may come within it (answers are sent the
  // moment they are durable), and the client then no longer holds the request.
  const bool answered_early = client.receive(std::chrono::microseconds(0)).has_value();
  for (int wait = 0; wait < 500 && observer.stats().commands < 2; ++wait) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(observer.stats().commands, 2u) << "the deposit never reached the server";
  client.disconnect();
  if (answered_early) {
    client.send(BatchBuilder().deposit("a", 10), request_id);  // the retry, by hand
  }
  const std::optional<client::Reply> reply = client.receive(std::chrono::seconds(10));
  ASSERT_TRUE(reply.has_value()) << "reconnects " << client.reconnects() << "\n" << server.log();
  EXPECT_EQ(reply->request_id, request_id);
  const auto* result = std::get_if<BatchResult>(&reply->body);
  ASSERT_NE(result, nullptr);
  EXPECT_TRUE(result->results[0].replayed);  // answered from the window, not applied again
  EXPECT_EQ(result->results[0].balance, 10);
  EXPECT_EQ(client.reconnects(), 1u);
  EXPECT_EQ(client.execute(BatchBuilder().deposit("a", 1)).results[0].balance, 11);
  const net::ServerStats stats = observer.stats();
  EXPECT_EQ(stats.commands, 3u);  // open, the deposit once, the last deposit
  EXPECT_EQ(stats.replayed_answers, 1u);
}

TEST_F(TallydTest, SigtermFinishesThePipelineAndExitsZero) {
  constexpr int kRequests = 2000;
  std::vector<Id128> request_ids;
  uint64_t answered = 0;
  {
    TallydProcess& server = start();
    Client client(server.client_options());
    client.connect();
    client.execute(BatchBuilder().open_account("a", "A", "EUR"));
    for (int index = 0; index < kRequests; ++index) {
      request_ids.push_back(client.send(BatchBuilder().deposit("a", 1)));
    }
    (void)client.receive(std::chrono::microseconds(0));  // let the requests go out
    // Stopped while requests are in flight: what it accepted it applies, syncs and answers.
    EXPECT_EQ(server.stop(SIGTERM), 0) << server.log();
    EXPECT_NE(server.log().find("event=stopped"), std::string::npos);
    while (client.in_flight() > 0) {
      try {
        const std::optional<client::Reply> reply = client.receive(std::chrono::milliseconds(200));
        if (!reply) {
          break;
        }
        if (std::holds_alternative<BatchResult>(reply->body)) {
          ++answered;
        } else {  // refused while stopping: nothing applied
          EXPECT_EQ(std::get<client::ErrorReply>(reply->body).code, ResultCode::Unavailable);
        }
      } catch (const ClientError&) {
        break;  // gone, as it should be
      }
    }
  }
  TallydProcess& restarted = start();
  Client client(restarted.client_options());
  client.connect();
  const int64_t applied = client.execute(BatchBuilder().deposit("a", 1)).results[0].balance - 1;
  EXPECT_GE(applied, static_cast<int64_t>(answered));  // every answer was durable
  // Retrying every request with its id applies each exactly once, whatever the stop did.
  int64_t replayed = 0;
  for (const Id128& request_id : request_ids) {
    const auto outcome = client.execute(BatchBuilder().deposit("a", 1), request_id).results[0];
    EXPECT_EQ(outcome.code, ResultCode::Ok);
    replayed += outcome.replayed ? 1 : 0;
  }
  EXPECT_EQ(replayed, applied) << "answered before the stop: " << answered;
  // The probe deposit, the retries, and this one.
  EXPECT_EQ(client.execute(BatchBuilder().deposit("a", 1)).results[0].balance, kRequests + 2);
}

TEST_F(TallydTest, AConfigFileSetsOptionsAndFlagsWin) {
  const std::string config = data_ + ".toml";
  std::FILE* file = std::fopen(config.c_str(), "w");
  ASSERT_NE(file, nullptr);
  std::fputs("max-in-flight = 33\nmax-batch = 100\n", file);
  std::fclose(file);
  TallydProcess& server = start({"--config", config, "--max-batch", "200"});
  Client client(server.client_options());
  client.connect();
  EXPECT_EQ(client.server().limits.requests_in_flight_max, 33u);
  EXPECT_EQ(client.server().limits.batch_commands_max, 200u);
}

TEST_F(TallydTest, AMisspeltConfigKeyIsAnError) {
  const std::string config = data_ + ".toml";
  std::FILE* file = std::fopen(config.c_str(), "w");
  ASSERT_NE(file, nullptr);
  std::fputs("max-in-flite = 33\n", file);
  std::fclose(file);
  const testing::ProgramRun run =
      testing::run_program(std::string(TALLY_TALLYD_PATH) + " --config " + config,
                           testing::Capture::kStandardOutputAndError);
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_NE(run.output.find("max-in-flite"), std::string::npos) << run.output;
}

TEST_F(TallydTest, BadFlagsExitTwoWithAReason) {
  const testing::ProgramRun run =
      testing::run_program(std::string(TALLY_TALLYD_PATH) + " --ring-capacity 1000",
                           testing::Capture::kStandardOutputAndError);
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.output.find("ring_capacity must be a power of two"), std::string::npos);
}

// A CommandBatch of one CommandEntry whose union type is `type` but whose table is absent:
// about 100 bytes that pass the FlatBuffers verifier.
std::vector<uint8_t> tableless_command_frame(protocol::Command type, uint64_t request) {
  flatbuffers::FlatBufferBuilder builder;
  std::vector<flatbuffers::Offset<protocol::CommandEntry>> entries;
  entries.push_back(protocol::CreateCommandEntry(builder, type, /*command=*/0));
  const auto batch = protocol::CreateCommandBatchDirect(builder, false, &entries);
  const protocol::Uint128 request_id(request, 11);
  protocol::FinishRequestBuffer(
      builder, protocol::CreateRequest(builder, 1, &request_id, 0,
                                       protocol::RequestBody::CommandBatch, batch.Union()));
  const auto bytes = net::finished_bytes(builder);
  return {bytes.begin(), bytes.end()};
}

// A request whose body type is `type` but whose body table is absent.
std::vector<uint8_t> tableless_body_frame(protocol::RequestBody type, uint64_t request) {
  flatbuffers::FlatBufferBuilder builder;
  const protocol::Uint128 request_id(request, 12);
  protocol::FinishRequestBuffer(builder,
                                protocol::CreateRequest(builder, 1, &request_id, 0, type, 0));
  const auto bytes = net::finished_bytes(builder);
  return {bytes.begin(), bytes.end()};
}

std::vector<uint8_t> command_frame(const Command& command, uint64_t request) {
  const CommandBatch batch{.request_id = {.low = request, .high = 13},
                           .origin = 0,
                           .atomic = false,
                           .commands = std::span<const Command>(&command, 1)};
  flatbuffers::FlatBufferBuilder builder;
  encode_command_request(batch, builder);
  const auto bytes = net::finished_bytes(builder);
  return {bytes.begin(), bytes.end()};
}

// Issue 11: such a frame, from any client, killed tallyd with SIGSEGV (a null table read in
// the wire decoder). Each of the seven command types gets the documented answer instead (the
// command is rejected with InvalidArgument, like an unknown one; docs/protocol.md), and the
// server goes on serving that connection and new ones.
TEST_F(TallydTest, ACommandTypeWithoutItsTableIsRejectedAndTheServerCarriesOn) {
  using namespace std::chrono_literals;
  TallydProcess& server = start();
  testing::RawSocket socket(server.port());
  ASSERT_TRUE(socket.hello());
  uint64_t request = 100;
  int rejected = 0;
  for (const protocol::Command type : protocol::EnumValuesCommand()) {
    if (type == protocol::Command::NONE) {
      continue;
    }
    const std::vector<uint8_t> frame = tableless_command_frame(type, ++request);
    EXPECT_LE(frame.size(), 100u);
    ASSERT_TRUE(socket.send_frame(frame)) << protocol::EnumNameCommand(type);
    const auto answer = socket.read_frame(10s);
    ASSERT_TRUE(answer.has_value()) << protocol::EnumNameCommand(type) << ": no answer; log:\n"
                                    << server.log();
    const protocol::Response* response = testing::response_of(*answer);
    ASSERT_NE(response, nullptr);
    EXPECT_EQ(to_id128(response->request_id()), (Id128{.low = request, .high = 11}));
    ASSERT_EQ(response->body_type(), protocol::ResponseBody::CommandBatchResult)
        << protocol::EnumNameCommand(type);
    const auto* results = response->body_as_CommandBatchResult()->results();
    ASSERT_NE(results, nullptr);
    ASSERT_EQ(results->size(), 1u);
    EXPECT_EQ(results->Get(0)->code(), ResultCode::InvalidArgument)
        << protocol::EnumNameCommand(type);
    ++rejected;
  }
  EXPECT_EQ(rejected, 7);

  // The same connection goes on: a valid command is applied.
  ASSERT_TRUE(socket.send_frame(command_frame(testing::open_command("after", "EUR", 300), 1)));
  const auto answer = socket.read_frame(10s);
  ASSERT_TRUE(answer.has_value());
  const protocol::Response* response = testing::response_of(*answer);
  ASSERT_NE(response, nullptr);
  ASSERT_EQ(response->body_type(), protocol::ResponseBody::CommandBatchResult);
  EXPECT_EQ(response->body_as_CommandBatchResult()->results()->Get(0)->code(), ResultCode::Ok);

  // So does a new one, and the rejections were recorded like any other.
  Client client(server.client_options());
  client.connect();
  EXPECT_EQ(client.execute(BatchBuilder().deposit("after", 5)).results[0].balance, 305);
  const net::ServerStats stats = client.stats();
  EXPECT_EQ(stats.rejections, 7u);
  ASSERT_EQ(stats.rejections_by_reason.size(), 1u);
  EXPECT_EQ(stats.rejections_by_reason[0].first, ResultCode::InvalidArgument);
  EXPECT_EQ(server.stop(SIGTERM), 0) << server.log();
}

// The same hole for every request body: a body type whose table is absent. Those that read
// nothing from their table are answered as usual; a command batch and every query are refused
// with InvalidArgument; the server carries on.
TEST_F(TallydTest, ARequestBodyTypeWithoutItsTableIsAnsweredAndTheServerCarriesOn) {
  using namespace std::chrono_literals;
  TallydProcess& server = start();
  testing::RawSocket socket(server.port());
  ASSERT_TRUE(socket.hello());
  uint64_t request = 200;
  int queries = 0;
  for (const protocol::RequestBody type : protocol::EnumValuesRequestBody()) {
    if (type == protocol::RequestBody::RebuildProjections) {
      continue;  // reads nothing from its table either, but rebuilds: ProjectionStatusQuery tells
    }
    ASSERT_TRUE(socket.send_frame(tableless_body_frame(type, ++request)));
    const auto answer = socket.read_frame(10s);
    ASSERT_TRUE(answer.has_value()) << protocol::EnumNameRequestBody(type) << ": no answer; log:\n"
                                    << server.log();
    const protocol::Response* response = testing::response_of(*answer);
    ASSERT_NE(response, nullptr);
    EXPECT_EQ(to_id128(response->request_id()), (Id128{.low = request, .high = 12}));
    switch (type) {
      case protocol::RequestBody::Hello:
        EXPECT_EQ(response->body_type(), protocol::ResponseBody::HelloResult);
        break;
      case protocol::RequestBody::StatsQuery:
        EXPECT_EQ(response->body_type(), protocol::ResponseBody::StatsResult);
        break;
      case protocol::RequestBody::ProjectionStatusQuery:
        EXPECT_EQ(response->body_type(), protocol::ResponseBody::ProjectionStatusResult);
        break;
      default:
        ++queries;
        ASSERT_EQ(response->body_type(), protocol::ResponseBody::Error)
            << protocol::EnumNameRequestBody(type);
        EXPECT_EQ(response->body_as_Error()->code(), ResultCode::InvalidArgument)
            << protocol::EnumNameRequestBody(type);
    }
  }
  EXPECT_GE(queries, 13);  // NONE, CommandBatch and the eleven read-side queries
  Client client(server.client_options());
  client.connect();
  EXPECT_EQ(client.execute(BatchBuilder().open_account("a", "A", "EUR")).results[0].code,
            ResultCode::Ok);
  EXPECT_EQ(server.stop(SIGTERM), 0) << server.log();
}

}  // namespace
}  // namespace tally
