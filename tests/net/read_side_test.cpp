// The read side end to end: every query against the real tallyd, with answers worked out by
// hand from a known sequence of commands; read your own writes; and read models that come
// back the same after a restart and after a rebuild.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "engine/read/query_support.h"
#include "net/client/client.h"
#include "support/tallyd_process.h"

namespace tally {
namespace {

using client::BatchBuilder;
using client::Client;
using client::ClientError;
using client::CommandOptions;
using client::HistoryOptions;
using client::Query;
using client::QueryReply;
using client::SearchOptions;
using testing::TallydProcess;

std::string text(const flatbuffers::String* value) {
  return value == nullptr ? std::string() : value->str();
}

int32_t today() {
  return read::day_of(std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count());
}

class ReadSideTest : public ::testing::Test {
 protected:
  void SetUp() override { data_ = testing::make_temporary_directory("read-side-test") + "/data"; }
  void TearDown() override {
    server_.reset();
    std::system(("rm -rf " + data_.substr(0, data_.rfind('/'))).c_str());
  }
  TallydProcess& start(std::vector<std::string> arguments = {}) {
    server_ = std::make_unique<TallydProcess>(data_, std::move(arguments));
    return *server_;
  }
  std::unique_ptr<Client> connect() {
    auto client = std::make_unique<Client>(server_->client_options());
    client->connect();
    return client;
  }
  // The query's answer once the read models have applied `last_sequence_`.
  QueryReply ask(Client& client, Query query) {
    return client.query(query.min_sequence(last_sequence_));
  }
  // The code of the error the query is refused with (Ok if it is answered).
  ResultCode refusal(Client& client, Query query) {
    try {
      ask(client, std::move(query));
      return ResultCode::Ok;
    } catch (const ClientError& error) {
      EXPECT_EQ(error.kind(), ClientError::Kind::kRefused) << error.what();
      return error.code();
    }
  }
  // Runs the story every test below starts from; remembers the last sequence.
  void tell_the_story(Client& client) {
    const auto run = [&](const BatchBuilder& batch) {
      for (const client::CommandOutcome& outcome : client.execute(batch).results) {
        last_sequence_ = outcome.sequence;
      }
    };
    run(BatchBuilder()
            .open_account("alice", "Alice", "EUR", AccountType::Checking, 500, 1000)  // 1
            .open_account("bob", "Bob", "EUR", AccountType::Savings, 0, 0)            // 2
            .open_account("carol", "Alice", "USD", AccountType::Checking, 0, 300));   // 3
    run(BatchBuilder().deposit("alice", 250));                                        // 4
    run(BatchBuilder().withdraw("alice", 100));                                       // 5
    run(BatchBuilder().transfer("alice", "bob", 400,
                                CommandOptions::with_transaction({.low = 77, .high = 0})));  // 6
    run(BatchBuilder().withdraw("bob", 1000));                              // 7: InsufficientFunds
    run(BatchBuilder().freeze("bob", "audit"));                             // 8
    run(BatchBuilder().deposit("bob", 5));                                  // 9: AccountFrozen
    run(BatchBuilder().unfreeze("bob"));                                    // 10
    run(BatchBuilder().open_account("dave", "Dave", "EUR").close("dave"));  // 11, 12
    ASSERT_EQ(last_sequence_, 12u);
  }

  std::string data_;
  std::unique_ptr<TallydProcess> server_;
  uint64_t last_sequence_ = 0;
};

TEST_F(ReadSideTest, AccountDetailsBalanceAndLists) {
  start();
  auto client = connect();
  tell_the_story(*client);

  const QueryReply details = ask(*client, Query::account("alice"));
  EXPECT_GE(details.read_sequence(), 12u);
  const protocol::AccountDetails* alice = details.body<protocol::AccountResult>()->account();
  EXPECT_EQ(text(alice->owner()), "Alice");
  EXPECT_EQ(alice->account_type(), AccountType::Checking);
  EXPECT_EQ(text(alice->currency()), "EUR");
  EXPECT_EQ(alice->status(), AccountStatus::Active);
  EXPECT_EQ(alice->balance(), 750);  // 1000 + 250 - 100 - 400
  EXPECT_EQ(alice->overdraft_limit(), 500);
  EXPECT_EQ(alice->version(), 4u);  // opened, deposit, withdrawal, transfer
  EXPECT_EQ(alice->opened_sequence(), 1u);
  EXPECT_GT(alice->created_ns(), 0);
  EXPECT_GE(alice->updated_ns(), alice->created_ns());

  const QueryReply bob = ask(*client, Query::balance("bob"));
  EXPECT_EQ(bob.body<protocol::BalanceResult>()->balance(), 400);
  EXPECT_EQ(bob.body<protocol::BalanceResult>()->version(),
            4u);  // open, transfer, freeze, unfreeze
  EXPECT_EQ(bob.body<protocol::BalanceResult>()->status(), AccountStatus::Active);

  const QueryReply first = ask(*client, Query::accounts("", 0, 2));
  const auto* page = first.body<protocol::AccountListResult>();
  ASSERT_EQ(page->accounts()->size(), 2u);
  EXPECT_EQ(text(page->accounts()->Get(0)->account_id()), "alice");
  EXPECT_EQ(text(page->accounts()->Get(1)->account_id()), "bob");
  EXPECT_EQ(page->total(), 4u);
  ASSERT_EQ(page->next_cursor(), 2u);
  const QueryReply second = ask(*client, Query::accounts("", page->next_cursor(), 2));
  const auto* rest = second.body<protocol::AccountListResult>();
  ASSERT_EQ(rest->accounts()->size(), 2u);
  EXPECT_EQ(text(rest->accounts()->Get(0)->account_id()), "carol");
  EXPECT_EQ(rest->accounts()->Get(1)->status(), AccountStatus::Closed);
  EXPECT_EQ(rest->next_cursor(), 0u);

  const QueryReply owned = ask(*client, Query::accounts("Alice"));
  const auto* by_owner = owned.body<protocol::AccountListResult>();
  ASSERT_EQ(by_owner->accounts()->size(), 2u);
  EXPECT_EQ(text(by_owner->accounts()->Get(0)->account_id()), "alice");
  EXPECT_EQ(text(by_owner->accounts()->Get(1)->account_id()), "carol");
  EXPECT_EQ(by_owner->total(), 2u);
}

TEST_F(ReadSideTest, HistoryWithRunningBalanceAndPaging) {
  start();
  auto client = connect();
  tell_the_story(*client);

  const QueryReply newest = ask(*client, Query::history("alice", {.limit = 2}));
  const auto* page = newest.body<protocol::HistoryResult>();
  ASSERT_EQ(page->entries()->size(), 2u);
  const protocol::StatementEntry* transfer = page->entries()->Get(0);
  EXPECT_EQ(transfer->sequence(), 6u);
  EXPECT_EQ(transfer->type(), EventType::Transferred);
  EXPECT_EQ(transfer->amount(), -400);
  EXPECT_EQ(transfer->balance(), 750);
  EXPECT_EQ(text(transfer->counterparty_id()), "bob");
  ASSERT_NE(transfer->transaction_id(), nullptr);
  EXPECT_EQ(transfer->transaction_id()->low(), 77u);
  EXPECT_EQ(page->entries()->Get(1)->amount(), -100);
  EXPECT_EQ(page->entries()->Get(1)->balance(), 1150);
  ASSERT_NE(page->next_cursor(), 0u);

  const QueryReply older =
      ask(*client, Query::history("alice", {.limit = 2, .cursor = page->next_cursor()}));
  const auto* rest = older.body<protocol::HistoryResult>();
  ASSERT_EQ(rest->entries()->size(), 2u);
  EXPECT_EQ(rest->entries()->Get(0)->amount(), 250);
  EXPECT_EQ(rest->entries()->Get(0)->balance(), 1250);
  EXPECT_EQ(rest->entries()->Get(1)->type(), EventType::AccountOpened);
  EXPECT_EQ(rest->entries()->Get(1)->balance(), 1000);
  EXPECT_EQ(rest->next_cursor(), 0u);

  const QueryReply oldest =
      ask(*client, Query::history("alice", {.order = protocol::Order::OldestFirst, .limit = 3}));
  const auto* forward = oldest.body<protocol::HistoryResult>();
  ASSERT_EQ(forward->entries()->size(), 3u);
  EXPECT_EQ(forward->entries()->Get(0)->sequence(), 1u);
  EXPECT_EQ(forward->entries()->Get(2)->sequence(), 5u);
  EXPECT_EQ(forward->next_cursor(), 3u);

  // The receiving side of the transfer, and a time window that holds only the deposit.
  const QueryReply received = ask(*client, Query::history("bob"));
  const auto* bob = received.body<protocol::HistoryResult>();
  ASSERT_EQ(bob->entries()->size(), 2u);
  EXPECT_EQ(bob->entries()->Get(0)->amount(), 400);
  EXPECT_EQ(bob->entries()->Get(0)->balance(), 400);
  EXPECT_EQ(text(bob->entries()->Get(0)->counterparty_id()), "alice");
  const int64_t deposit_ns = rest->entries()->Get(0)->timestamp_ns();
  const int64_t withdrawal_ns = page->entries()->Get(1)->timestamp_ns();
  if (withdrawal_ns > deposit_ns) {  // separate requests: times differ unless the clock is coarse
    const QueryReply window =
        ask(*client, Query::history("alice", {.from_ns = deposit_ns, .to_ns = withdrawal_ns}));
    const auto* only = window.body<protocol::HistoryResult>();
    ASSERT_EQ(only->entries()->size(), 1u);
    EXPECT_EQ(only->entries()->Get(0)->sequence(), 4u);
  }
}

TEST_F(ReadSideTest, EventTrailIncludesRejections) {
  start();
  auto client = connect();
  tell_the_story(*client);

  const QueryReply reply = ask(*client, Query::event_trail("bob"));
  const auto* trail = reply.body<protocol::EventTrailResult>();
  ASSERT_EQ(trail->events()->size(), 6u);
  const std::vector<EventType> expected = {EventType::AccountOpened,   EventType::Transferred,
                                           EventType::CommandRejected, EventType::AccountFrozen,
                                           EventType::CommandRejected, EventType::AccountUnfrozen};
  for (size_t index = 0; index < expected.size(); ++index) {
    EXPECT_EQ(trail->events()->Get(static_cast<flatbuffers::uoffset_t>(index))->type(),
              expected[index])
        << index;
  }
  EXPECT_EQ(trail->events()->Get(2)->reason(), ResultCode::InsufficientFunds);
  EXPECT_EQ(text(trail->events()->Get(3)->text()), "audit");
  EXPECT_EQ(trail->events()->Get(4)->reason(), ResultCode::AccountFrozen);
  EXPECT_EQ(trail->next_cursor(), 0u);

  const QueryReply paged = ask(*client, Query::event_trail("bob", 4, 1));
  ASSERT_EQ(paged.body<protocol::EventTrailResult>()->events()->size(), 1u);
  EXPECT_EQ(paged.body<protocol::EventTrailResult>()->events()->Get(0)->sequence(), 9u);
  EXPECT_EQ(paged.body<protocol::EventTrailResult>()->next_cursor(), 5u);
}

TEST_F(ReadSideTest, ReserveTopAccountsAndSummary) {
  start();
  auto client = connect();
  tell_the_story(*client);

  const QueryReply reserve = ask(*client, Query::reserve());
  const auto* currencies = reserve.body<protocol::ReserveResult>()->currencies();
  ASSERT_EQ(currencies->size(), 2u);
  const protocol::CurrencyReserve* euro = currencies->Get(0);
  EXPECT_EQ(text(euro->currency()), "EUR");
  EXPECT_EQ(from_wire_int128(*euro->total_balance()), 1150);  // 750 + 400 + 0
  EXPECT_EQ(euro->accounts(), 3u);
  EXPECT_EQ(euro->active(), 2u);
  EXPECT_EQ(euro->frozen(), 0u);
  EXPECT_EQ(euro->closed(), 1u);
  EXPECT_EQ(text(currencies->Get(1)->currency()), "USD");
  EXPECT_EQ(from_wire_int128(*currencies->Get(1)->total_balance()), 300);

  const QueryReply top = ask(*client, Query::top_accounts("EUR", 5));
  const auto* ranked = top.body<protocol::TopAccountsResult>()->accounts();
  ASSERT_EQ(ranked->size(), 2u);  // dave is closed
  EXPECT_EQ(text(ranked->Get(0)->account_id()), "alice");
  EXPECT_EQ(ranked->Get(0)->balance(), 750);
  EXPECT_EQ(text(ranked->Get(1)->account_id()), "bob");

  const QueryReply alice = ask(*client, Query::summary("alice"));
  const auto* summary = alice.body<protocol::AccountSummaryResult>();
  EXPECT_EQ(from_wire_int128(*summary->deposited()), 1250);
  EXPECT_EQ(summary->deposits(), 2u);
  EXPECT_EQ(from_wire_int128(*summary->withdrawn()), 100);
  EXPECT_EQ(summary->withdrawals(), 1u);
  EXPECT_EQ(from_wire_int128(*summary->transferred_out()), 400);
  EXPECT_EQ(summary->transfers_out(), 1u);
  EXPECT_EQ(summary->transfers_in(), 0u);
  EXPECT_EQ(summary->rejections(), 0u);
  EXPECT_LE(summary->first_activity_ns(), summary->last_activity_ns());

  const QueryReply bob = ask(*client, Query::summary("bob"));
  EXPECT_EQ(bob.body<protocol::AccountSummaryResult>()->transfers_in(), 1u);
  EXPECT_EQ(from_wire_int128(*bob.body<protocol::AccountSummaryResult>()->transferred_in()), 400);
  EXPECT_EQ(bob.body<protocol::AccountSummaryResult>()->rejections(), 2u);
}

TEST_F(ReadSideTest, DailyBalancesSearchAndBalanceAsOf) {
  start();
  auto client = connect();
  tell_the_story(*client);

  const QueryReply daily = ask(*client, Query::daily_balances("alice", today() - 2, today() + 2));
  const auto* days = daily.body<protocol::DailyBalancesResult>()->days();
  ASSERT_EQ(days->size(), 1u);  // opened today; days to come are not known yet
  EXPECT_EQ(days->Get(0)->day(), today());
  EXPECT_EQ(days->Get(0)->balance(), 750);

  const QueryReply withdrawals =
      ask(*client, Query::search({.account_id = "alice", .type = EventType::Withdrawn}));
  const auto* found = withdrawals.body<protocol::TransactionSearchResult>()->events();
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ(found->Get(0)->sequence(), 5u);

  const QueryReply large = ask(*client, Query::search({.account_id = "", .min_amount = 300}));
  const auto* big = large.body<protocol::TransactionSearchResult>()->events();
  ASSERT_EQ(big->size(), 3u);  // alice's opening 1000, carol's opening 300, the transfer 400
  EXPECT_EQ(big->Get(0)->sequence(), 1u);
  EXPECT_EQ(big->Get(1)->sequence(), 3u);
  EXPECT_EQ(big->Get(2)->sequence(), 6u);

  const QueryReply one =
      ask(*client, Query::search({.account_id = "", .type = EventType::AccountOpened, .limit = 1}));
  const auto* first = one.body<protocol::TransactionSearchResult>();
  ASSERT_EQ(first->events()->size(), 1u);
  ASSERT_NE(first->next_cursor(), 0u);
  const QueryReply next = ask(*client, Query::search({.account_id = "",
                                                      .type = EventType::AccountOpened,
                                                      .limit = 10,
                                                      .cursor = first->next_cursor()}));
  const auto* after = next.body<protocol::TransactionSearchResult>()->events();
  ASSERT_EQ(after->size(), 1u);  // carol; bob and dave opened with nothing: no money moved
  EXPECT_EQ(after->Get(0)->sequence(), 3u);

  EXPECT_EQ(ask(*client, Query::balance_at_sequence("alice", 5))
                .body<protocol::BalanceAsOfResult>()
                ->balance(),
            1150);
  EXPECT_EQ(ask(*client, Query::balance_at_sequence("alice", 3))
                .body<protocol::BalanceAsOfResult>()
                ->balance(),
            1000);
  EXPECT_FALSE(ask(*client, Query::balance_at_sequence("bob", 1))
                   .body<protocol::BalanceAsOfResult>()
                   ->existed());
  const int64_t transfer_ns = ask(*client, Query::history("alice", {.limit = 1}))
                                  .body<protocol::HistoryResult>()
                                  ->entries()
                                  ->Get(0)
                                  ->timestamp_ns();
  EXPECT_EQ(ask(*client, Query::balance_at_time("bob", transfer_ns))
                .body<protocol::BalanceAsOfResult>()
                ->balance(),
            400);
}

TEST_F(ReadSideTest, BadQueriesGetClearErrors) {
  start();
  auto client = connect();
  tell_the_story(*client);
  EXPECT_EQ(refusal(*client, Query::account("nobody")), ResultCode::AccountNotFound);
  EXPECT_EQ(refusal(*client, Query::account("")), ResultCode::InvalidArgument);
  EXPECT_EQ(refusal(*client, Query::history("alice", {.limit = 5000})), ResultCode::LimitExceeded);
  EXPECT_EQ(refusal(*client, Query::history("alice", {.limit = 0})), ResultCode::InvalidArgument);
  EXPECT_EQ(refusal(*client, Query::history("alice", {.from_ns = 10, .to_ns = 5})),
            ResultCode::InvalidArgument);
  EXPECT_EQ(refusal(*client, Query::daily_balances("alice", 20000, 19000)),
            ResultCode::InvalidArgument);
  EXPECT_EQ(refusal(*client, Query::daily_balances("alice", 0, 20000)), ResultCode::LimitExceeded);
  EXPECT_EQ(refusal(*client, Query::top_accounts("eu")), ResultCode::InvalidArgument);
  EXPECT_EQ(refusal(*client, Query::top_accounts("EUR", 101)), ResultCode::LimitExceeded);
  EXPECT_EQ(refusal(*client, Query::search({.account_id = "", .min_amount = 10, .max_amount = 5})),
            ResultCode::InvalidArgument);
  EXPECT_EQ(refusal(*client, Query::search({.account_id = "", .type = EventType::AccountFrozen})),
            ResultCode::InvalidArgument);
  EXPECT_EQ(refusal(*client, Query::balance_at_sequence("alice", 999)),
            ResultCode::InvalidArgument);
  EXPECT_EQ(refusal(*client, Query::balance_at_time("alice", 0)), ResultCode::InvalidArgument);
  // The connection is still good.
  EXPECT_EQ(ask(*client, Query::balance("alice")).body<protocol::BalanceResult>()->balance(), 750);
}

TEST_F(ReadSideTest, MinSequenceNotReachedTimesOut) {
  start({"--read-wait-ms", "200"});
  auto client = connect();
  tell_the_story(*client);
  const auto started = std::chrono::steady_clock::now();
  try {
    client->query(Query::balance("alice").min_sequence(1'000'000));
    FAIL() << "a sequence that never comes was answered";
  } catch (const ClientError& error) {
    EXPECT_EQ(error.code(), ResultCode::Timeout) << error.what();
  }
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(200));
  const net::ProjectionReport status = client->projection_status();
  ASSERT_EQ(status.projectors.size(), 2u);
  EXPECT_EQ(status.projectors[0].name, "accounts");
  EXPECT_EQ(status.projectors[0].queries_timed_out, 1u);
}

// One client commits deposits and reads each one back at once with its sequence while another
// floods the server: every read must show the write it waited for.
TEST_F(ReadSideTest, ReadYourOwnWritesUnderLoad) {
  // The property is that a query waits for its own write, however far the projector lags: on a
  // machine loaded by other tests (or TSan) the lag can pass the default wait, so this server
  // waits as long as the client does.
  start({"--read-wait-ms", "9000"});
  auto writer = connect();
  writer->execute(
      BatchBuilder().open_account("mine", "Me", "EUR").open_account("busy", "B", "EUR"));
  std::atomic<bool> done{false};
  std::thread flood([&] {
    Client other(server_->client_options("flood"));
    other.connect();
    BatchBuilder batch;
    for (int index = 0; index < 64; ++index) {
      batch.deposit("busy", 1);
    }
    // Bounded (32 bursts, 32,768 deposits): enough lag to make every early query wait, yet a
    // projector at nice 10 under a sanitizer on a loaded machine catches up within the wait; an
    // unbounded closed-loop flood can outrun it there for good.
    for (int burst = 0; burst < 32 && !done.load(); ++burst) {
      for (int request = 0; request < 16; ++request) {
        other.send(batch);
      }
      while (other.in_flight() > 0) {
        other.receive(std::chrono::seconds(5));
      }
    }
  });
  // Stops and joins the flood however this test ends (an ASSERT returns early).
  struct StopFlood {
    std::atomic<bool>& done;
    std::thread& flood;
    ~StopFlood() {
      done.store(true);
      flood.join();
    }
  } stop_flood{done, flood};
  int64_t expected = 0;
  for (int round = 1; round <= 150; ++round) {
    const client::CommandOutcome outcome =
        writer->execute(BatchBuilder().deposit("mine", round)).results.at(0);
    ASSERT_EQ(outcome.code, ResultCode::Ok);
    expected += round;
    const QueryReply balance = writer->query(Query::balance("mine").min_sequence(outcome.sequence));
    ASSERT_GE(balance.read_sequence(), outcome.sequence);
    ASSERT_EQ(balance.body<protocol::BalanceResult>()->balance(), expected) << round;
    const QueryReply history =
        writer->query(Query::history("mine", {.limit = 1}).min_sequence(outcome.sequence));
    ASSERT_EQ(history.body<protocol::HistoryResult>()->entries()->Get(0)->sequence(),
              outcome.sequence);
  }
}

// The queries whose answers must not change across a restart or a rebuild, always with the
// same request ids, so that equal read models give byte-equal responses.
std::vector<Query> every_query() {
  return {Query::account("alice"),
          Query::balance("bob"),
          Query::accounts(""),
          Query::accounts("Alice"),
          Query::history("alice"),
          Query::history("bob", {.order = protocol::Order::OldestFirst}),
          Query::event_trail("bob"),
          Query::reserve(),
          Query::top_accounts("EUR"),
          Query::summary("bob"),
          Query::daily_balances("alice", today() - 3, today()),
          Query::search({.account_id = "", .min_amount = 1}),
          Query::balance_at_sequence("alice", 5)};
}

std::vector<std::vector<uint8_t>> answers(Client& client, uint64_t min_sequence) {
  std::vector<std::vector<uint8_t>> all;
  uint64_t id = 1;
  for (Query& query : every_query()) {
    all.push_back(
        client.query(query.min_sequence(min_sequence), {.low = id++, .high = 42}).message);
  }
  return all;
}

TEST_F(ReadSideTest, ReadModelsAfterARestartEqualThoseBefore) {
  start();
  std::vector<std::vector<uint8_t>> before;
  {
    auto client = connect();
    tell_the_story(*client);
    before = answers(*client, last_sequence_);
  }
  ASSERT_EQ(server_->stop(SIGTERM), 0);
  start();
  auto client = connect();
  const std::vector<std::vector<uint8_t>> after = answers(*client, last_sequence_);
  ASSERT_EQ(after.size(), before.size());
  for (size_t index = 0; index < before.size(); ++index) {
    EXPECT_EQ(after[index], before[index]) << "query " << index;
  }
}

TEST_F(ReadSideTest, ARebuildEqualsTheLiveModels) {
  start();
  auto client = connect();
  tell_the_story(*client);
  const std::vector<std::vector<uint8_t>> live = answers(*client, last_sequence_);
  const QueryReply started = client->query(Query::rebuild_projections());
  ASSERT_NE(started.body<protocol::ProjectionStatusResult>(), nullptr);
  const std::vector<std::vector<uint8_t>> rebuilt = answers(*client, last_sequence_);
  for (size_t index = 0; index < live.size(); ++index) {
    EXPECT_EQ(rebuilt[index], live[index]) << "query " << index;
  }
  const net::ProjectionReport status = client->projection_status();
  for (const ProjectorStatus& projector : status.projectors) {
    EXPECT_EQ(projector.rebuilds, 1u) << projector.name;
    EXPECT_EQ(projector.applied_sequence, last_sequence_) << projector.name;
    EXPECT_EQ(projector.lag, 0u) << projector.name;
    EXPECT_EQ(projector.events_applied, last_sequence_) << projector.name;
  }
}

}  // namespace
}  // namespace tally
