// Snapshots: round trips, fallback past a corrupt one, pruning, and recovery from a snapshot
// plus the journal after it.
#include "engine/journal/snapshot.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "engine/journal/journal_writer.h"
#include "engine/journal/recovery.h"
#include "support/faulty_storage.h"
#include "support/ledger_harness.h"

namespace tally::journal {
namespace {

using tally::testing::LedgerHarness;

using tally::testing::image_of;

// A ledger with accounts, transaction ids and remembered requests.
void fill(LedgerHarness& harness, int requests) {
  harness.apply_one(tally::testing::open_command("a", "EUR", 1000));
  harness.apply_one(tally::testing::open_command("b", "USD", 0, 10));
  for (int request = 0; request < requests; ++request) {
    Command deposit = tally::testing::deposit_command(request % 2 ? "a" : "b", request + 1);
    deposit.transaction_id = {.low = static_cast<uint64_t>(request) + 1, .high = 3};
    const Command batch[] = {deposit, tally::testing::withdraw_command("a", 1)};
    harness.apply_with_id({.low = static_cast<uint64_t>(request) + 1, .high = 8}, batch);
  }
}

TEST(SnapshotTest, RoundTripKeepsAccountsTransactionIdsAndTheRetryWindow) {
  LedgerHarness original;
  fill(original, 50);
  const std::vector<uint8_t> bytes = encode_snapshot(original.ledger());
  Ledger restored(LedgerLimits{});
  ASSERT_TRUE(decode_snapshot(bytes, restored).is_ok());
  EXPECT_EQ(image_of(restored), image_of(original.ledger()));
  EXPECT_EQ(restored.next_sequence(), original.ledger().next_sequence());
  EXPECT_EQ(restored.transaction_count(), 50u);
  EXPECT_EQ(restored.window().request_count(), original.ledger().window().request_count());
  // A retry of a remembered request is answered from the restored window.
  Command deposit = tally::testing::deposit_command("a", 50);  // request 49 (0-based)
  deposit.transaction_id = {.low = 50, .high = 3};
  const Command batch[] = {deposit, tally::testing::withdraw_command("a", 1)};
  std::vector<Outcome> retry(2);
  restored.apply(
      {.request_id = {.low = 50, .high = 8}, .origin = 0, .atomic = false, .commands = batch}, 0,
      {.slots = retry.data(), .count = 2});
  EXPECT_TRUE(retry[0].is_replayed_answer());
}

TEST(SnapshotTest, AnyFlippedByteIsCorruption) {
  LedgerHarness original;
  fill(original, 5);
  const std::vector<uint8_t> bytes = encode_snapshot(original.ledger());
  for (size_t index = 0; index < bytes.size(); index += 7) {
    std::vector<uint8_t> damaged = bytes;
    damaged[index] ^= 0x04;
    Ledger restored(LedgerLimits{.batch_commands_max = 8, .idempotency_window = 1024});
    EXPECT_EQ(decode_snapshot(damaged, restored).code(), StatusCode::kCorruption) << index;
  }
}

TEST(SnapshotTest, CorruptSnapshotFallsBackToTheOlderOne) {
  tally::testing::FaultyStorage storage;
  LedgerHarness harness;
  fill(harness, 10);
  ASSERT_TRUE(write_snapshot(storage, "snapshots", harness.ledger(), 2).is_ok());
  const uint64_t older = harness.ledger().next_sequence() - 1;
  harness.apply_one(tally::testing::deposit_command("a", 7));
  ASSERT_TRUE(write_snapshot(storage, "snapshots", harness.ledger(), 2).is_ok());
  const uint64_t newer = harness.ledger().next_sequence() - 1;
  // Damage the newer one on disk.
  std::vector<uint8_t> bytes;
  ASSERT_TRUE(storage.read_file("snapshots/" + snapshot_name(newer), bytes).is_ok());
  bytes[bytes.size() / 2] ^= 0xFF;
  ASSERT_TRUE(storage.remove("snapshots/" + snapshot_name(newer)).is_ok());
  ASSERT_TRUE(storage.write_file("snapshots/" + snapshot_name(newer), bytes).is_ok());
  const SnapshotLoad load = load_newest_snapshot(storage, "snapshots", LedgerLimits{});
  ASSERT_TRUE(load.status.is_ok());
  EXPECT_EQ(load.sequence, older);
  ASSERT_EQ(load.skipped.size(), 1u);
  EXPECT_NE(load.skipped[0].find(snapshot_name(newer)), std::string::npos);
  EXPECT_EQ(load.ledger->next_sequence(), older + 1);
}

TEST(SnapshotTest, OnlyTheNewestAreKept) {
  tally::testing::FaultyStorage storage;
  LedgerHarness harness;
  harness.apply_one(tally::testing::open_command("a"));
  for (int round = 0; round < 4; ++round) {
    harness.apply_one(tally::testing::deposit_command("a", 1));
    ASSERT_TRUE(write_snapshot(storage, "snapshots", harness.ledger(), 2).is_ok());
  }
  std::vector<std::string> names;
  ASSERT_TRUE(storage.list_directory("snapshots", names).is_ok());
  EXPECT_EQ(names, (std::vector<std::string>{snapshot_name(4), snapshot_name(5)}));
}

TEST(SnapshotTest, NoSnapshotGivesAFreshLedger) {
  tally::testing::FaultyStorage storage;
  const SnapshotLoad load = load_newest_snapshot(storage, "snapshots", LedgerLimits{});
  ASSERT_TRUE(load.status.is_ok());
  EXPECT_EQ(load.sequence, 0u);
  ASSERT_NE(load.ledger, nullptr);
  EXPECT_EQ(load.ledger->next_sequence(), 1u);
}

TEST(SnapshotTest, ASnapshotInsideARequestIsRefused) {
  LedgerHarness original;
  original.apply_one(tally::testing::open_command("a", "EUR", 0));
  const Command batch[] = {tally::testing::deposit_command("a", 1),
                           tally::testing::deposit_command("a", 2)};
  const std::vector<Outcome> events = original.apply(batch);
  Ledger mirror(LedgerLimits{});
  const Status opened =
      mirror.replay(LedgerHarness().apply_one(tally::testing::open_command("a", "EUR", 0)));
  ASSERT_TRUE(opened.is_ok()) << opened.message();
  const Status half = mirror.replay(events[0]);  // half of the request
  ASSERT_TRUE(half.is_ok()) << half.message();
  tally::testing::FaultyStorage storage;
  EXPECT_EQ(write_snapshot(storage, "snapshots", mirror, 2).code(), StatusCode::kInvalidArgument);
  const Status whole = mirror.replay(events[1]);
  ASSERT_TRUE(whole.is_ok()) << whole.message();
  EXPECT_TRUE(write_snapshot(storage, "snapshots", mirror, 2).is_ok());
}

TEST(SnapshotTest, ASnapshotWhoseJournalIsGoneIsRefused) {
  // A journal is created before any snapshot: snapshots without one mean it was lost.
  tally::testing::FaultyStorage storage;
  LedgerHarness harness;
  fill(harness, 3);
  ASSERT_TRUE(write_snapshot(storage, "snapshots", harness.ledger(), 2).is_ok());
  SnapshotLoad load = load_newest_snapshot(storage, "snapshots", LedgerLimits{});
  const RecoveryReport report =
      recover(storage, "journal", *load.ledger, {.snapshot_sequence = load.sequence});
  EXPECT_EQ(report.status.code(), StatusCode::kCorruption);
  EXPECT_NE(
      report.status.message().find("snapshots reach sequence " + std::to_string(load.sequence)),
      std::string::npos)
      << report.status.message();
}

TEST(SnapshotTest, AJournalThatEndsBeforeTheSnapshotIsRefused) {
  tally::testing::FaultyStorage storage;
  JournalWriter writer(storage, {.directory = "journal", .segment_bytes = 4096});
  ASSERT_TRUE(writer.open({}, 0).is_ok());
  for (const Outcome& event : tally::testing::make_deposit_events(10)) {
    ASSERT_TRUE(writer.append(event).is_ok());
  }
  ASSERT_TRUE(writer.sync().is_ok());
  Ledger ledger(LedgerLimits{});
  ledger.restore_position(21, 0);  // as if loaded from a snapshot at 20
  const RecoveryReport report = recover(storage, "journal", ledger, {.snapshot_sequence = 20});
  EXPECT_EQ(report.status.code(), StatusCode::kCorruption);
  EXPECT_NE(report.status.message().find("ends at sequence 10"), std::string::npos)
      << report.status.message();
  EXPECT_NE(report.status.message().find("the snapshot at sequence 20"), std::string::npos)
      << report.status.message();
}

}  // namespace
}  // namespace tally::journal
