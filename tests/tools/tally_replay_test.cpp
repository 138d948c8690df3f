// tally-replay, run as a program on a real data directory written by the journal.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <limits>
#include <regex>
#include <string>
#include <vector>

#include "engine/base/id_text.h"
#include "engine/journal/data_directory_lock.h"
#include "engine/journal/journal_format.h"
#include "engine/journal/journal_writer.h"
#include "engine/journal/posix_storage.h"
#include "engine/journal/recovery.h"
#include "engine/journal/segment_names.h"
#include "support/ledger_harness.h"
#include "support/program_run.h"

namespace tally {
namespace {

using testing::ProgramRun;

ProgramRun run(const std::string& arguments) {
  return testing::run_program(std::string(TALLY_REPLAY_PATH) + " " + arguments,
                              testing::Capture::kStandardOutputAndError);
}

size_t count_lines(const std::string& text, const std::string& containing) {
  size_t count = 0;
  for (size_t start = 0; start < text.size();) {
    const size_t end = text.find('\n', start);
    const std::string line = text.substr(start, end - start);
    count += line.find(containing) != std::string::npos ? 1 : 0;
    start = end == std::string::npos ? text.size() : end + 1;
  }
  return count;
}

// How a test's writer leaves the journal: closed, as a clean stop does; or open, as a crash
// does, with only the first `synced_events` synced (acknowledged) and the rest written after.
struct JournalEnd {
  bool closed = true;
  size_t synced_events = std::numeric_limits<size_t>::max();  // open: all of them
  uint64_t segment_bytes = 1 << 16;
};

class TallyReplayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/tally-replay-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    data = pattern;
    ASSERT_EQ(::mkdir((data + "/journal").c_str(), 0755), 0);
    ASSERT_EQ(::mkdir((data + "/snapshots").c_str(), 0755), 0);
    ASSERT_NO_FATAL_FAILURE(
        write_journal({testing::open_command("a", "EUR", 100), testing::open_command("b", "EUR", 0),
                       testing::deposit_command("a", 50), testing::transfer_command("a", "b", 30),
                       testing::withdraw_command("b", 500), testing::deposit_command("b", 5)}));
  }
  void TearDown() override { std::system(("rm -rf " + data).c_str()); }

  // Replaces the journal with `events`, written as `end` says.
  void write_events(const std::vector<Outcome>& events, const JournalEnd& end = {}) {
    std::system(("rm -rf " + data + "/journal/*").c_str());
    journal::JournalWriter writer(
        storage, {.directory = data + "/journal", .segment_bytes = end.segment_bytes});
    ASSERT_TRUE(writer.open({}, 0).is_ok());
    for (size_t index = 0; index < events.size(); ++index) {
      ASSERT_TRUE(writer.append(events[index]).is_ok());
      if (index + 1 == end.synced_events) {
        ASSERT_TRUE(writer.sync().is_ok());
      }
    }
    if (end.closed) {
      ASSERT_TRUE(writer.close().is_ok());
    } else if (end.synced_events >= events.size()) {
      ASSERT_TRUE(writer.sync().is_ok());
    } else {
      ASSERT_TRUE(writer.flush().is_ok());  // written, not synced: as a killed tallyd leaves it
    }
  }

  // The journal the damage tests start from: an opening and `count - 1` deposits
  // (testing::make_deposit_events), cleanly stopped unless `end` says otherwise.
  void write_deposits(int count, const JournalEnd& end = {}) {
    write_events(testing::make_deposit_events(count), end);
  }

  // Replaces the journal with the events of `commands`, each applied as a request of its own,
  // synced and left open.
  void write_journal(const std::vector<Command>& commands) {
    testing::LedgerHarness harness;
    std::vector<Outcome> events;
    for (const Command& command : commands) {
      events.push_back(harness.apply_one(command));
    }
    write_events(events, {.closed = false});
  }

  // Flips a bit of the first segment, as a failing disk would.
  void flip_bit(uint64_t offset, uint8_t bit = 0x04) {
    journal::MappedFile file;
    ASSERT_TRUE(storage.map_file(data + "/journal/" + journal::segment_name(0), file).is_ok());
    file.bytes[offset] ^= bit;
    ASSERT_TRUE(storage.unmap_file(file).is_ok());
  }

  journal::PosixStorage storage;
  std::string data;
};

TEST_F(TallyReplayTest, VerifySaysAllIsWell) {
  const ProgramRun verify = run("verify " + data);
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
  EXPECT_NE(verify.output.find("all is well"), std::string::npos) << verify.output;
  EXPECT_NE(verify.output.find("6 events"), std::string::npos) << verify.output;
}

TEST_F(TallyReplayTest, DumpFiltersByAccountAndType) {
  const ProgramRun all = run("dump " + data);
  EXPECT_EQ(all.exit_code, 0) << all.output;
  EXPECT_EQ(count_lines(all.output, "\"sequence\""), 6u);
  const ProgramRun deposits = run("dump " + data + " --account b --type Deposited");
  EXPECT_EQ(count_lines(deposits.output, "\"sequence\""), 1u) << deposits.output;
  const ProgramRun rejections = run("dump " + data + " --type CommandRejected");
  EXPECT_EQ(count_lines(rejections.output, "InsufficientFunds"), 1u) << rejections.output;
}

TEST_F(TallyReplayTest, DumpShowsATransactionAsGivenNeverAsAText) {
  Command deposit = testing::deposit_command("a", 5);
  deposit.transaction_text = "txn-9";
  deposit.transaction_id = id_of_text("txn-9");
  Command uuid = testing::deposit_command("a", 6);
  uuid.transaction_text = "3f2504e0-4f89-11d3-9a0c-0305e82c3301";  // stored as an empty text
  uuid.transaction_id = id_of_text(uuid.transaction_text);
  ASSERT_NO_FATAL_FAILURE(write_journal({testing::open_command("a", "EUR", 100), deposit, uuid}));
  const ProgramRun dump = run("dump " + data + " --type Deposited");
  EXPECT_EQ(dump.exit_code, 0) << dump.output;
  EXPECT_EQ(count_lines(dump.output, "\"transaction_text\":\"txn-9\""), 1u) << dump.output;
  EXPECT_EQ(
      count_lines(dump.output, "\"transaction_text\":\"3f2504e0-4f89-11d3-9a0c-0305e82c3301\""), 1u)
      << dump.output;
  EXPECT_EQ(count_lines(dump.output, "\"text\""), 0u) << dump.output;
}

TEST_F(TallyReplayTest, StateAsOfASequenceAndItsSnapshot) {
  const ProgramRun state =
      run("state " + data + " --at-seq 3 --write-snapshot " + data + "/snapshots");
  EXPECT_EQ(state.exit_code, 0) << state.output;
  EXPECT_NE(state.output.find("total EUR: 150 minor units in 2 accounts"), std::string::npos)
      << state.output;
  EXPECT_NE(state.output.find("next sequence: 4"), std::string::npos) << state.output;
  const ProgramRun verify = run("verify " + data);
  EXPECT_NE(verify.output.find("snapshot 00000000000000000003.snapshot: ok"), std::string::npos)
      << verify.output;
}

TEST_F(TallyReplayTest, StatsCountEventsAndTotals) {
  const ProgramRun stats = run("stats " + data);
  EXPECT_EQ(stats.exit_code, 0) << stats.output;
  EXPECT_NE(stats.output.find("events Deposited: 2"), std::string::npos) << stats.output;
  EXPECT_NE(stats.output.find("rejected InsufficientFunds: 1"), std::string::npos);
  EXPECT_NE(stats.output.find("total EUR: 155 minor units in 2 accounts"), std::string::npos);
}

TEST_F(TallyReplayTest, CorruptionMidJournalFailsVerifyWithItsPlace) {
  // A journal of several small segments; damage in one that is not the last cannot be a crash.
  ASSERT_NO_FATAL_FAILURE(write_deposits(150, {.closed = false, .segment_bytes = 4096}));
  ASSERT_NO_FATAL_FAILURE(flip_bit(sizeof(journal::SegmentHeader) + 40, 0x01));  // first record
  const ProgramRun verify = run("verify " + data);
  EXPECT_EQ(verify.exit_code, 1) << verify.output;
  EXPECT_NE(verify.output.find("checksum mismatch"), std::string::npos) << verify.output;
  EXPECT_NE(verify.output.find(journal::segment_name(0) + " at offset 56"), std::string::npos)
      << verify.output;
  EXPECT_NE(verify.output.find("CORRUPT"), std::string::npos) << verify.output;
}

// The case: stopped cleanly, one bit flipped at byte 200 of the only segment. It was
// called a torn tail ("all is well", exit 0) while tallyd served the balance of one deposit.
TEST_F(TallyReplayTest, AFlippedBitNearTheEndOfACleanlyStoppedJournalIsCorruption) {
  ASSERT_NO_FATAL_FAILURE(write_deposits(20));
  flip_bit(200);
  const ProgramRun verify = run("verify " + data);
  EXPECT_EQ(verify.exit_code, 1) << verify.output;
  EXPECT_NE(verify.output.find("not a torn tail"), std::string::npos) << verify.output;
  EXPECT_EQ(verify.output.find("torn tail in"), std::string::npos) << verify.output;
  EXPECT_NE(verify.output.find("CORRUPT"), std::string::npos) << verify.output;
  EXPECT_EQ(run("dump " + data).exit_code, 1);
  EXPECT_EQ(run("stats " + data).exit_code, 1);
}

TEST_F(TallyReplayTest, OnlyATailNeverSyncedIsCalledTorn) {
  // 1..20 acknowledged; 21..30 written, never synced.
  ASSERT_NO_FATAL_FAILURE(write_deposits(30, {.closed = false, .synced_events = 20}));
  // As a power loss leaves it: the tail's last bytes torn.
  journal::MappedFile file;
  ASSERT_TRUE(storage.map_file(data + "/journal/" + journal::segment_name(0), file).is_ok());
  uint64_t end = file.bytes.size();
  while (file.bytes[end - 1] == 0) {
    --end;
  }
  file.bytes[end - 20] ^= 0x01;
  const uint8_t torn_byte = file.bytes[end - 20];
  ASSERT_TRUE(storage.unmap_file(file).is_ok());
  const ProgramRun verify = run("verify " + data);
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
  EXPECT_NE(verify.output.find("torn tail in"), std::string::npos) << verify.output;
  EXPECT_NE(verify.output.find("sequence 30"), std::string::npos) << verify.output;
  EXPECT_NE(verify.output.find("all is well"), std::string::npos) << verify.output;
  std::vector<uint8_t> unchanged;
  ASSERT_TRUE(storage.read_file(data + "/journal/" + journal::segment_name(0), unchanged).is_ok());
  EXPECT_EQ(unchanged[end - 20], torn_byte);  // a reader cuts nothing
}

// After tallyd refused a journal, the operator can restore a backup, or cut: repair says what
// the cut loses and changes nothing; repair --cut does it, keeps the bytes aside, moves aside a
// snapshot past the cut, and leaves a journal that verifies and recovers.
TEST_F(TallyReplayTest, RepairSaysWhatACutLosesAndCutsOnlyWhenTold) {
  ASSERT_NO_FATAL_FAILURE(write_deposits(20));
  const ProgramRun snapshot = run("state " + data + " --write-snapshot " + data + "/snapshots");
  ASSERT_EQ(snapshot.exit_code, 0) << snapshot.output;
  EXPECT_EQ(run("repair " + data).exit_code, 0);  // whole: nothing to do
  flip_bit(200);
  std::vector<uint8_t> before;
  ASSERT_TRUE(storage.read_file(data + "/journal/" + journal::segment_name(0), before).is_ok());

  const ProgramRun told = run("repair " + data);
  EXPECT_EQ(told.exit_code, 1) << told.output;
  EXPECT_NE(told.output.find("not a torn tail"), std::string::npos) << told.output;
  EXPECT_NE(told.output.find("ACKNOWLEDGED EVENTS ARE LOST"), std::string::npos) << told.output;
  EXPECT_NE(told.output.find("nothing was changed"), std::string::npos) << told.output;
  std::vector<uint8_t> after;
  ASSERT_TRUE(storage.read_file(data + "/journal/" + journal::segment_name(0), after).is_ok());
  EXPECT_EQ(after, before);
  {
    journal::DataDirectoryLock server;
    ASSERT_TRUE(server.acquire(data, journal::LockMode::kExclusive).is_ok());
    EXPECT_EQ(run("repair --cut " + data).exit_code, 3);  // never beside a server
  }

  const ProgramRun cut = run("repair --cut " + data);
  ASSERT_EQ(cut.exit_code, 0) << cut.output;
  EXPECT_NE(cut.output.find(".cut"), std::string::npos) << cut.output;
  EXPECT_NE(cut.output.find("00000000000000000020.snapshot was past the cut"), std::string::npos)
      << cut.output;
  const ProgramRun verify = run("verify " + data);
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
  EXPECT_NE(verify.output.find("stopped cleanly"), std::string::npos) << verify.output;
  // As tallyd starts: the newest snapshot, then the journal.
  const journal::LedgerRecovery recovered =
      journal::recover_ledger(storage, data + "/journal", data + "/snapshots", LedgerLimits{});
  ASSERT_TRUE(recovered.status.is_ok()) << recovered.status.message();
  EXPECT_EQ(recovered.snapshot_sequence, 0u);
  EXPECT_GE(recovered.ledger->next_sequence(), 2u);
  EXPECT_LT(recovered.ledger->next_sequence(), 5u);
}

TEST_F(TallyReplayTest, ADirectoryAServerHoldsIsRefusedUnlessReadLive) {
  journal::DataDirectoryLock server;
  ASSERT_TRUE(server.acquire(data, journal::LockMode::kExclusive).is_ok());
  const ProgramRun refused = run("verify " + data);
  EXPECT_EQ(refused.exit_code, 3) << refused.output;
  EXPECT_NE(refused.output.find("in use"), std::string::npos) << refused.output;
  EXPECT_NE(refused.output.find("pid " + std::to_string(::getpid())), std::string::npos)
      << refused.output;
  const ProgramRun live = run("verify --live " + data);
  EXPECT_EQ(live.exit_code, 0) << live.output;
  EXPECT_NE(live.output.find("reading it live"), std::string::npos) << live.output;
  EXPECT_EQ(run("dump " + data).exit_code, 3);
}

// A crash between two appends of one request leaves its first event; recovery gives it no
// effect and the retry applies it anew. Every reader must agree: no transfer shown twice.
TEST_F(TallyReplayTest, ARequestACrashCutShortIsLeftOutOfDumpAndStats) {
  testing::LedgerHarness harness;
  std::vector<Outcome> events = {harness.apply_one(testing::open_command("a", "EUR", 100)),
                                 harness.apply_one(testing::open_command("b", "EUR", 0))};
  const Command pair[] = {testing::transfer_command("a", "b", 30),
                          testing::deposit_command("b", 7)};
  const std::vector<Outcome> cut = harness.apply(pair);
  events.push_back(cut[0]);  // the request's first event only: the crash came before the second
  testing::LedgerHarness retry_harness;
  retry_harness.apply_one(testing::open_command("a", "EUR", 100));
  retry_harness.apply_one(testing::open_command("b", "EUR", 0));
  for (Outcome retried : retry_harness.apply(pair)) {
    retried.sequence += 1;  // after the cut event, whose sequence stays used
    events.push_back(retried);
  }
  ASSERT_NO_FATAL_FAILURE(write_events(events));
  const ProgramRun dump = run("dump --type Transferred " + data);
  EXPECT_EQ(dump.exit_code, 0) << dump.output;
  EXPECT_EQ(count_lines(dump.output, "\"type\":\"Transferred\""), 1u) << dump.output;
  EXPECT_NE(dump.output.find("\"sequence\":4,"), std::string::npos) << dump.output;  // the retry
  EXPECT_NE(dump.output.find("1 events of requests a crash cut short"), std::string::npos)
      << dump.output;
  const ProgramRun stats = run("stats " + data);
  EXPECT_NE(stats.output.find("events Transferred: 1"), std::string::npos) << stats.output;
  EXPECT_NE(stats.output.find("total EUR: 107 minor units"), std::string::npos) << stats.output;
}

TEST_F(TallyReplayTest, StatsAndStateAddBalancesNearTheLimitWithoutWrapping) {
  // Two balances of INT64_MAX: their sum needs 65 bits, which an int64 total wraps negative.
  ASSERT_NO_FATAL_FAILURE(write_journal({testing::open_command("a", "EUR", INT64_MAX),
                                         testing::open_command("b", "EUR", INT64_MAX)}));
  const std::string exact_total = "total EUR: 18446744073709551614 minor units in 2 accounts";
  const ProgramRun stats = run("stats " + data);
  EXPECT_EQ(stats.exit_code, 0) << stats.output;
  EXPECT_NE(stats.output.find(exact_total), std::string::npos) << stats.output;
  const ProgramRun state = run("state " + data);
  EXPECT_EQ(state.exit_code, 0) << state.output;
  EXPECT_NE(state.output.find(exact_total), std::string::npos) << state.output;
}

TEST_F(TallyReplayTest, DumpShowsTransactionIdsAccountTypesAndOverdrafts) {
  Command savings = testing::open_command("s", "EUR", 100, 2500);
  savings.account_type = AccountType::Savings;
  Command deposit = testing::deposit_command("s", 7);
  deposit.transaction_id = Id128{.low = 0x1f, .high = 0};
  Command transfer = testing::transfer_command("s", "c", 3);
  transfer.transaction_id = Id128{.low = 2, .high = 0xab};
  ASSERT_NO_FATAL_FAILURE(
      write_journal({savings, testing::open_command("c", "EUR"), deposit, transfer}));
  const ProgramRun dump = run("dump " + data);
  EXPECT_EQ(dump.exit_code, 0) << dump.output;
  EXPECT_NE(dump.output.find("\"type\":\"AccountOpened\""), std::string::npos) << dump.output;
  EXPECT_NE(dump.output.find("\"account_type\":\"Savings\",\"overdraft_limit\":2500"),
            std::string::npos)
      << dump.output;
  EXPECT_NE(dump.output.find("\"account_type\":\"Checking\",\"overdraft_limit\":0"),
            std::string::npos)
      << dump.output;
  // As tally prints them and reads them back with --transaction-id: hex, no leading zeros.
  EXPECT_NE(dump.output.find("\"transaction_id\":\"1f\""), std::string::npos) << dump.output;
  EXPECT_NE(dump.output.find("\"transaction_id\":\"ab0000000000000002\""), std::string::npos)
      << dump.output;
  // The transfer's receiving side: its balance and its version after the event.
  EXPECT_NE(dump.output.find("\"counterparty_balance\":3,\"counterparty_version\":2"),
            std::string::npos)
      << dump.output;
  EXPECT_EQ(count_lines(dump.output, "\"transaction_id\""), 2u) << dump.output;
}

TEST_F(TallyReplayTest, DumpWithAnUnknownTypeIsAUsageError) {
  const ProgramRun unknown = run("dump " + data + " --type Deposit");
  EXPECT_EQ(unknown.exit_code, 2) << unknown.output;
  EXPECT_EQ(count_lines(unknown.output, "\"sequence\""), 0u) << unknown.output;
  EXPECT_NE(unknown.output.find("Deposited"), std::string::npos) << unknown.output;  // the choices
  // The names are matched whatever their case, as the other tools spell them.
  const ProgramRun lower = run("dump " + data + " --type deposited");
  EXPECT_EQ(lower.exit_code, 0) << lower.output;
  EXPECT_EQ(count_lines(lower.output, "\"sequence\""), 2u) << lower.output;
}

TEST_F(TallyReplayTest, VersionPrintsTheProjectVersion) {
  const ProgramRun version = run("--version");
  EXPECT_EQ(version.exit_code, 0) << version.output;
  EXPECT_TRUE(
      std::regex_match(version.output, std::regex("tally-replay [0-9]+\\.[0-9]+\\.[0-9]+\n")))
      << version.output;
}

TEST_F(TallyReplayTest, BadUsageExitsTwo) {
  EXPECT_EQ(run("frobnicate " + data).exit_code, 2);
  EXPECT_EQ(run("verify /no/such/directory").exit_code, 2);
}

}  // namespace
}  // namespace tally
