// Read-model checkpoints end to end, with the real tallyd: after a restart the projectors start
// from their checkpoints (the projection status says so, and that only the tail was applied)
// and answer byte for byte as before; a rebuild still starts from the journal's first event;
// and tallyd killed (SIGKILL) while it writes checkpoints all the time restarts into read
// models that answer as a full rebuild does.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "net/client/client.h"
#include "net/client/query.h"
#include "support/tallyd_process.h"

namespace tally {
namespace {

using client::BatchBuilder;
using client::Client;
using client::Query;
using client::QueryReply;
using testing::TallydProcess;

std::vector<Query> every_query() {
  return {Query::account("alice"),
          Query::balance("bob"),
          Query::accounts(""),
          Query::history("alice"),
          Query::history("bob", {.order = protocol::Order::OldestFirst}),
          Query::event_trail("carol"),
          Query::reserve(),
          Query::top_accounts("EUR"),
          Query::summary("bob"),
          Query::search({.account_id = "", .min_amount = 1}),
          Query::balance_at_sequence("alice", 5)};
}

// Every query's answer, with fixed request ids: equal read models give byte-equal answers.
std::vector<std::vector<uint8_t>> answers(Client& client, uint64_t min_sequence) {
  std::vector<std::vector<uint8_t>> all;
  uint64_t id = 1;
  for (Query& query : every_query()) {
    all.push_back(
        client.query(query.min_sequence(min_sequence), {.low = id++, .high = 42}).message);
  }
  return all;
}

class ReadCheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = testing::make_temporary_directory("tallyd-checkpoint-test") + "/data";
  }
  void TearDown() override {
    server_.reset();
    std::system(("rm -rf " + data_.substr(0, data_.rfind('/'))).c_str());
  }
  TallydProcess& start(uint64_t every_events) {
    server_.reset();
    server_ = std::make_unique<TallydProcess>(
        data_, std::vector<std::string>{"--checkpoint-every-events", std::to_string(every_events),
                                        "--checkpoint-every-seconds", "0"});
    client_ = std::make_unique<Client>(server_->client_options());
    client_->connect();
    return *server_;
  }
  // Accounts, then `rounds` of deposits, transfers and a rejection; the last sequence.
  uint64_t tell_the_story(int rounds) {
    uint64_t last = 0;
    const auto run = [&](const BatchBuilder& batch) {
      const auto results = client_->execute(batch).results;
      last = std::max(last, results.back().sequence);
    };
    if (rounds > 0 && last_sequence_ == 0) {
      run(BatchBuilder().open_account("alice", "Alice", "EUR").open_account("bob", "Bob", "EUR"));
      run(BatchBuilder().open_account("carol", "Carol", "EUR"));
    }
    for (int round = 0; round < rounds; ++round) {
      run(BatchBuilder().deposit("alice", 100 + round));
      run(BatchBuilder().transfer("alice", "bob", 7).deposit("carol", 3));
      run(BatchBuilder().withdraw("carol", 1'000'000));  // refused: recorded all the same
    }
    last_sequence_ = std::max(last_sequence_, last);
    return last_sequence_;
  }
  // Waits until every projector has applied `sequence` and written `checkpoints`.
  void wait_for(uint64_t sequence, uint64_t checkpoints) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      bool done = true;
      for (const ProjectorStatus& projector : client_->projection_status().projectors) {
        done = done && projector.applied_sequence >= sequence &&
               projector.checkpoints_written >= checkpoints;
      }
      if (done) {
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    FAIL() << "the projectors did not reach " << sequence << " with " << checkpoints
           << " checkpoints";
  }

  // Waits until tallyd's log says `text` (it looks at its read models once a second).
  void wait_for_log(const std::string& text) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (server_->log().find(text) == std::string::npos) {
      if (std::chrono::steady_clock::now() > deadline) {
        FAIL() << "tallyd's log never said " << text << ":\n" << server_->log();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  std::string data_;
  std::unique_ptr<TallydProcess> server_;
  std::unique_ptr<Client> client_;
  uint64_t last_sequence_ = 0;
};

TEST_F(ReadCheckpointTest, ARestartStartsFromTheCheckpointsAndAnswersAsBefore) {
  start(100);
  const uint64_t last = tell_the_story(80);  // about 400 events: checkpoints at 100, 200, ...
  wait_for(last, 2);
  const std::vector<std::vector<uint8_t>> before = answers(*client_, last);
  ASSERT_EQ(server_->stop(SIGTERM), 0);
  start(100);
  const std::vector<std::vector<uint8_t>> after = answers(*client_, last);
  for (size_t index = 0; index < before.size(); ++index) {
    EXPECT_EQ(after[index], before[index]) << "query " << index;
  }
  for (const ProjectorStatus& projector : client_->projection_status().projectors) {
    EXPECT_TRUE(projector.started_from_checkpoint) << projector.name;
    EXPECT_GE(projector.checkpoint_sequence, 200u) << projector.name;
    EXPECT_LT(projector.checkpoint_sequence, last) << projector.name;
    // Only the tail after the checkpoint was applied.
    EXPECT_EQ(projector.events_applied, last - projector.checkpoint_sequence) << projector.name;
    EXPECT_EQ(projector.applied_sequence, last) << projector.name;
  }
  // A rebuild is from the journal's first event still, and its answers are the same.
  ASSERT_NE(client_->query(Query::rebuild_projections()).body<protocol::ProjectionStatusResult>(),
            nullptr);
  EXPECT_EQ(answers(*client_, last), before);
  for (const ProjectorStatus& projector : client_->projection_status().projectors) {
    EXPECT_FALSE(projector.started_from_checkpoint) << projector.name;
    EXPECT_EQ(projector.checkpoint_sequence, 0u) << projector.name;
    EXPECT_EQ(projector.events_applied, last) << projector.name;
  }
}

TEST_F(ReadCheckpointTest, WithoutCheckpointsEveryStartIsAFullRebuild) {
  server_ =
      std::make_unique<TallydProcess>(data_, std::vector<std::string>{"--checkpoints-kept", "0"});
  client_ = std::make_unique<Client>(server_->client_options());
  client_->connect();
  const uint64_t last = tell_the_story(10);
  ASSERT_EQ(server_->stop(SIGTERM), 0);
  server_ =
      std::make_unique<TallydProcess>(data_, std::vector<std::string>{"--checkpoints-kept", "0"});
  client_ = std::make_unique<Client>(server_->client_options());
  client_->connect();
  answers(*client_, last);
  for (const ProjectorStatus& projector : client_->projection_status().projectors) {
    EXPECT_FALSE(projector.started_from_checkpoint) << projector.name;
    EXPECT_EQ(projector.events_applied, last) << projector.name;
    EXPECT_EQ(projector.checkpoints_written, 0u) << projector.name;
  }
  EXPECT_TRUE(std::filesystem::is_empty(data_ + "/checkpoints"));
}

// A checkpoint after every request: tallyd is nearly always writing one when it is killed.
TEST_F(ReadCheckpointTest, KilledWhileWritingCheckpointsRestartsIntoCorrectReadModels) {
  bool any_from_checkpoint = false;
  for (int life = 0; life < 5; ++life) {
    start(1);
    // Where the last life left the read models, against a rebuild of the same journal.
    const uint64_t last = tell_the_story(life == 0 ? 5 : 0);
    const std::vector<std::vector<uint8_t>> restarted = answers(*client_, last);
    for (const ProjectorStatus& projector : client_->projection_status().projectors) {
      any_from_checkpoint = any_from_checkpoint || projector.started_from_checkpoint;
    }
    ASSERT_NE(client_->query(Query::rebuild_projections()).body<protocol::ProjectionStatusResult>(),
              nullptr);
    ASSERT_EQ(answers(*client_, last), restarted) << "life " << life;
    tell_the_story(20 + 10 * life);
    std::this_thread::sleep_for(std::chrono::milliseconds(5 * life));
    server_->kill();
  }
  EXPECT_TRUE(any_from_checkpoint);
}

// tallyd's log names each checkpoint a read model skipped at start-up and why, says where each
// model started from, and reports each checkpoint it could not write: a longer start-up ahead
// that an operator should hear about before it happens.
TEST_F(ReadCheckpointTest, TheLogSaysWhichCheckpointsWereSkippedAndWhichFailed) {
  start(100);
  const uint64_t last = tell_the_story(80);
  wait_for(last, 2);
  ASSERT_EQ(server_->stop(SIGTERM), 0);
  // The accounts model's newest checkpoint is damaged: the restart falls back to the older one.
  std::vector<std::filesystem::path> checkpoints;
  for (const auto& entry : std::filesystem::directory_iterator(data_ + "/checkpoints/accounts")) {
    checkpoints.push_back(entry.path());
  }
  ASSERT_EQ(checkpoints.size(), 2u);
  std::sort(checkpoints.begin(), checkpoints.end());
  const std::filesystem::path damaged = checkpoints.back();
  {
    std::fstream file(damaged, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(std::filesystem::file_size(damaged) - 1));
    file.put('\x5a');
  }
  start(100);
  wait_for_log("event=read_model_started model=history from_checkpoint=true");
  wait_for_log("event=checkpoint_skipped model=accounts problem=\"" + damaged.filename().string() +
               ": checkpoint corrupt");
  const uint64_t older = std::stoull(checkpoints.front().stem().string());
  wait_for_log("event=read_model_started model=accounts from_checkpoint=true checkpoint_sequence=" +
               std::to_string(older) + "\n");
  EXPECT_EQ(server_->log().find("event=checkpoint_skipped model=history"), std::string::npos)
      << server_->log();
  EXPECT_EQ(server_->log().find("event=checkpoint_failed"), std::string::npos) << server_->log();

  // The history model's checkpoint directory is gone: its next checkpoints cannot be written.
  std::filesystem::remove_all(data_ + "/checkpoints/history");
  const uint64_t more = tell_the_story(60);
  wait_for_log("event=checkpoint_failed model=history failures=");
  const std::string log = server_->log();
  const std::string failed = log.substr(log.find("event=checkpoint_failed"));
  EXPECT_NE(failed.find(data_ + "/checkpoints/history/"), std::string::npos) << failed;
  EXPECT_EQ(log.find("event=checkpoint_failed model=accounts"), std::string::npos) << log;
  // The model itself carries on.
  EXPECT_NE(
      client_->query(Query::history("alice").min_sequence(more)).body<protocol::HistoryResult>(),
      nullptr);
}

}  // namespace
}  // namespace tally
