// The snapshotter in a running engine: it tails the durable journal on its own thread, writes
// snapshots as it goes, and a recovery from its newest snapshot plus the journal after it
// equals the engine's state.
#include "engine/journal/snapshotter.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "engine/journal/posix_storage.h"
#include "engine/journal/recovery.h"
#include "engine/journal/snapshot.h"
#include "engine/pipeline/pipeline.h"
#include "support/ledger_harness.h"
#include "support/pipeline_harness.h"

namespace tally::journal {
namespace {

using tally::testing::image_of;

// A data directory with a journal being written and a snapshotter tailing it.
class SnapshotterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/tally-snapshotter-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    data = pattern;
    ASSERT_EQ(::mkdir((data + "/journal").c_str(), 0755), 0);
    ASSERT_EQ(::mkdir((data + "/snapshots").c_str(), 0755), 0);
    writer = std::make_unique<JournalWriter>(
        storage, JournalWriterConfig{.directory = data + "/journal", .segment_bytes = 1 << 16});
    ASSERT_TRUE(writer->open({}, 0).is_ok());
    journaler = std::make_unique<Journaler>(*writer, SyncPolicy::kEveryBatch);
  }
  void TearDown() override { std::system(("rm -rf " + data).c_str()); }

  std::unique_ptr<Snapshotter> make_snapshotter(uint64_t every_events) {
    return std::make_unique<Snapshotter>(
        storage,
        SnapshotterConfig{.journal_directory = data + "/journal",
                          .snapshot_directory = data + "/snapshots",
                          .every_events = every_events,
                          .every_seconds = 0,
                          .keep = 2},
        *journaler, std::make_unique<Ledger>(LedgerLimits{}), AppendPosition{});
  }

  std::string data;
  PosixStorage storage;
  std::unique_ptr<JournalWriter> writer;
  std::unique_ptr<Journaler> journaler;
};

TEST_F(SnapshotterTest, SnapshotsTakenWhileRunningRecoverTheSameState) {
  const std::unique_ptr<Snapshotter> owned_snapshotter = make_snapshotter(1000);
  Snapshotter& snapshotter = *owned_snapshotter;
  std::vector<tally::testing::AccountImage> before;
  {
    Pipeline pipeline(PipelineConfig{});
    pipeline.add_consumer("journal", *journaler);
    pipeline.start();
    snapshotter.start();
    const Command opens[] = {tally::testing::open_command("a", "EUR", 1000),
                             tally::testing::open_command("b", "EUR", 1000)};
    ASSERT_EQ(tally::testing::submit(pipeline.ingress(), tally::testing::frame_of(opens, 1), 1),
              ResultCode::Ok);
    for (uint64_t request = 0; request < 2000; ++request) {
      const Command commands[] = {tally::testing::deposit_command("a", 3),
                                  tally::testing::transfer_command("a", "b", 2),
                                  tally::testing::withdraw_command("b", 1)};
      ASSERT_EQ(tally::testing::submit(pipeline.ingress(),
                                       tally::testing::frame_of(commands, request + 10), 1),
                ResultCode::Ok);
    }
    pipeline.stop();
    before = image_of(pipeline.ledger());
  }
  snapshotter.stop();
  ASSERT_TRUE(snapshotter.failure().is_ok()) << snapshotter.failure().message();
  EXPECT_EQ(snapshotter.mirrored_sequence(), 2u + 2000 * 3);
  EXPECT_GE(snapshotter.snapshots_written(), 5u);
  std::vector<std::string> names;
  ASSERT_TRUE(storage.list_directory(data + "/snapshots", names).is_ok());
  EXPECT_EQ(names.size(), 2u);  // keep = 2

  SnapshotLoad load = load_newest_snapshot(storage, data + "/snapshots", LedgerLimits{});
  ASSERT_TRUE(load.status.is_ok());
  ASSERT_GT(load.sequence, 0u);
  const RecoveryReport report =
      recover(storage, data + "/journal", *load.ledger, {.snapshot_sequence = load.sequence});
  ASSERT_TRUE(report.status.is_ok()) << report.status.message();
  EXPECT_EQ(image_of(*load.ledger), before);
}

TEST_F(SnapshotterTest, ZeroEventsAndZeroSecondsTakeNoSnapshot) {
  const std::unique_ptr<Snapshotter> owned_snapshotter = make_snapshotter(0);
  Snapshotter& snapshotter = *owned_snapshotter;
  {
    Pipeline pipeline(PipelineConfig{});
    pipeline.add_consumer("journal", *journaler);
    pipeline.start();
    snapshotter.start();
    const Command opens[] = {tally::testing::open_command("a", "EUR", 1000)};
    ASSERT_EQ(tally::testing::submit(pipeline.ingress(), tally::testing::frame_of(opens, 1), 1),
              ResultCode::Ok);
    for (uint64_t request = 0; request < 100; ++request) {
      const Command deposit[] = {tally::testing::deposit_command("a", 1)};
      ASSERT_EQ(tally::testing::submit(pipeline.ingress(),
                                       tally::testing::frame_of(deposit, request + 10), 1),
                ResultCode::Ok);
    }
    pipeline.stop();
  }
  snapshotter.stop();
  EXPECT_EQ(snapshotter.mirrored_sequence(), 101u);
  EXPECT_EQ(snapshotter.snapshots_written(), 0u);
}

}  // namespace
}  // namespace tally::journal
