// Bad input against the real tallyd: every misbehaviour gets a clear error or a close, the
// server stays up, and a well-behaved client's requests still succeed.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>

#include "engine/wire/wire_encoder.h"
#include "net/client/client.h"
#include "net/protocol/frame.h"
#include "net/protocol/messages.h"
#include "support/raw_socket.h"
#include "support/tallyd_process.h"

namespace tally {
namespace {

using client::BatchBuilder;
using client::Client;
using client::ClientError;
using testing::RawSocket;
using testing::TallydProcess;
using namespace std::chrono_literals;

class ConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override { root_ = testing::make_temporary_directory("tallyd-connection"); }
  void TearDown() override {
    server_.reset();
    std::system(("rm -rf " + root_).c_str());
  }
  TallydProcess& start(std::vector<std::string> arguments = {}) {
    server_ = std::make_unique<TallydProcess>(root_ + "/data", std::move(arguments));
    good_ = std::make_unique<Client>(server_->client_options("good"));
    good_->connect();
    good_->execute(BatchBuilder().open_account("good", "Good", "EUR"));
    return *server_;
  }
  // The well-behaved client still gets its deposits done.
  void expect_good_client_served() {
    const auto result = good_->execute(BatchBuilder().deposit("good", 1));
    EXPECT_EQ(result.results.at(0).code, ResultCode::Ok);
  }
  // The Error the server answered with, or nullopt.
  static std::optional<std::pair<ResultCode, std::string>> error_in(RawSocket& socket) {
    const auto message = socket.read_frame(5s);
    const protocol::Response* response = message ? testing::response_of(*message) : nullptr;
    if (response == nullptr || response->body_type() != protocol::ResponseBody::Error) {
      return std::nullopt;
    }
    return std::make_pair(response->body_as_Error()->code(),
                          response->body_as_Error()->message()->str());
  }
  static std::vector<uint8_t> deposit_frame(uint64_t request) {
    const Command deposit{.type = CommandType::Deposit,
                          .account_id = "good",
                          .counterparty_id = {},
                          .owner = {},
                          .currency = {},
                          .reason = {},
                          .account_type = AccountType::Checking,
                          .amount = 1,
                          .overdraft_limit = 0,
                          .transaction_id = {},
                          .transaction_text = {},
                          .expected_version = std::nullopt,
                          .expected_counterparty_version = std::nullopt};
    flatbuffers::FlatBufferBuilder builder;
    encode_command_request(CommandBatch{.request_id = {.low = request, .high = 99},
                                        .origin = 0,
                                        .atomic = false,
                                        .commands = std::span(&deposit, 1),
                                        .fingerprint = 0},
                           builder);
    return {builder.GetBufferPointer(), builder.GetBufferPointer() + builder.GetSize()};
  }

  // Sends the same burst of 2,000 deposits again and again without reading an answer, until
  // the server drops the connection or `rounds` bursts went out. True if it was dropped.
  bool flood_without_reading(RawSocket& socket, int rounds) {
    std::vector<uint8_t> burst;
    for (uint64_t request = 1; request <= 2000; ++request) {
      net::append_frame(burst, deposit_frame(request));
    }
    for (int round = 0; round < rounds; ++round) {
      if (!socket.send_bytes(burst) || good_->stats().connections_dropped > 0) {
        return true;
      }
    }
    return false;
  }

  std::string root_;
  std::unique_ptr<TallydProcess> server_;
  std::unique_ptr<Client> good_;
};

TEST_F(ConnectionTest, AnOversizedFrameGetsAnErrorAndTheConnectionCloses) {
  TallydProcess& server = start({"--max-frame-bytes", "4096"});
  RawSocket socket(server.port());
  ASSERT_TRUE(socket.hello());
  const uint8_t header[4] = {0x01, 0x10, 0x00, 0x00};  // 4097 bytes
  socket.send_bytes(header);
  const auto error = error_in(socket);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->first, ResultCode::LimitExceeded);
  EXPECT_NE(error->second.find("max-frame-bytes"), std::string::npos);
  EXPECT_TRUE(socket.closed_by_peer(5s));
  expect_good_client_served();
  EXPECT_EQ(good_->stats().connections_dropped, 1u);
}

TEST_F(ConnectionTest, GarbageAndTruncatedFramesGetErrorsAndTheConnectionStaysUsable) {
  TallydProcess& server = start();
  RawSocket socket(server.port());
  ASSERT_TRUE(socket.hello());
  const std::vector<uint8_t> garbage(100, 0xAB);
  socket.send_frame(garbage);
  auto error = error_in(socket);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->first, ResultCode::InvalidArgument);

  std::vector<uint8_t> truncated = deposit_frame(1);
  truncated.resize(truncated.size() / 2);
  socket.send_frame(truncated);
  error = error_in(socket);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->first, ResultCode::InvalidArgument);

  const std::vector<uint8_t> empty;
  socket.send_frame(empty);
  ASSERT_TRUE(error_in(socket).has_value());

  socket.send_frame(deposit_frame(2));  // the same connection still works
  const auto answer = socket.read_frame(5s);
  ASSERT_TRUE(answer.has_value());
  const protocol::Response* response = testing::response_of(*answer);
  ASSERT_NE(response, nullptr);
  ASSERT_EQ(response->body_type(), protocol::ResponseBody::CommandBatchResult);
  EXPECT_EQ(response->body_as_CommandBatchResult()->results()->Get(0)->code(), ResultCode::Ok);
  expect_good_client_served();
}

TEST_F(ConnectionTest, AnUnknownRequestTypeGetsAnError) {
  TallydProcess& server = start();
  RawSocket socket(server.port());
  ASSERT_TRUE(socket.hello());
  // A request from a newer client: a body type this server does not know.
  flatbuffers::FlatBufferBuilder builder;
  const auto body = protocol::CreateStatsQuery(builder);
  const protocol::Uint128 request_id(5, 5);
  protocol::FinishRequestBuffer(
      builder, protocol::CreateRequest(builder, 1, &request_id, 0,
                                       static_cast<protocol::RequestBody>(77), body.Union()));
  socket.send_frame(net::finished_bytes(builder));
  const auto error = error_in(socket);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->first, ResultCode::InvalidArgument);
  EXPECT_NE(error->second.find("unknown request type"), std::string::npos);
  expect_good_client_served();
}

TEST_F(ConnectionTest, ARequestBeforeTheHelloGetsAnErrorAndACLose) {
  TallydProcess& server = start();
  RawSocket socket(server.port());
  socket.send_frame(deposit_frame(1));
  const auto error = error_in(socket);
  ASSERT_TRUE(error.has_value());
  EXPECT_NE(error->second.find("Hello"), std::string::npos);
  EXPECT_TRUE(socket.closed_by_peer(5s));
  expect_good_client_served();
}

TEST_F(ConnectionTest, BodiesWhoseTypeIsSetButWhoseTableIsMissingAreHandled) {
  TallydProcess& server = start();
  RawSocket socket(server.port());
  const auto send_empty = [&](protocol::RequestBody type, uint64_t request) {
    flatbuffers::FlatBufferBuilder builder;
    const protocol::Uint128 request_id(request, 1);
    protocol::FinishRequestBuffer(builder,
                                  protocol::CreateRequest(builder, 1, &request_id, 0, type, 0));
    socket.send_frame(net::finished_bytes(builder));
    const auto answer = socket.read_frame(5s);
    const protocol::Response* response = answer ? testing::response_of(*answer) : nullptr;
    return response == nullptr ? protocol::ResponseBody::NONE : response->body_type();
  };
  EXPECT_EQ(send_empty(protocol::RequestBody::Hello, 1), protocol::ResponseBody::HelloResult);
  EXPECT_EQ(send_empty(protocol::RequestBody::CommandBatch, 2), protocol::ResponseBody::Error);
  EXPECT_EQ(send_empty(protocol::RequestBody::StatsQuery, 3), protocol::ResponseBody::StatsResult);
  EXPECT_EQ(send_empty(protocol::RequestBody::NONE, 4), protocol::ResponseBody::Error);
  expect_good_client_served();
}

TEST_F(ConnectionTest, AnotherProtocolVersionIsRefused) {
  TallydProcess& server = start();
  RawSocket socket(server.port());
  flatbuffers::FlatBufferBuilder builder;
  const auto hello = protocol::CreateHello(builder, builder.CreateString("future"));
  const protocol::Uint128 request_id(1, 1);
  protocol::FinishRequestBuffer(
      builder, protocol::CreateRequest(builder, 2, &request_id, 0, protocol::RequestBody::Hello,
                                       hello.Union()));
  socket.send_frame(net::finished_bytes(builder));
  const auto error = error_in(socket);
  ASSERT_TRUE(error.has_value());
  EXPECT_NE(error->second.find("protocol version"), std::string::npos);
}

TEST_F(ConnectionTest, APartialFrameThatDoesNotCompleteInTimeIsDisconnected) {
  TallydProcess& server = start({"--frame-timeout-ms", "300"});
  RawSocket socket(server.port());
  ASSERT_TRUE(socket.hello());
  const std::vector<uint8_t> frame = deposit_frame(1);
  std::vector<uint8_t> framed;
  net::append_frame(framed, frame);
  socket.send_bytes(std::span(framed).first(framed.size() / 2));
  expect_good_client_served();  // while the slow one hangs
  EXPECT_TRUE(socket.closed_by_peer(5s));
  EXPECT_EQ(good_->stats().connections_dropped, 1u);
  EXPECT_NE(server.log().find("partial frame"), std::string::npos);
}

TEST_F(ConnectionTest, AConnectionWithoutHelloIsDisconnected) {
  TallydProcess& server = start({"--frame-timeout-ms", "200"});
  RawSocket silent(server.port());
  EXPECT_TRUE(silent.closed_by_peer(5s));
  expect_good_client_served();
}

TEST_F(ConnectionTest, ConnectionsOverTheLimitAreRefusedWithAnError) {
  TallydProcess& server = start({"--max-connections", "2"});
  auto second = std::make_unique<Client>(server.client_options("second"));
  second->connect();
  Client third(server.client_options("third"));
  try {
    third.connect();
    FAIL() << "a third connection was accepted with --max-connections 2";
  } catch (const ClientError& error) {
    EXPECT_EQ(error.kind(), ClientError::Kind::kRefused);
    EXPECT_EQ(error.code(), ResultCode::LimitExceeded);
  }
  expect_good_client_served();
  second.reset();  // a slot frees up
  bool connected = false;
  for (int attempt = 0; attempt < 100 && !connected; ++attempt) {
    try {
      third.connect();
      connected = true;
    } catch (const ClientError&) {
      std::this_thread::sleep_for(20ms);
    }
  }
  EXPECT_TRUE(connected);
  EXPECT_GE(good_->stats().connections_refused, 1u);
}

TEST_F(ConnectionTest, AClientThatNeverReadsIsDisconnectedAndOthersAreServed) {
  TallydProcess& server = start(
      {"--max-frame-bytes", "4096", "--max-outbox-bytes", "65536", "--max-in-flight", "100000"});
  RawSocket never_reads(server.port(), 4096);
  ASSERT_TRUE(never_reads.hello());
  // Its answers pile up unread until the server gives up on it.
  EXPECT_TRUE(flood_without_reading(never_reads, 200));
  expect_good_client_served();
  EXPECT_GE(good_->stats().connections_dropped, 1u);
  EXPECT_NE(server.log().find("passed max-outbox-bytes"), std::string::npos) << server.log();
}

// Answers may be sent on a connection's socket by the engine's thread: a connection that leaves
// with its request in flight must never have that answer land on the socket of a connection
// that came after it (and may have its descriptor number).
TEST_F(ConnectionTest, AnAnswerForAClientThatLeftNeverReachesAnotherConnection) {
  TallydProcess& server = start();
  std::atomic<bool> leaving_done{false};
  std::thread leaving([&] {
    for (uint64_t round = 0; round < 300; ++round) {
      RawSocket leaver(server.port());
      if (leaver.hello()) {
        leaver.send_frame(deposit_frame(1'000'000 + round));
      }
    }  // closed with its deposit in flight
    leaving_done = true;
  });
  uint64_t steady_rounds = 0;
  uint64_t mismatched = 0;
  while (!leaving_done || steady_rounds < 100) {
    RawSocket steady(server.port());  // a new connection: it may get a leaver's descriptor
    ASSERT_TRUE(steady.hello());
    const uint64_t request = ++steady_rounds;
    ASSERT_TRUE(steady.send_frame(deposit_frame(request)));
    const auto message = steady.read_frame(5s);
    const protocol::Response* response = message ? testing::response_of(*message) : nullptr;
    ASSERT_NE(response, nullptr);
    mismatched += response->request_id()->low() == request ? 0 : 1;
  }
  leaving.join();
  EXPECT_EQ(mismatched, 0u);
  expect_good_client_served();
}

TEST_F(ConnectionTest, AResponseWriteThatMakesNoProgressTimesOut) {
  TallydProcess& server = start({"--write-timeout-ms", "300", "--max-in-flight", "1000000"});
  RawSocket never_reads(server.port(), 4096);
  ASSERT_TRUE(never_reads.hello());
  // The answers fill the socket buffers, then the server's write stalls until the timeout.
  bool dropped = flood_without_reading(never_reads, 100);
  for (int wait = 0; wait < 100 && !dropped; ++wait) {
    std::this_thread::sleep_for(50ms);
    dropped = good_->stats().connections_dropped > 0;
  }
  EXPECT_TRUE(dropped);
  EXPECT_NE(server.log().find("made no progress"), std::string::npos) << server.log();
  expect_good_client_served();
}

TEST_F(ConnectionTest, AtTheInFlightLimitTheServerStopsReadingAndDropsNothing) {
  TallydProcess& server = start({"--max-in-flight", "2"});
  Client pipelined(server.client_options("pipelined"));
  pipelined.connect();
  for (int index = 0; index < 300; ++index) {
    pipelined.send(BatchBuilder().deposit("good", 1));
  }
  size_t answered = 0;
  while (pipelined.in_flight() > 0) {
    const auto reply = pipelined.receive(10s);
    ASSERT_TRUE(reply.has_value());
    ASSERT_TRUE(std::holds_alternative<client::BatchResult>(reply->body));
    ++answered;
  }
  EXPECT_EQ(answered, 300u);
  EXPECT_EQ(good_->execute(BatchBuilder().deposit("good", 1)).results[0].balance, 301);
  EXPECT_GT(good_->stats().read_pauses, 0u);  // it did stop reading on the way
}

}  // namespace
}  // namespace tally
