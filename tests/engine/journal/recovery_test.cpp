// Recovery end to end: a pipeline journals through the fault-injecting storage, the power
// goes, and a fresh ledger rebuilt from what the disk kept must match what was acknowledged.
#include "engine/journal/recovery.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "engine/journal/journaler.h"
#include "engine/journal/snapshot.h"
#include "engine/pipeline/pipeline.h"
#include "support/faulty_storage.h"
#include "support/ledger_harness.h"
#include "support/pipeline_harness.h"

namespace tally::journal {
namespace {

using tally::testing::AccountImage;
using tally::testing::AcknowledgementRecorder;

using tally::testing::image_of;

class RecoveryTest : public ::testing::Test {
 protected:
  // Runs traffic through a journaling pipeline; with `failing_operation`, the storage fails
  // from that operation on (the engine stops as it would at a power cut).
  void run_traffic(uint64_t failing_operation) {
    JournalWriter writer(storage, {.directory = "journal", .segment_bytes = 1 << 15});
    ASSERT_TRUE(writer.open({}, 0).is_ok());
    Journaler journaler(writer, SyncPolicy::kEveryBatch);
    Pipeline pipeline(PipelineConfig{});
    OutcomeConsumer& journal_consumer = pipeline.add_consumer("journal", journaler);
    pipeline.add_consumer("replier", replier, {&journal_consumer});
    if (failing_operation != 0) {
      storage.fail_at(failing_operation, StatusCode::kIoError);
    }
    pipeline.start();
    const std::vector<std::string> ids = {"a", "b", "c"};
    std::vector<Command> opens;
    for (const std::string& id : ids)
      opens.push_back(tally::testing::open_command(id, "EUR", 500));
    tally::testing::submit(pipeline.ingress(), tally::testing::frame_of(opens, 1), 1);
    for (uint64_t request = 0; request < 1500; ++request) {
      const std::string& from = ids[request % 3];
      const std::string& to = ids[(request + 1) % 3];
      const Command commands[] = {tally::testing::deposit_command(from, 7),
                                  tally::testing::transfer_command(from, to, 5),
                                  tally::testing::withdraw_command(to, 3)};
      tally::testing::submit(pipeline.ingress(),
                             tally::testing::frame_of(commands, request + 10, request % 5 == 0), 1);
    }
    pipeline.stop();
    if (failing_operation == 0) {
      before_crash = image_of(pipeline.ledger());
      sequence_before_crash = pipeline.ledger().next_sequence();
    }
  }

  tally::testing::FaultyStorage storage;
  AcknowledgementRecorder replier;
  std::vector<AccountImage> before_crash;
  uint64_t sequence_before_crash = 0;
};

TEST_F(RecoveryTest, RecoveredStateEqualsTheStateBeforeTheCrash) {
  run_traffic(0);
  storage.crash();
  Ledger recovered(LedgerLimits{});
  const RecoveryReport report = recover(storage, "journal", recovered);
  ASSERT_TRUE(report.status.is_ok()) << report.status.message();
  EXPECT_EQ(report.events_replayed, sequence_before_crash - 1);
  EXPECT_EQ(image_of(recovered), before_crash);
  EXPECT_EQ(recovered.next_sequence(), sequence_before_crash);
  EXPECT_EQ(report.append_position.next_sequence, sequence_before_crash);
}

TEST_F(RecoveryTest, EveryAcknowledgedCommandSurvivesAStorageFailureAndACrash) {
  for (const uint64_t failing_operation : {3u, 8u, 20u}) {
    storage = tally::testing::FaultyStorage();
    replier = AcknowledgementRecorder();
    run_traffic(failing_operation);
    storage.crash(/*torn_pages=*/1);
    storage.heal();
    Ledger recovered(LedgerLimits{});
    const RecoveryReport report = recover(storage, "journal", recovered);
    ASSERT_TRUE(report.status.is_ok()) << report.status.message();
    EXPECT_GE(report.last_sequence, replier.highest_acknowledged) << failing_operation;
    int64_t total = 0;
    for (const AccountImage& balance : image_of(recovered))
      total += balance.balance;
    EXPECT_GE(total, 0);
    // The journal continues where recovery says, and a second recovery agrees with the first.
    JournalWriter writer(storage, {.directory = "journal", .segment_bytes = 1 << 15});
    ASSERT_TRUE(writer.open(report.append_position, 0).is_ok());
    Ledger again(LedgerLimits{});
    const RecoveryReport second = recover(storage, "journal", again);
    ASSERT_TRUE(second.status.is_ok()) << second.status.message();
    EXPECT_EQ(image_of(again), image_of(recovered));
  }
}

TEST_F(RecoveryTest, SnapshotPlusTheJournalAfterItEqualsAFullReplay) {
  run_traffic(0);
  storage.crash();
  // A mirror that followed the journal to a request boundary half way, then snapshotted.
  Ledger mirror(LedgerLimits{});
  bool stopped = false;
  scan_journal(storage, "journal", {}, [&](const Outcome& event) {
    if (!stopped) {
      Status status = mirror.replay(event);
      stopped = event.is_last_in_request() && event.sequence >= sequence_before_crash / 2;
      return status;
    }
    return Status::ok();
  });
  ASSERT_TRUE(write_snapshot(storage, "snapshots", mirror, 2).is_ok());
  const SnapshotLoad load = load_newest_snapshot(storage, "snapshots", LedgerLimits{});
  ASSERT_TRUE(load.status.is_ok());
  ASSERT_GT(load.sequence, 0u);
  const RecoveryReport report =
      recover(storage, "journal", *load.ledger, {.snapshot_sequence = load.sequence});
  ASSERT_TRUE(report.status.is_ok()) << report.status.message();
  EXPECT_EQ(report.events_replayed, sequence_before_crash - 1 - load.sequence);
  EXPECT_EQ(image_of(*load.ledger), before_crash);
  EXPECT_EQ(load.ledger->next_sequence(), sequence_before_crash);
}

}  // namespace
}  // namespace tally::journal
