// Projectors in a running engine: they follow the durable journal on their own threads, a
// stalled one never holds up commands (it catches up from the journal afterwards), queries
// wait for their min_sequence, and a model rebuilt from the journal answers exactly as the
// live one does.
#include "engine/read/projector.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "engine/journal/journaler.h"
#include "engine/journal/posix_storage.h"
#include "engine/pipeline/pipeline.h"
#include "engine/read/account_model.h"
#include "engine/read/history_model.h"
#include "engine/wire/wire_encoder.h"
#include "support/ledger_harness.h"
#include "support/pipeline_harness.h"

namespace tally::read {
namespace {

using namespace std::chrono_literals;
using tally::testing::deposit_command;
using tally::testing::open_command;
using tally::testing::submit;
using tally::testing::transfer_command;
using tally::testing::withdraw_command;

// Keeps every answer, by origin, and lets a test wait for one.
class CapturingSink final : public AnswerSink {
 public:
  void deliver(uint64_t origin, std::span<const uint8_t> response) override {
    const std::lock_guard lock(mutex_);
    answers_[origin].assign(response.begin(), response.end());
    arrived_.notify_all();
  }
  // The answer for `origin`, or an empty vector if none came within `timeout`.
  std::vector<uint8_t> wait_for(uint64_t origin, std::chrono::milliseconds timeout = 10s) {
    std::unique_lock lock(mutex_);
    arrived_.wait_for(lock, timeout, [&] { return answers_.contains(origin); });
    const auto found = answers_.find(origin);
    if (found == answers_.end()) {
      return {};
    }
    std::vector<uint8_t> answer = std::move(found->second);
    answers_.erase(found);
    return answer;
  }

 private:
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::map<uint64_t, std::vector<uint8_t>> answers_;
};

// A read model whose apply() waits while the gate is closed: a projector that has fallen
// behind as far as a test likes.
class GatedModel final : public ReadModel {
 public:
  GatedModel(std::unique_ptr<ReadModel> inner, std::atomic<bool>& open)
      : inner_(std::move(inner)), open_(open) {}
  std::string_view name() const override { return inner_->name(); }
  bool answers(protocol::RequestBody type) const override { return inner_->answers(type); }
  Status apply(const Outcome& event, journal::JournalPosition position) override {
    while (!open_.load()) {
      std::this_thread::sleep_for(1ms);
    }
    return inner_->apply(event, position);
  }
  void reset() override { inner_->reset(); }
  QueryAnswer answer(const protocol::Request& request,
                     flatbuffers::FlatBufferBuilder& builder) override {
    return inner_->answer(request, builder);
  }

 private:
  std::unique_ptr<ReadModel> inner_;
  std::atomic<bool>& open_;
};

// A verified-looking query frame (the projector trusts the network layer's verification).
template <typename MakeBody>
std::unique_ptr<QueryJob> query_job(uint64_t origin, uint64_t min_sequence,
                                    protocol::RequestBody type, MakeBody make_body) {
  flatbuffers::FlatBufferBuilder builder;
  const auto body = make_body(builder);
  const protocol::Uint128 request_id(origin, 7);
  protocol::FinishRequestBuffer(
      builder, protocol::CreateRequest(builder, 1, &request_id, min_sequence, type, body.Union()));
  auto job = std::make_unique<QueryJob>();
  job->origin = origin;
  job->deadline = std::chrono::steady_clock::now() + 10s;
  job->frame.assign(builder.GetBufferPointer(), builder.GetBufferPointer() + builder.GetSize());
  return job;
}

std::unique_ptr<QueryJob> balance_job(uint64_t origin, std::string_view account,
                                      uint64_t min_sequence = 0) {
  return query_job(origin, min_sequence, protocol::RequestBody::BalanceQuery, [&](auto& builder) {
    return protocol::CreateBalanceQuery(builder, builder.CreateString(account));
  });
}

const protocol::Response* response_of(const std::vector<uint8_t>& answer) {
  return answer.empty() ? nullptr : flatbuffers::GetRoot<protocol::Response>(answer.data());
}

class ProjectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/tally-projector-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    data = pattern;
    journal_directory = data + "/journal";
    ASSERT_EQ(::mkdir(journal_directory.c_str(), 0755), 0);
    // Small segments: the projectors must cross many of them.
    writer = std::make_unique<journal::JournalWriter>(
        storage,
        journal::JournalWriterConfig{.directory = journal_directory, .segment_bytes = 1 << 16});
    ASSERT_TRUE(writer->open({}, 0).is_ok());
    journaler = std::make_unique<journal::Journaler>(*writer, journal::SyncPolicy::kEveryBatch);
  }
  void TearDown() override { std::system(("rm -rf " + data).c_str()); }

  std::unique_ptr<Projector> make_projector(std::unique_ptr<ReadModel> model, AnswerSink& sink,
                                            CheckpointPolicy checkpoints = {}) {
    return std::make_unique<Projector>(
        storage, journal_directory, [this] { return journaler->durable_sequence(); },
        std::move(model), sink, std::move(checkpoints));
  }
  std::unique_ptr<ReadModel> history_model() {
    return std::make_unique<HistoryModel>(storage, journal_directory);
  }
  // Writes `events` to the journal, durable, as if a server had written them.
  void journal(const std::vector<Outcome>& events) {
    for (const Outcome& event : events) {
      ASSERT_TRUE(writer->append(event).is_ok());
    }
    ASSERT_TRUE(writer->sync().is_ok());
    journaler = std::make_unique<journal::Journaler>(*writer, journal::SyncPolicy::kEveryBatch);
  }
  void expect_projector_stops(const std::function<void(Outcome&)>& spoil,
                              const std::string& failure);
  static bool wait_until_failed(const Projector& projector) {
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (!projector.status().failed) {
      if (std::chrono::steady_clock::now() > deadline) {
        return false;
      }
      std::this_thread::sleep_for(1ms);
    }
    return true;
  }
  static bool wait_until_applied(const Projector& projector, uint64_t sequence) {
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (projector.status().applied_sequence < sequence) {
      if (std::chrono::steady_clock::now() > deadline) {
        return false;
      }
      std::this_thread::sleep_for(1ms);
    }
    return true;
  }

  std::string data;
  std::string journal_directory;
  journal::PosixStorage storage;
  std::unique_ptr<journal::JournalWriter> writer;
  std::unique_ptr<journal::Journaler> journaler;
};

// The ring holds 1,024 entries; the stalled projector is 25,000 events behind. Commands are
// never held up because projectors do not read the ring: they catch up from the journal.
TEST_F(ProjectorTest, AStalledProjectorNeverHoldsUpCommands) {
  std::atomic<bool> gate_open{false};
  CapturingSink sink;
  const std::unique_ptr<Projector> projector = make_projector(
      std::make_unique<GatedModel>(std::make_unique<AccountModel>(), gate_open), sink);
  projector->start();

  PipelineConfig config;
  config.ring_capacity = 1024;
  config.ledger.batch_commands_max = 64;
  config.ingress.batch_commands_max = 64;
  tally::testing::AcknowledgementRecorder acknowledged;
  Pipeline pipeline(config);
  const OutcomeConsumer& journal_consumer = pipeline.add_consumer("journal", *journaler);
  pipeline.add_consumer("acknowledge", acknowledged, {&journal_consumer});
  pipeline.start();
  const Command opens[] = {open_command("a", "EUR", 1000), open_command("b", "EUR", 0)};
  ASSERT_EQ(submit(pipeline.ingress(), tally::testing::frame_of(opens, 1), 1), ResultCode::Ok);
  constexpr uint64_t kRequests = 500;
  std::vector<Command> commands;
  for (int index = 0; index < 25; ++index) {
    commands.push_back(deposit_command("a", 2));
    commands.push_back(transfer_command("a", "b", 1));
  }
  for (uint64_t request = 0; request < kRequests; ++request) {
    ASSERT_EQ(submit(pipeline.ingress(), tally::testing::frame_of(commands, request + 10), 1),
              ResultCode::Ok);
  }
  pipeline.stop();
  const uint64_t last = 2 + kRequests * commands.size();
  EXPECT_EQ(acknowledged.highest_acknowledged, last);   // every command answered...
  EXPECT_EQ(projector->status().applied_sequence, 0u);  // ...while the projector applied none

  // A query that must see everything is not answered early.
  projector->submit(balance_job(1, "b", last));
  EXPECT_TRUE(sink.wait_for(1, 20ms).empty());

  gate_open.store(true);
  ASSERT_TRUE(wait_until_applied(*projector, last));
  const std::vector<uint8_t> answer = sink.wait_for(1);
  const protocol::Response* response = response_of(answer);
  ASSERT_NE(response, nullptr);
  ASSERT_EQ(response->body_type(), protocol::ResponseBody::BalanceResult);
  EXPECT_EQ(response->body_as_BalanceResult()->balance(), static_cast<int64_t>(kRequests * 25));
  EXPECT_GE(response->read_sequence(), last);
  EXPECT_EQ(projector->status().events_applied, last);
  projector->stop();
}

TEST_F(ProjectorTest, AQueryTimesOutIfItsSequenceNeverComes) {
  CapturingSink sink;
  const std::unique_ptr<Projector> projector =
      make_projector(std::make_unique<AccountModel>(), sink);
  projector->start();
  std::unique_ptr<QueryJob> job = balance_job(3, "a", 1'000);
  job->deadline = std::chrono::steady_clock::now() + 50ms;
  projector->submit(std::move(job));
  const std::vector<uint8_t> answer = sink.wait_for(3);
  const protocol::Response* response = response_of(answer);
  ASSERT_NE(response, nullptr);
  ASSERT_EQ(response->body_type(), protocol::ResponseBody::Error);
  EXPECT_EQ(response->body_as_Error()->code(), ResultCode::Timeout);
  EXPECT_EQ(projector->status().queries_timed_out, 1u);
}

// After a restart a model is rebuilt from the journal: until it holds what recovery found, it
// answers nothing (a balance of 156.15 was printed while the ledger held 655.20).
TEST_F(ProjectorTest, ARebuildingModelAnswersNothingBeforeTheRecoveredSequence) {
  const std::vector<Outcome> events = tally::testing::make_deposit_events(300);
  for (const Outcome& event : events) {
    ASSERT_TRUE(writer->append(event).is_ok());
  }
  ASSERT_TRUE(writer->sync().is_ok());
  journaler = std::make_unique<journal::Journaler>(*writer, journal::SyncPolicy::kEveryBatch);
  CapturingSink sink;
  // Recovery found more than this journal will ever hold: the model can never get there.
  const std::unique_ptr<Projector> short_of_it =
      make_projector(std::make_unique<AccountModel>(), sink);
  short_of_it->start(/*recovered_sequence=*/400);
  std::unique_ptr<QueryJob> early = balance_job(5, "acc-0000001");  // no min_sequence
  early->deadline = std::chrono::steady_clock::now() + 100ms;
  short_of_it->submit(std::move(early));
  const std::vector<uint8_t> refused = sink.wait_for(5);
  const protocol::Response* response = response_of(refused);
  ASSERT_NE(response, nullptr);
  ASSERT_EQ(response->body_type(), protocol::ResponseBody::Error);
  EXPECT_EQ(response->body_as_Error()->code(), ResultCode::Unavailable);
  EXPECT_NE(response->body_as_Error()->message()->str().find("at sequence 300 of 400"),
            std::string::npos)
      << response->body_as_Error()->message()->str();
  short_of_it->stop();
  // Asked at once after start, before anything is applied: answered only from the whole state.
  const std::unique_ptr<Projector> projector =
      make_projector(std::make_unique<AccountModel>(), sink);
  projector->start(/*recovered_sequence=*/300);
  projector->submit(balance_job(6, "acc-0000001"));
  const std::vector<uint8_t> answer = sink.wait_for(6);
  const protocol::Response* answered = response_of(answer);
  ASSERT_NE(answered, nullptr);
  ASSERT_EQ(answered->body_type(), protocol::ResponseBody::BalanceResult);
  EXPECT_EQ(answered->body_as_BalanceResult()->balance(), 299 * 300 / 2);
  EXPECT_GE(answered->read_sequence(), 300u);
  projector->stop();
}

// A request a crash cut (its first events journaled, never its last) is never applied: the
// projector hands the model the next sequence but for the events dropped.
TEST_F(ProjectorTest, ARequestACrashCutIsSkippedAndTheRestApplied) {
  std::vector<Outcome> events = tally::testing::make_deposit_events(4);  // 0, +1, +2, +3
  events[1].flags &= ~kLastInRequest;  // +1 was cut: the deposits after it build on 0
  events[2].balance = 2;
  events[2].version = 2;
  events[3].balance = 5;
  events[3].version = 3;
  journal(events);
  CapturingSink sink;
  const std::unique_ptr<Projector> projector =
      make_projector(std::make_unique<AccountModel>(), sink);
  projector->start();
  ASSERT_TRUE(wait_until_applied(*projector, 4));
  projector->submit(balance_job(7, "acc-0000001", 4));
  const std::vector<uint8_t> answer = sink.wait_for(7);
  const protocol::Response* response = response_of(answer);
  ASSERT_NE(response, nullptr);
  ASSERT_EQ(response->body_type(), protocol::ResponseBody::BalanceResult);
  EXPECT_EQ(response->body_as_BalanceResult()->balance(), 5);
  EXPECT_EQ(projector->status().events_applied, 3u);
  EXPECT_FALSE(projector->status().failed);
  projector->stop();
}

// What the journal says is checked on the way in: an event whose time goes back, or that does
// not fit the model, stops that projector (its queries answered Unavailable), never the process.
// `spoil` changes the third of four events; `failure` is what the projector must then say.
void ProjectorTest::expect_projector_stops(const std::function<void(Outcome&)>& spoil,
                                           const std::string& failure) {
  std::vector<Outcome> events = tally::testing::make_deposit_events(4);
  spoil(events[2]);
  journal(events);
  CapturingSink sink;
  const std::unique_ptr<Projector> projector = make_projector(history_model(), sink);
  projector->start();
  ASSERT_TRUE(wait_until_failed(*projector));
  EXPECT_EQ(projector->status().applied_sequence, 2u);
  EXPECT_EQ(projector->failure().code(), StatusCode::kCorruption);
  const std::string& why = projector->failure().message();
  EXPECT_NE(why.find("journal segment 0 offset "), std::string::npos) << why;
  EXPECT_NE(why.find(failure), std::string::npos) << why;
  projector->submit(query_job(8, 0, protocol::RequestBody::HistoryQuery, [](auto& builder) {
    return protocol::CreateHistoryQuery(builder, builder.CreateString("acc-0000001"),
                                        protocol::Order::OldestFirst, 0, 0, 10);
  }));
  const std::vector<uint8_t> answer = sink.wait_for(8);
  const protocol::Response* response = response_of(answer);
  ASSERT_NE(response, nullptr);
  ASSERT_EQ(response->body_type(), protocol::ResponseBody::Error);
  EXPECT_EQ(response->body_as_Error()->code(), ResultCode::Unavailable);
  EXPECT_NE(response->body_as_Error()->message()->str().find("this read model stopped"),
            std::string::npos);
  projector->stop();
}

TEST_F(ProjectorTest, AJournalWhoseTimeGoesBackStopsTheProjectorNotTheProcess) {
  expect_projector_stops([](Outcome& event) { event.timestamp_ns -= 2000; }, "event 3 is at");
}

TEST_F(ProjectorTest, AnEventTheModelRefusesStopsTheProjectorNotTheProcess) {
  expect_projector_stops([](Outcome& event) { event.account_id.assign("ghost"); },
                         "event 3 (Deposited) names account 'ghost', which was never opened");
}

// Queries whose answers cover every read model, for every account of the workload.
std::vector<std::unique_ptr<QueryJob>> every_query(const std::vector<std::string>& accounts,
                                                   uint64_t min_sequence) {
  std::vector<std::unique_ptr<QueryJob>> jobs;
  uint64_t origin = 1000;
  const auto add = [&](protocol::RequestBody type, auto make_body) {
    jobs.push_back(query_job(origin++, min_sequence, type, make_body));
  };
  for (const std::string& account : accounts) {
    add(protocol::RequestBody::AccountQuery, [&](auto& builder) {
      return protocol::CreateAccountQuery(builder, builder.CreateString(account));
    });
    add(protocol::RequestBody::AccountSummaryQuery, [&](auto& builder) {
      return protocol::CreateAccountSummaryQuery(builder, builder.CreateString(account));
    });
    add(protocol::RequestBody::HistoryQuery, [&](auto& builder) {
      return protocol::CreateHistoryQuery(builder, builder.CreateString(account),
                                          protocol::Order::OldestFirst, 0, 0, 1000);
    });
    add(protocol::RequestBody::EventTrailQuery, [&](auto& builder) {
      return protocol::CreateEventTrailQuery(builder, builder.CreateString(account), 0, 1000);
    });
    add(protocol::RequestBody::BalanceAsOfQuery, [&](auto& builder) {
      return protocol::CreateBalanceAsOfQuery(builder, builder.CreateString(account), 0,
                                              min_sequence / 2);
    });
  }
  add(protocol::RequestBody::ReserveQuery,
      [](auto& builder) { return protocol::CreateReserveQuery(builder); });
  add(protocol::RequestBody::TopAccountsQuery, [](auto& builder) {
    return protocol::CreateTopAccountsQuery(builder, builder.CreateString("EUR"), 100);
  });
  add(protocol::RequestBody::AccountListQuery,
      [](auto& builder) { return protocol::CreateAccountListQuery(builder, 0, 0, 1000); });
  add(protocol::RequestBody::TransactionSearchQuery, [](auto& builder) {
    return protocol::CreateTransactionSearchQuery(builder, 0, EventType::Unknown, 5, 0, 0, 0, 1000);
  });
  return jobs;
}

// Asks each query of the projector that answers it; returns the answers in order.
std::vector<std::vector<uint8_t>> ask_all(std::vector<std::unique_ptr<QueryJob>> jobs,
                                          Projector& accounts, Projector& history,
                                          CapturingSink& sink) {
  std::vector<std::vector<uint8_t>> answers;
  for (std::unique_ptr<QueryJob>& job : jobs) {
    const uint64_t origin = job->origin;
    const auto type = protocol::GetRequest(job->frame.data())->body_type();
    (accounts.answers(type) ? accounts : history).submit(std::move(job));
    answers.push_back(sink.wait_for(origin));
    EXPECT_FALSE(answers.back().empty()) << "no answer for origin " << origin;
  }
  return answers;
}

// Random commands (many rejected) on 12 accounts, through a pipeline into the journal: the
// accounts' ids in `accounts`; the last sequence. `between` runs after each request is queued.
uint64_t journal_random_requests(journal::Journaler& journaler, std::vector<std::string>& accounts,
                                 const std::function<void(uint64_t request)>& between = {}) {
  Pipeline pipeline(PipelineConfig{});
  pipeline.add_consumer("journal", journaler);
  pipeline.start();
  std::vector<Command> opens;
  for (int index = 0; index < 12; ++index) {
    accounts.push_back("account-" + std::to_string(index));
  }
  for (const std::string& account : accounts) {
    opens.push_back(open_command(account, "EUR", 100));
  }
  EXPECT_EQ(submit(pipeline.ingress(), tally::testing::frame_of(opens, 1), 1), ResultCode::Ok);
  std::mt19937_64 random(20261123);
  uint64_t last = opens.size();
  for (uint64_t request = 0; request < 600; ++request) {
    std::vector<Command> commands;
    for (int index = 0; index < 8; ++index) {
      const std::string& one = accounts[random() % accounts.size()];
      const std::string& other = accounts[random() % accounts.size()];
      const auto amount = static_cast<int64_t>(random() % 60 + 1);
      switch (random() % 6) {
        case 0:
          commands.push_back(withdraw_command(one, amount));
          break;
        case 1:
        case 2:
          commands.push_back(transfer_command(one, other, amount));
          break;
        case 3:
          commands.push_back(random() % 4 == 0 ? tally::testing::freeze_command(one)
                                               : tally::testing::unfreeze_command(one));
          break;
        default:
          commands.push_back(deposit_command(one, amount));
      }
    }
    EXPECT_EQ(submit(pipeline.ingress(), tally::testing::frame_of(commands, request + 10), 1),
              ResultCode::Ok);
    last += commands.size();
    if (between) {
      between(request);
    }
  }
  pipeline.stop();
  return last;
}

// The projectors following live; then a second pair built afterwards from the finished
// journal, and the first pair rebuilt: all answer alike.
TEST_F(ProjectorTest, RebuiltModelsAnswerExactlyAsLiveOnes) {
  CapturingSink live_sink;
  const std::unique_ptr<Projector> live_accounts =
      make_projector(std::make_unique<AccountModel>(), live_sink);
  const std::unique_ptr<Projector> live_history = make_projector(history_model(), live_sink);
  live_accounts->start();
  live_history->start();

  std::vector<std::string> accounts;
  const uint64_t last = journal_random_requests(*journaler, accounts);
  ASSERT_EQ(journaler->durable_sequence(), last);
  ASSERT_GT(writer->segment_index(), 3u) << "the journal should span several segments";

  const std::vector<std::vector<uint8_t>> live =
      ask_all(every_query(accounts, last), *live_accounts, *live_history, live_sink);

  CapturingSink later_sink;
  const std::unique_ptr<Projector> later_accounts =
      make_projector(std::make_unique<AccountModel>(), later_sink);
  const std::unique_ptr<Projector> later_history = make_projector(history_model(), later_sink);
  later_accounts->start();
  later_history->start();
  const std::vector<std::vector<uint8_t>> later =
      ask_all(every_query(accounts, last), *later_accounts, *later_history, later_sink);
  ASSERT_EQ(later.size(), live.size());
  for (size_t index = 0; index < live.size(); ++index) {
    EXPECT_EQ(later[index], live[index]) << "query " << index;
  }

  live_accounts->request_rebuild();
  live_history->request_rebuild();
  const std::vector<std::vector<uint8_t>> rebuilt =
      ask_all(every_query(accounts, last), *live_accounts, *live_history, live_sink);
  for (size_t index = 0; index < live.size(); ++index) {
    EXPECT_EQ(rebuilt[index], live[index]) << "query " << index;
  }
  EXPECT_EQ(live_accounts->status().rebuilds, 1u);
  EXPECT_EQ(live_history->status().events_applied, last);
}

// A checkpoint after every request, written on each writer's thread while its projector
// applies, answers queries, reports to another thread and rebuilds (which removes the
// checkpoints, a write perhaps in progress): projectors started afresh load the newest, replay
// only the journal after it, and answer exactly as the live ones.
TEST_F(ProjectorTest, CheckpointsTakenWhileQueriedAndRebuiltRestoreTheModelsExactly) {
  const auto every_request = [this](const std::string& model) {
    return CheckpointPolicy{
        .directory = data + "/" + model, .every_events = 1, .every_seconds = 0, .keep = 2};
  };
  ASSERT_EQ(::mkdir(every_request("accounts").directory.c_str(), 0755), 0);
  ASSERT_EQ(::mkdir(every_request("history").directory.c_str(), 0755), 0);
  CapturingSink live_sink;
  const std::unique_ptr<Projector> live_accounts =
      make_projector(std::make_unique<AccountModel>(), live_sink, every_request("accounts"));
  const std::unique_ptr<Projector> live_history =
      make_projector(history_model(), live_sink, every_request("history"));
  live_accounts->start();
  live_history->start();
  // What the projectors and their writers publish is read from another thread all the while,
  // as tallyd's status requests and log do.
  std::atomic<bool> done{false};
  std::thread observer([&] {
    while (!done.load()) {
      for (const Projector* projector : {live_accounts.get(), live_history.get()}) {
        EXPECT_FALSE(projector->status().failed);
        const CheckpointWriter::Failures failures = projector->checkpoint_failures();
        EXPECT_EQ(failures.count, 0u) << failures.last.message();
        if (projector->started()) {
          EXPECT_TRUE(projector->checkpoint_skipped().empty());
        }
      }
      std::this_thread::sleep_for(100us);
    }
  });
  std::vector<std::string> accounts;
  const uint64_t last = journal_random_requests(*journaler, accounts, [&](uint64_t request) {
    live_accounts->submit(balance_job(100 + request, "account-3"));
    if (request % 200 == 100) {
      live_accounts->request_rebuild();
      live_history->request_rebuild();
    }
  });
  ASSERT_TRUE(wait_until_applied(*live_accounts, last));
  ASSERT_TRUE(wait_until_applied(*live_history, last));
  const std::vector<std::vector<uint8_t>> live =
      ask_all(every_query(accounts, last), *live_accounts, *live_history, live_sink);
  done.store(true);
  observer.join();
  EXPECT_GE(live_accounts->status().rebuilds, 1u);
  live_accounts->stop();
  live_history->stop();
  // Counted after stop(), which finishes the write in hand: on a busy machine the writers (at
  // nice 10) may not have finished one before.
  EXPECT_GT(live_accounts->status().checkpoints_written, 0u);
  EXPECT_GT(live_history->status().checkpoints_written, 0u);

  CapturingSink sink;
  const std::unique_ptr<Projector> restarted_accounts =
      make_projector(std::make_unique<AccountModel>(), sink, every_request("accounts"));
  const std::unique_ptr<Projector> restarted_history =
      make_projector(history_model(), sink, every_request("history"));
  restarted_accounts->start(last);
  restarted_history->preload();  // as tallyd starts it: the checkpoint read during recovery
  restarted_history->start(last);
  const std::vector<std::vector<uint8_t>> restarted =
      ask_all(every_query(accounts, last), *restarted_accounts, *restarted_history, sink);
  ASSERT_EQ(restarted.size(), live.size());
  for (size_t index = 0; index < live.size(); ++index) {
    EXPECT_EQ(restarted[index], live[index]) << "query " << index;
  }
  for (const Projector* projector : {restarted_accounts.get(), restarted_history.get()}) {
    const ProjectorStatus status = projector->status();
    EXPECT_TRUE(status.started_from_checkpoint) << status.name;
    EXPECT_GT(status.checkpoint_sequence, 0u) << status.name;
    EXPECT_EQ(status.events_applied, last - status.checkpoint_sequence) << status.name;
    EXPECT_TRUE(projector->checkpoint_skipped().empty()) << status.name;
  }
}

// preload() reads and decodes the newest checkpoint before recovery is done, and nothing more:
// stopped before start(), the projector applied nothing and removed nothing, even a checkpoint
// that recovery is about to say is beyond the journal; started, it judges the checkpoint
// against what recovery found, as a projector started without a preload does.
TEST_F(ProjectorTest, APreloadJudgesNothingBeforeStart) {
  journal(tally::testing::make_deposit_events(10));
  const CheckpointPolicy policy{
      .directory = data + "/accounts", .every_events = 1, .every_seconds = 0, .keep = 2};
  ASSERT_EQ(::mkdir(policy.directory.c_str(), 0755), 0);
  CapturingSink sink;
  {
    const std::unique_ptr<Projector> writer_of_it =
        make_projector(std::make_unique<AccountModel>(), sink, policy);
    writer_of_it->start(10);
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (writer_of_it->status().checkpoints_written == 0 &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(1ms);
    }
    ASSERT_EQ(writer_of_it->status().checkpoints_written, 1u);
  }
  const std::string checkpoint = policy.directory + "/" + checkpoint_name(10);
  ASSERT_TRUE(std::filesystem::exists(checkpoint));

  // (The projectors below write no checkpoint of their own.)
  const CheckpointPolicy reading{
      .directory = policy.directory, .every_events = 0, .every_seconds = 0, .keep = 2};
  const std::unique_ptr<Projector> stopped =
      make_projector(std::make_unique<AccountModel>(), sink, reading);
  stopped->preload();
  stopped->stop();
  EXPECT_FALSE(stopped->started());
  EXPECT_EQ(stopped->status().applied_sequence, 0u);
  EXPECT_EQ(stopped->status().events_applied, 0u);
  EXPECT_TRUE(std::filesystem::exists(checkpoint));

  // Recovery found only 5 events: the checkpoint at 10 is beyond them, removed at start().
  const std::unique_ptr<Projector> started =
      make_projector(std::make_unique<AccountModel>(), sink, reading);
  started->preload();
  std::this_thread::sleep_for(10ms);  // (most likely preloaded by now; either way the same)
  EXPECT_TRUE(std::filesystem::exists(checkpoint));
  started->start(5);
  ASSERT_TRUE(wait_until_applied(*started, 10));
  ASSERT_TRUE(started->started());  // (acquire: what it skipped is written before)
  EXPECT_FALSE(std::filesystem::exists(checkpoint));
  ASSERT_EQ(started->checkpoint_skipped().size(), 1u);
  EXPECT_NE(started->checkpoint_skipped()[0].find("beyond the journal's last event 5"),
            std::string::npos)
      << started->checkpoint_skipped()[0];
  EXPECT_FALSE(started->status().started_from_checkpoint);
  EXPECT_EQ(started->status().events_applied, 10u);
}

// Preloads take their turns in order, whatever order their threads come in.
TEST(PreloadTurnsTest, TurnsGoInOrder) {
  PreloadTurns turns;
  std::mutex mutex;
  std::vector<uint32_t> order;
  std::vector<std::thread> threads;
  for (const uint32_t turn : {3u, 1u, 2u, 0u}) {
    threads.emplace_back([&, turn] {
      turns.wait_for(turn);
      {
        const std::lock_guard lock(mutex);
        order.push_back(turn);
      }
      turns.done();
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(order, (std::vector<uint32_t>{0, 1, 2, 3}));
}

// A checkpoint that cannot be written (here: its directory is gone) is counted with its
// reason, for the server's log, and costs nothing else: the model answers as before.
TEST_F(ProjectorTest, ACheckpointThatCannotBeWrittenIsCountedWithItsReason) {
  journal(tally::testing::make_deposit_events(10));
  CapturingSink sink;
  const std::unique_ptr<Projector> projector = make_projector(
      std::make_unique<AccountModel>(), sink,
      CheckpointPolicy{
          .directory = data + "/gone", .every_events = 1, .every_seconds = 0, .keep = 2});
  projector->start(10);
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (projector->checkpoint_failures().count == 0 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
  }
  const CheckpointWriter::Failures failures = projector->checkpoint_failures();
  ASSERT_EQ(failures.count, 1u);  // the journal's one request: nothing more to checkpoint
  EXPECT_NE(failures.last.message().find(data + "/gone/"), std::string::npos)
      << failures.last.message();
  EXPECT_EQ(projector->status().checkpoints_written, 0u);
  EXPECT_FALSE(projector->status().failed);
  projector->submit(balance_job(9, "acc-0000001", 10));
  const std::vector<uint8_t> answer = sink.wait_for(9);
  const protocol::Response* response = response_of(answer);
  ASSERT_NE(response, nullptr);
  ASSERT_EQ(response->body_type(), protocol::ResponseBody::BalanceResult);
  EXPECT_EQ(response->body_as_BalanceResult()->balance(), 9 * 10 / 2);
}

}  // namespace
}  // namespace tally::read
