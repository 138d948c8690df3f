// Snapshots: round trips, fallback past a corrupt one, pruning, and recovery from a snapshot
// plus the journal after it.
#include "engine/journal/snapshot.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "engine/base/hashing.h"
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

// Bad content under a valid checksum: what a hostile or buggy writer leaves. The real encoder's
// bytes, one field patched, both checksums recomputed.
class Patched {
 public:
  explicit Patched(std::vector<uint8_t> bytes) : bytes_(std::move(bytes)) {}

  template <typename Value>
  void put(size_t offset, const Value& value) {
    ASSERT_LE(offset + sizeof(Value), bytes_.size());
    std::memcpy(bytes_.data() + offset, &value, sizeof(Value));
  }
  template <typename Value>
  Value get(size_t offset) const {
    Value value;
    std::memcpy(&value, bytes_.data() + offset, sizeof(Value));
    return value;
  }
  SnapshotHeader header() const { return get<SnapshotHeader>(0); }

  // Where the record of account `id` starts (its id_length byte).
  size_t account(std::string_view id) const {
    size_t offset = sizeof(SnapshotHeader);
    for (uint64_t index = 0; index < header().account_count; ++index) {
      const size_t length = bytes_[offset];
      if (std::string_view(reinterpret_cast<const char*>(&bytes_[offset + 1]), length) == id)
        return offset;
      offset += 1 + length + 8 + 8 + 8 + 4 + 1 + 1;
    }
    ADD_FAILURE() << "no account " << id;
    return 0;
  }
  static size_t balance(size_t record) { return record + 2; }  // one-byte ids
  static size_t overdraft(size_t record) { return record + 10; }
  static size_t version(size_t record) { return record + 18; }
  static size_t currency(size_t record) { return record + 26; }
  static size_t status(size_t record) { return record + 30; }
  static size_t type(size_t record) { return record + 31; }

  size_t transactions() const {
    size_t offset = sizeof(SnapshotHeader);
    for (uint64_t index = 0; index < header().account_count; ++index)
      offset += 1 + bytes_[offset] + 8 + 8 + 8 + 4 + 1 + 1;
    return offset;
  }
  // Where remembered request `index` starts, and where its outcome `outcome` does.
  size_t request(uint64_t index) const {
    size_t offset = transactions() + header().transaction_count * 16;
    for (uint64_t skipped = 0; skipped < index; ++skipped)
      offset += 28 + 32 * static_cast<size_t>(get<uint32_t>(offset + 24));
    return offset;
  }
  size_t outcome(uint64_t request_index, uint32_t outcome_index) const {
    return request(request_index) + 28 + 32 * outcome_index;
  }

  const std::vector<uint8_t>& sealed() {
    SnapshotHeader fixed = header();
    fixed.body_checksum =
        hash_bytes(bytes_.data() + sizeof(SnapshotHeader), bytes_.size() - sizeof(SnapshotHeader));
    fixed.header_checksum = hash_bytes(&fixed, offsetof(SnapshotHeader, header_checksum));
    std::memcpy(bytes_.data(), &fixed, sizeof(fixed));
    return bytes_;
  }

 private:
  std::vector<uint8_t> bytes_;
};

struct BadContent {
  const char* name;
  std::function<void(Patched&)> patch;
  const char* problem;  // what the refusal must say
};

// fill(harness, 4): "a" (EUR, 1000) and "b" (USD, 0, overdraft 10) at sequences 1 and 2, then
// 4 requests of a deposit (with transaction id) and a withdrawal, at sequences 3..10: six
// remembered requests, the openings first.
const std::vector<BadContent>& bad_contents() {
  static const std::vector<BadContent> contents = {
      {"BalanceBelowOverdraft",
       [](Patched& p) { p.put(Patched::balance(p.account("b")), int64_t{-500}); },
       "account b: balance -500 below its overdraft limit 10"},
      {"NegativeOverdraftLimit",
       [](Patched& p) { p.put(Patched::overdraft(p.account("b")), int64_t{-1}); },
       "account b: negative overdraft limit -1"},
      {"VersionZero", [](Patched& p) { p.put(Patched::version(p.account("a")), uint64_t{0}); },
       "account a: version 0 outside 1..10"},
      {"VersionPastTheSnapshot",
       [](Patched& p) { p.put(Patched::version(p.account("a")), uint64_t{11}); },
       "account a: version 11 outside 1..10"},
      {"UnknownStatus", [](Patched& p) { p.put(Patched::status(p.account("a")), uint8_t{7}); },
       "account a: unknown status 7"},
      {"UnknownType", [](Patched& p) { p.put(Patched::type(p.account("a")), uint8_t{9}); },
       "account a: unknown type 9"},
      {"InvalidCurrency",
       [](Patched& p) { p.put(Patched::currency(p.account("a")), uint32_t{0x727565}); },
       "account a: currency 0x00727565 is not three letters A-Z"},
      {"ClosedWithMoney",
       [](Patched& p) {
         p.put(Patched::status(p.account("a")), static_cast<uint8_t>(AccountStatus::Closed));
       },
       "account a: closed with balance"},
      {"InvalidAccountId", [](Patched& p) { p.put(p.account("a") + 1, '!'); },
       "account !: not an id the ledger accepts"},
      {"DuplicateTransactionId",
       [](Patched& p) { p.put(p.transactions() + 16, p.get<Id128>(p.transactions())); },
       "appears twice"},
      {"ZeroTransactionId", [](Patched& p) { p.put(p.transactions(), Id128{}); },
       "transaction id 0"},
      {"OutcomePastTheSnapshot",
       [](Patched& p) {
         p.put(p.outcome(5, 0), uint64_t{10});
         p.put(p.outcome(5, 1), uint64_t{11});
       },
       "outcomes pass the snapshot's sequence 10"},
      {"OutcomesNotConsecutive", [](Patched& p) { p.put(p.outcome(3, 1), uint64_t{9}); },
       "outcome 1 at sequence 9, not 6"},
      {"RequestsOutOfOrder",
       [](Patched& p) {
         p.put(p.outcome(2, 0), uint64_t{9});
         p.put(p.outcome(2, 1), uint64_t{10});
       },
       "remembered requests out of order"},
      {"UnknownResultCode", [](Patched& p) { p.put(p.outcome(2, 0) + 24, uint16_t{999}); },
       "result code 999"},
      {"UnknownCommandType", [](Patched& p) { p.put(p.outcome(2, 1) + 26, uint8_t{200}); },
       "command type 200"},
      {"AcceptedOutcomeWithoutVersion",
       [](Patched& p) { p.put(p.outcome(2, 0) + 16, uint64_t{0}); }, "accepted with version 0"},
      {"RequestRememberedTwice",
       [](Patched& p) { p.put(p.request(1), p.get<Id128>(p.request(0))); }, "remembered twice"},
      {"NegativeTimestamp",
       [](Patched& p) { p.put(offsetof(SnapshotHeader, timestamp_ns), int64_t{-1}); },
       "timestamp -1 out of range"},
      {"MoreAccountsThanEvents",
       [](Patched& p) { p.put(offsetof(SnapshotHeader, sequence), uint64_t{1}); },
       "2 accounts, 4 transaction ids, 6 requests from only 1 events"},
  };
  return contents;
}

class BadSnapshotTest : public ::testing::TestWithParam<BadContent> {};

TEST_P(BadSnapshotTest, IsRefusedWithCorruptionNamingTheProblem) {
  LedgerHarness original;
  fill(original, 4);
  ASSERT_EQ(original.ledger().next_sequence(), 11u);
  Patched patched(encode_snapshot(original.ledger()));
  GetParam().patch(patched);
  Ledger restored(LedgerLimits{});
  const Status status = decode_snapshot(patched.sealed(), restored);
  EXPECT_EQ(status.code(), StatusCode::kCorruption) << status.message();
  EXPECT_NE(status.message().find(GetParam().problem), std::string::npos) << status.message();
  EXPECT_EQ(status.message().rfind("snapshot corrupt: ", 0), 0u) << status.message();
}

// Recovery skips the bad newest snapshot (naming it and the problem), loads the older one and
// replays the journal after it: the state is the original's.
TEST_P(BadSnapshotTest, RecoveryFallsBackToTheOlderSnapshotAndTheJournal) {
  tally::testing::FaultyStorage storage;
  JournalWriter writer(storage, {.directory = "journal", .segment_bytes = 1 << 16});
  ASSERT_TRUE(writer.open({}, 0).is_ok());
  LedgerHarness original;
  const auto journal = [&](const std::vector<Outcome>& events) {
    for (const Outcome& event : events)
      ASSERT_TRUE(writer.append(event).is_ok());
  };
  journal(original.apply(std::vector<Command>{tally::testing::open_command("a", "EUR", 1000)}));
  journal(original.apply(std::vector<Command>{tally::testing::open_command("b", "USD", 0, 10)}));
  ASSERT_TRUE(writer.sync().is_ok());
  ASSERT_TRUE(write_snapshot(storage, "snapshots", original.ledger(), 3).is_ok());
  for (uint64_t request = 0; request < 4; ++request) {
    Command deposit = tally::testing::deposit_command(request % 2 ? "a" : "b", request + 1);
    deposit.transaction_id = {.low = request + 1, .high = 3};
    const Command batch[] = {deposit, tally::testing::withdraw_command("a", 1)};
    journal(original.apply_with_id({.low = request + 1, .high = 8}, batch));
  }
  ASSERT_TRUE(writer.sync().is_ok());
  ASSERT_EQ(original.ledger().next_sequence(), 11u);
  Patched patched(encode_snapshot(original.ledger()));
  GetParam().patch(patched);
  const std::string bad = snapshot_name(10);
  ASSERT_TRUE(storage.write_file("snapshots/" + bad, patched.sealed()).is_ok());

  const LedgerRecovery recovery = recover_ledger(storage, "journal", "snapshots", LedgerLimits{});
  ASSERT_TRUE(recovery.status.is_ok()) << recovery.status.message();
  EXPECT_EQ(recovery.snapshot_sequence, 2u);
  ASSERT_EQ(recovery.snapshots_skipped.size(), 1u);
  EXPECT_NE(recovery.snapshots_skipped[0].find(bad), std::string::npos);
  EXPECT_NE(recovery.snapshots_skipped[0].find(GetParam().problem), std::string::npos)
      << recovery.snapshots_skipped[0];
  EXPECT_EQ(image_of(*recovery.ledger), image_of(original.ledger()));
  EXPECT_EQ(recovery.ledger->next_sequence(), 11u);
  EXPECT_EQ(recovery.ledger->transaction_count(), 4u);
  EXPECT_EQ(recovery.ledger->window().request_count(), original.ledger().window().request_count());
}

INSTANTIATE_TEST_SUITE_P(EveryKind, BadSnapshotTest, ::testing::ValuesIn(bad_contents()),
                         [](const ::testing::TestParamInfo<BadContent>& param) {
                           return std::string(param.param.name);
                         });

// Limits are the loader's: more transaction ids than it allows is refused.
TEST(SnapshotTest, MoreTransactionIdsThanTheLimitAreRefused) {
  LedgerHarness original;
  fill(original, 4);
  Ledger restored(LedgerLimits{.transaction_ids_max = 3});
  const Status status = decode_snapshot(encode_snapshot(original.ledger()), restored);
  EXPECT_EQ(status.code(), StatusCode::kCorruption);
  EXPECT_NE(status.message().find("4 transaction ids, more than transaction_ids_max (3)"),
            std::string::npos)
      << status.message();
}

// Every snapshot the ledger writes loads: generated ids, frozen and closed accounts, overdrafts
// used, rejections and atomic failures in the window.
TEST(SnapshotTest, EveryStateTheLedgerProducesLoads) {
  LedgerHarness original;
  original.apply_one(tally::testing::open_command("", "EUR", 5));  // a generated id
  original.apply_one(tally::testing::open_command("o", "GBP", 0, 100));
  original.apply_one(tally::testing::withdraw_command("o", 100));  // down to the limit
  original.apply_one(tally::testing::withdraw_command("o", 1));    // refused
  original.apply_one(tally::testing::open_command("z", "EUR", 0));
  original.apply_one(tally::testing::close_command("z"));
  original.apply_one(tally::testing::open_command("f", "EUR", 3));
  original.apply_one(tally::testing::freeze_command("f", "hold"));
  const Command atomic[] = {tally::testing::deposit_command("o", 5),
                            tally::testing::withdraw_command("f", 1)};
  original.apply(atomic, true);  // fails whole: f is frozen
  const std::vector<uint8_t> bytes = encode_snapshot(original.ledger());
  Ledger restored(LedgerLimits{});
  const Status status = decode_snapshot(bytes, restored);
  ASSERT_TRUE(status.is_ok()) << status.message();
  EXPECT_EQ(image_of(restored), image_of(original.ledger()));
}

}  // namespace
}  // namespace tally::journal
