// Event subscriptions end to end against the real tallyd (net/server/subscription_hub.h,
// net/client/subscriber.h): the whole journal from sequence 1, live events, filters, credit,
// resuming from a sequence, across a server restart, many subscribers at once, and refusals.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "net/client/client.h"
#include "net/client/subscriber.h"
#include "net/protocol/frame.h"
#include "support/tallyd_process.h"

namespace tally {
namespace {

using client::BatchBuilder;
using client::Client;
using client::ClientError;
using client::CommandOptions;
using client::Subscriber;
using client::SubscriberOptions;
using testing::TallydProcess;
using namespace std::chrono_literals;

// What a subscriber saw: every event it was given, and the batches' ranges, checked to follow
// each other without a gap or an overlap.
struct Seen {
  std::vector<Outcome> events;
  uint64_t next_sequence = 0;  // after the last batch
  uint64_t batches = 0;
  size_t largest_batch = 0;
};

// Reads batches, waiting `poll` for each, until the subscriber has covered `through` (fails
// the test after 20 s).
Seen read_through(Subscriber& subscriber, uint64_t through,
                  std::chrono::milliseconds poll = 200ms) {
  Seen seen;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (subscriber.next_sequence() <= through) {
    if (std::chrono::steady_clock::now() > deadline) {
      ADD_FAILURE() << "the subscription reached only " << subscriber.next_sequence();
      break;
    }
    std::optional<client::EventBatchView> batch = subscriber.next(poll);
    if (!batch) {
      continue;
    }
    EXPECT_LE(batch->last_sequence(), batch->durable_sequence());
    ++seen.batches;
    seen.largest_batch = std::max(seen.largest_batch, batch->size());
    for (size_t index = 0; index < batch->size(); ++index) {
      const protocol::Event& event = (*batch)[index];
      EXPECT_GE(event.sequence(), batch->first_sequence());
      EXPECT_LE(event.sequence(), batch->last_sequence());
      if (!seen.events.empty()) {
        EXPECT_GT(event.sequence(), seen.events.back().sequence);
      }
      seen.events.push_back(client::outcome_of(event));
    }
  }
  seen.next_sequence = subscriber.next_sequence();
  return seen;
}

class SubscriptionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = testing::make_temporary_directory("subscription-test") + "/data";
  }
  void TearDown() override {
    server_.reset();
    std::system(("rm -rf " + data_.substr(0, data_.rfind('/'))).c_str());
  }
  TallydProcess& start(std::vector<std::string> arguments = {}) {
    server_ = std::make_unique<TallydProcess>(data_, std::move(arguments));
    return *server_;
  }
  Client& writer() {
    if (writer_ == nullptr) {
      writer_ = std::make_unique<Client>(server_->client_options("writer"));
      writer_->connect();
    }
    return *writer_;
  }
  // Runs `batch` and returns the sequence of its last event.
  uint64_t run(const BatchBuilder& batch) {
    const client::BatchResult result = writer().execute(batch);
    return result.results.back().sequence;
  }
  // Two accounts, money in, a transfer, a rejection, a freeze: the last sequence.
  uint64_t write_history() {
    BatchBuilder opening;
    opening.open_account("alice", "Alice", "EUR", AccountType::Checking, 0, 1'000)
        .open_account("bob", "Bob", "EUR");
    run(opening);
    CommandOptions with_text;
    with_text.transaction_text = "invoice-17";
    BatchBuilder moves;
    moves.deposit("bob", 250, with_text).transfer("alice", "bob", 300).withdraw("bob", 10'000);
    run(moves);
    BatchBuilder freezing;
    freezing.freeze("alice", "audit");
    return run(freezing);
  }
  SubscriberOptions from(uint64_t sequence) {
    SubscriberOptions options;
    options.from_sequence = sequence;
    return options;
  }

  std::string data_;
  std::unique_ptr<TallydProcess> server_;
  std::unique_ptr<Client> writer_;
};

TEST_F(SubscriptionTest, TheWholeJournalFromSequenceOneInOrder) {
  start();
  const uint64_t last = write_history();
  Subscriber subscriber(server_->client_options("tail"), from(1));
  const Seen seen = read_through(subscriber, last);
  ASSERT_EQ(seen.events.size(), last);  // every sequence has its event: nothing was cut
  for (size_t index = 0; index < seen.events.size(); ++index) {
    EXPECT_EQ(seen.events[index].sequence, index + 1);
  }
  EXPECT_EQ(seen.events[0].type, EventType::AccountOpened);
  EXPECT_EQ(seen.events[0].account_id.view(), "alice");
  EXPECT_EQ(seen.events[0].text.view(), "Alice");
  EXPECT_EQ(seen.events[0].amount, 1'000);
  EXPECT_EQ(seen.events[0].currency.to_string(), "EUR");
  EXPECT_EQ(seen.events[2].type, EventType::Deposited);
  EXPECT_EQ(seen.events[2].text.view(), "invoice-17");
  EXPECT_EQ(seen.events[2].balance, 250);
  EXPECT_EQ(seen.events[3].type, EventType::Transferred);
  EXPECT_EQ(seen.events[3].counterparty_id.view(), "bob");
  EXPECT_EQ(seen.events[3].balance, 700);
  EXPECT_EQ(seen.events[3].counterparty_balance, 550);
  EXPECT_EQ(seen.events[4].type, EventType::CommandRejected);
  EXPECT_EQ(seen.events[4].code, ResultCode::InsufficientFunds);
  EXPECT_EQ(seen.events[5].type, EventType::AccountFrozen);
  EXPECT_EQ(seen.events[5].text.view(), "audit");
}

TEST_F(SubscriptionTest, LiveEventsArriveAsTheyBecomeDurable) {
  start();
  const uint64_t before = write_history();
  Subscriber subscriber(server_->client_options("tail"), from(before + 1));
  uint64_t last = before;
  for (int round = 0; round < 20; ++round) {
    BatchBuilder deposit;
    deposit.deposit("bob", 1 + round);
    last = run(deposit);
  }
  const Seen seen = read_through(subscriber, last);
  ASSERT_EQ(seen.events.size(), 20u);
  EXPECT_EQ(seen.events.front().sequence, before + 1);
  EXPECT_EQ(seen.events.back().sequence, last);
  EXPECT_EQ(seen.events.back().amount, 20);
}

TEST_F(SubscriptionTest, FiltersByAccountAndTypeAndStillCoversEverySequence) {
  start();
  const uint64_t last = write_history();
  SubscriberOptions options = from(1);
  options.account_id = "bob";
  options.event_types = {EventType::Deposited, EventType::Transferred};
  Subscriber subscriber(server_->client_options("tail"), options);
  const Seen seen = read_through(subscriber, last);
  ASSERT_EQ(seen.events.size(), 2u);
  EXPECT_EQ(seen.events[0].type, EventType::Deposited);
  EXPECT_EQ(seen.events[1].type, EventType::Transferred);  // bob is the destination
  EXPECT_EQ(seen.next_sequence, last + 1);
}

TEST_F(SubscriptionTest, CreditBoundsEveryBatchAndIsGrantedAgain) {
  start();
  BatchBuilder opening;
  opening.open_account("carol", "Carol", "USD");
  run(opening);
  uint64_t last = 0;
  for (int round = 0; round < 10; ++round) {
    BatchBuilder deposits;
    for (int command = 0; command < 50; ++command) {
      deposits.deposit("carol", 1);
    }
    last = run(deposits);
  }
  SubscriberOptions options = from(1);
  options.credit_window = 8;
  Subscriber subscriber(server_->client_options("tail"), options);
  const Seen seen = read_through(subscriber, last);
  EXPECT_EQ(seen.events.size(), last);
  EXPECT_LE(seen.largest_batch, 8u);
  EXPECT_GE(seen.batches, last / 8);
}

TEST_F(SubscriptionTest, ResumesFromAnySequenceAndAcrossARestart) {
  start();
  const uint64_t first_part = write_history();
  Subscriber subscriber(server_->client_options("tail"), from(3));
  Seen seen = read_through(subscriber, first_part);
  ASSERT_FALSE(seen.events.empty());
  EXPECT_EQ(seen.events.front().sequence, 3u);

  // The server goes away and comes back on the same port: the subscriber reconnects and goes
  // on from where it stood, nothing missed, nothing twice.
  const uint16_t port = server_->port();
  ASSERT_EQ(server_->stop(SIGTERM), 0);
  writer_.reset();
  server_ = std::make_unique<TallydProcess>(
      data_, std::vector<std::string>{"--port", std::to_string(port)});
  BatchBuilder more;
  more.deposit("bob", 5).deposit("bob", 6);
  const uint64_t last = run(more);
  const Seen after = read_through(subscriber, last);
  ASSERT_EQ(after.events.size(), 2u);
  EXPECT_EQ(after.events.front().sequence, first_part + 1);
  EXPECT_EQ(after.events.back().amount, 6);
  EXPECT_GE(subscriber.client().reconnects(), 1u);
}

// A subscriber polled with a short wait, whose server is slow to come back: the reconnect
// takes the connect timeout it needs, not the poll's few milliseconds.
TEST_F(SubscriptionTest, ShortPollsStillGiveAReconnectTheTimeItNeeds) {
  start();
  const uint64_t first_part = write_history();
  client::ClientOptions patient = server_->client_options("tail");
  // However slowly the server starts (a sanitizer's build takes seconds): attempts at 0, 0.1,
  // 0.3, 0.7, 1.5, 3.1, 6.3 and 12.7 s.
  patient.reconnect_backoff = 100ms;
  patient.reconnect_attempts = 8;
  patient.connect_timeout = 20s;
  Subscriber subscriber(patient, from(1));
  read_through(subscriber, first_part, 5ms);
  const uint16_t port = server_->port();
  ASSERT_EQ(server_->stop(SIGTERM), 0);
  writer_.reset();
  std::thread restart([&] {
    std::this_thread::sleep_for(300ms);
    server_ = std::make_unique<TallydProcess>(
        data_, std::vector<std::string>{"--port", std::to_string(port)});
  });
  // The first polls find the server gone; one of them waits for it to come back.
  const auto give_up = std::chrono::steady_clock::now() + 20s;
  try {
    while (subscriber.client().reconnects() == 0 && std::chrono::steady_clock::now() < give_up) {
      subscriber.next(5ms);
    }
  } catch (const ClientError& error) {
    ADD_FAILURE() << "a short poll gave up reconnecting: " << error.what();
  }
  restart.join();
  ASSERT_GE(subscriber.client().reconnects(), 1u);
  BatchBuilder more;
  more.deposit("bob", 7);
  const uint64_t last = run(more);
  const Seen after = read_through(subscriber, last, 5ms);
  ASSERT_EQ(after.events.size(), 1u);
  EXPECT_EQ(after.events.front().sequence, first_part + 1);
}

TEST_F(SubscriptionTest, ManySubscribersAtOnceSeeTheSameEvents) {
  start();
  write_history();
  std::vector<std::unique_ptr<Subscriber>> subscribers;
  for (int index = 0; index < 6; ++index) {
    subscribers.push_back(std::make_unique<Subscriber>(server_->client_options("tail"),
                                                       from(index % 2 == 0 ? 1 : 4)));
  }
  uint64_t last = 0;
  for (int round = 0; round < 30; ++round) {
    BatchBuilder deposit;
    deposit.deposit("bob", 100 + round);
    last = run(deposit);
  }
  std::vector<Seen> seen;
  for (std::unique_ptr<Subscriber>& subscriber : subscribers) {
    seen.push_back(read_through(*subscriber, last));
  }
  for (size_t index = 0; index < seen.size(); ++index) {
    EXPECT_EQ(seen[index].events.size(), index % 2 == 0 ? last : last - 3);
    EXPECT_EQ(seen[index].events.back().sequence, last);
    EXPECT_EQ(seen[index].events.back().amount, 129);
  }
}

TEST_F(SubscriptionTest, ASequenceOutsideTheJournalEndsTheSubscription) {
  start();
  const uint64_t last = write_history();
  Subscriber subscriber(server_->client_options("tail"), from(last + 100));
  try {
    subscriber.next(5s);
    FAIL() << "a subscription past the journal's end was accepted";
  } catch (const ClientError& error) {
    EXPECT_EQ(error.kind(), ClientError::Kind::kRefused);
    EXPECT_EQ(error.code(), ResultCode::SequenceUnavailable);
  }
}

TEST_F(SubscriptionTest, AnUnknownEventTypeIsRefused) {
  start();
  SubscriberOptions options = from(1);
  options.event_types = {static_cast<EventType>(42)};
  Subscriber subscriber(server_->client_options("tail"), options);
  try {
    subscriber.next(5s);
    FAIL() << "an unknown event type was accepted";
  } catch (const ClientError& error) {
    EXPECT_EQ(error.code(), ResultCode::InvalidArgument);
  }
}

TEST_F(SubscriptionTest, UnsubscribeIsConfirmedAndTheConnectionCarriesOn) {
  start();
  write_history();
  Subscriber subscriber(server_->client_options("tail"), from(1));
  ASSERT_TRUE(subscriber.next(5s).has_value());
  EXPECT_TRUE(subscriber.unsubscribe());
  BatchBuilder deposit;
  deposit.deposit("bob", 1);
  run(deposit);
  EXPECT_EQ(server_->stop(SIGTERM), 0);
}

TEST_F(SubscriptionTest, ASubscriberThatNeverReadsHoldsNothingBack) {
  start();
  write_history();
  // A client that subscribes with a large credit and never reads its socket.
  Client silent(server_->client_options("silent"));
  silent.connect();
  net::SubscribeRequest request;
  request.credit = 1'000'000;
  flatbuffers::FlatBufferBuilder builder;
  const Id128 id = silent.next_request_id();
  net::encode_subscribe(builder, id, request);
  std::vector<uint8_t> frame;
  net::append_frame(frame, net::finished_bytes(builder));
  silent.send_stream(id, frame);
  silent.receive(0us);  // sends it

  Subscriber reader(server_->client_options("tail"), from(1));
  uint64_t last = 0;
  for (int round = 0; round < 40; ++round) {
    BatchBuilder deposits;
    for (int command = 0; command < 500; ++command) {
      deposits.deposit("bob", 1, {});
    }
    last = run(deposits);
  }
  const Seen seen = read_through(reader, last);
  EXPECT_EQ(seen.events.size(), last);
  const net::ServerStats stats = writer().stats();
  EXPECT_EQ(stats.connections_dropped, 0u);  // slow is not cut off
  EXPECT_LT(stats.memory_in_use_bytes, 8u << 20);
  EXPECT_EQ(stats.subscriptions_open, 2u);
  EXPECT_GE(stats.subscription_events_sent, last);  // the reader's, and what the silent took
  EXPECT_GE(stats.subscription_batches_sent, 2u);
}

}  // namespace
}  // namespace tally
