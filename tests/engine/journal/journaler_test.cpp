// The journaler in a real pipeline: what a consumer after it sees is durable, and a storage
// failure stops the engine without acknowledging anything more.
#include "engine/journal/journaler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "engine/journal/journal_reader.h"
#include "engine/pipeline/pipeline.h"
#include "support/faulty_storage.h"
#include "support/ledger_harness.h"
#include "support/pipeline_harness.h"

namespace tally::journal {
namespace {

using tally::testing::AcknowledgementRecorder;

class PipelineJournalerTest : public ::testing::Test {
 protected:
  // Submits `count` requests of three commands each; returns how many were accepted.
  int submit_requests(Pipeline& pipeline, int count) {
    int accepted = 0;
    for (int request = 0; request < count; ++request) {
      const Command commands[] = {tally::testing::deposit_command("a", 5),
                                  tally::testing::withdraw_command("a", 2),
                                  tally::testing::transfer_command("a", "b", 1)};
      const uint64_t request_id = 100 + static_cast<uint64_t>(request);
      if (tally::testing::submit(pipeline.ingress(), tally::testing::frame_of(commands, request_id),
                                 1) == ResultCode::Ok) {
        ++accepted;
      }
    }
    return accepted;
  }

  // How the replier follows the journaler: on a thread of its own, after the journaler's
  // cursor; or on the journaler's thread, as the stage after it (as tallyd wires them).
  enum class Wiring { kReplierThread, kOneThread };
  void add_journaler_and_replier(Pipeline& pipeline, Wiring wiring) {
    if (wiring == Wiring::kOneThread) {
      pipeline.add_consumer("journal", {&journaler, &replier});
      return;
    }
    OutcomeConsumer& journal_consumer = pipeline.add_consumer("journal", journaler);
    pipeline.add_consumer("replier", replier, {&journal_consumer});
  }

  // Runs traffic until the storage fails at its `operation`-th call with `code`; checks the
  // engine stopped and acknowledged nothing that is not durable.
  void run_until_failure(uint64_t operation, StatusCode code,
                         Wiring wiring = Wiring::kReplierThread);
  // Runs 500 requests; checks each is acknowledged, and durable after a power loss.
  void check_everything_acknowledged_is_durable(Wiring wiring);

  // The last sequence the journal holds after a power loss.
  uint64_t durable_after_crash() {
    storage.crash();
    storage.heal();
    const ScanResult scan =
        scan_journal(storage, "journal", {}, [](const Outcome&) { return Status::ok(); });
    EXPECT_TRUE(scan.status.is_ok()) << scan.status.message();
    return scan.last_sequence;
  }

  tally::testing::FaultyStorage storage;
  JournalWriter writer{storage, {.directory = "journal", .segment_bytes = 1 << 16}};
  Journaler journaler{writer, SyncPolicy::kEveryBatch};
  AcknowledgementRecorder replier;
};

TEST_F(PipelineJournalerTest, EverythingAConsumerAfterTheJournalerSeesIsDurable) {
  check_everything_acknowledged_is_durable(Wiring::kReplierThread);
}

TEST_F(PipelineJournalerTest, EverythingTheStageAfterTheJournalerSeesIsDurable) {
  check_everything_acknowledged_is_durable(Wiring::kOneThread);
}

void PipelineJournalerTest::check_everything_acknowledged_is_durable(Wiring wiring) {
  ASSERT_TRUE(writer.open({}, 0).is_ok());
  Pipeline pipeline(PipelineConfig{});
  add_journaler_and_replier(pipeline, wiring);
  pipeline.start();
  const Command opens[] = {tally::testing::open_command("a", "EUR", 1000),
                           tally::testing::open_command("b", "EUR", 0)};
  ASSERT_EQ(tally::testing::submit(pipeline.ingress(), tally::testing::frame_of(opens, 1), 1),
            ResultCode::Ok);
  EXPECT_EQ(submit_requests(pipeline, 500), 500);
  pipeline.stop();
  EXPECT_TRUE(journaler.failure().is_ok()) << journaler.failure().message();
  EXPECT_EQ(replier.highest_acknowledged, 2u + 500 * 3);
  EXPECT_EQ(durable_after_crash(), 2u + 500 * 3);
}

TEST_F(PipelineJournalerTest, SyncFailureIsFatalAndNothingMoreIsAcknowledged) {
  run_until_failure(2, StatusCode::kIoError);  // the second group's sync fails, and all after
}

TEST_F(PipelineJournalerTest, ASyncFailureStopsTheGroupBeforeTheStageThatAnswers) {
  run_until_failure(2, StatusCode::kIoError, Wiring::kOneThread);
}

TEST_F(PipelineJournalerTest, DiskFullIsFatalAndNothingAcknowledged) {
  run_until_failure(1, StatusCode::kNoSpace);  // from the first storage call on
  EXPECT_EQ(replier.highest_acknowledged, 0u);
}

// Requests trickle in one per millisecond: syncing every batch would sync for nearly every
// request; the interval policy syncs at most once per 20 ms and still acknowledges only what is
// durable.
void trickle(Pipeline& pipeline, int requests) {
  for (int request = 0; request < requests; ++request) {
    const Command deposit[] = {tally::testing::deposit_command("a", 1)};
    tally::testing::submit(pipeline.ingress(),
                           tally::testing::frame_of(deposit, 100 + static_cast<uint64_t>(request)),
                           1);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

TEST_F(PipelineJournalerTest, IntervalPolicySyncsAtMostOncePerIntervalAndStillOnlyWhenDurable) {
  Journaler interval_journaler(writer, SyncPolicy::kInterval, std::chrono::milliseconds(20));
  ASSERT_TRUE(writer.open({}, 0).is_ok());
  Pipeline pipeline(PipelineConfig{});
  OutcomeConsumer& journal_consumer = pipeline.add_consumer("journal", interval_journaler);
  pipeline.add_consumer("replier", replier, {&journal_consumer});
  const uint64_t syncs_before = storage.data_syncs();
  const auto started = std::chrono::steady_clock::now();
  pipeline.start();
  const Command opens[] = {tally::testing::open_command("a", "EUR", 0)};
  tally::testing::submit(pipeline.ingress(), tally::testing::frame_of(opens, 1), 1);
  trickle(pipeline, 60);
  pipeline.stop();
  const auto elapsed = std::chrono::steady_clock::now() - started;
  // Plus the clean close's.
  const auto syncs_allowed = static_cast<uint64_t>(elapsed / std::chrono::milliseconds(20)) + 3 + 1;
  EXPECT_LE(storage.data_syncs() - syncs_before, syncs_allowed);
  EXPECT_TRUE(interval_journaler.failure().is_ok());
  EXPECT_EQ(replier.highest_acknowledged, 61u);
  EXPECT_EQ(durable_after_crash(), 61u);
}

TEST_F(PipelineJournalerTest, EveryBatchPolicySyncsForEachTricklingRequest) {
  ASSERT_TRUE(writer.open({}, 0).is_ok());
  Pipeline pipeline(PipelineConfig{});
  OutcomeConsumer& journal_consumer = pipeline.add_consumer("journal", journaler);
  pipeline.add_consumer("replier", replier, {&journal_consumer});
  const uint64_t syncs_before = storage.data_syncs();
  pipeline.start();
  const Command opens[] = {tally::testing::open_command("a", "EUR", 0)};
  tally::testing::submit(pipeline.ingress(), tally::testing::frame_of(opens, 1), 1);
  // Each request is sent once the one before is durable (a sleep between them let two meet in
  // one group on a loaded machine), so each is a group of its own and gets its own sync.
  for (uint64_t request = 0; request < 60; ++request) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (journaler.durable_sequence() < request + 1 &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
    const Command deposit[] = {tally::testing::deposit_command("a", 1)};
    tally::testing::submit(pipeline.ingress(), tally::testing::frame_of(deposit, 100 + request), 1);
  }
  pipeline.stop();
  EXPECT_GE(storage.data_syncs() - syncs_before, 60u);  // the contrast to the test above
}

// --sync none: nothing is synced, yet what is written is published, so that the replier and the
// read side (which follow durable_sequence()) move on.
TEST_F(PipelineJournalerTest, NonePolicyPublishesWhatIsWrittenWithoutSyncing) {
  Journaler unsynced_journaler(writer, SyncPolicy::kNone);
  ASSERT_TRUE(writer.open({}, 0).is_ok());
  Pipeline pipeline(PipelineConfig{});
  OutcomeConsumer& journal_consumer = pipeline.add_consumer("journal", unsynced_journaler);
  pipeline.add_consumer("replier", replier, {&journal_consumer});
  const uint64_t syncs_before = storage.data_syncs();
  pipeline.start();
  const Command opens[] = {tally::testing::open_command("a", "EUR", 0)};
  tally::testing::submit(pipeline.ingress(), tally::testing::frame_of(opens, 1), 1);
  trickle(pipeline, 60);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (unsynced_journaler.durable_sequence() < 61 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(unsynced_journaler.durable_sequence(), 61u);
  EXPECT_EQ(storage.data_syncs(), syncs_before);  // not one sync
  pipeline.stop();
  EXPECT_EQ(replier.highest_acknowledged, 61u);
}

void PipelineJournalerTest::run_until_failure(uint64_t operation, StatusCode code, Wiring wiring) {
  ASSERT_TRUE(writer.open({}, 0).is_ok());
  Pipeline pipeline(PipelineConfig{});
  add_journaler_and_replier(pipeline, wiring);
  storage.fail_at(operation, code);
  pipeline.start();
  const Command opens[] = {tally::testing::open_command("a", "EUR", 1000),
                           tally::testing::open_command("b", "EUR", 0)};
  tally::testing::submit(pipeline.ingress(), tally::testing::frame_of(opens, 1), 1);
  // More than the ring and the ingress hold together (16,384 entries, 128 requests), so that
  // once the journaler has failed the engine must refuse some, however late the failure is seen.
  constexpr int kRequests = 8000;
  const int accepted = submit_requests(pipeline, kRequests);
  pipeline.stop();  // returns although the engine failed
  EXPECT_TRUE(pipeline.ring().has_failed());
  EXPECT_EQ(journaler.failure().code(), code);
  EXPECT_LT(accepted, kRequests);  // the engine stopped taking commands
  EXPECT_LE(replier.highest_acknowledged, durable_after_crash());
  EXPECT_LT(replier.highest_acknowledged, 2u + kRequests * 3);
}

}  // namespace
}  // namespace tally::journal
