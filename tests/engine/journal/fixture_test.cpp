// Journals written by each format version stay readable: the version 1 fixture.
#include <gtest/gtest.h>

#include <string>

#include "engine/journal/posix_storage.h"
#include "engine/journal/recovery.h"
#include "engine/ledger/ledger.h"

namespace tally::journal {
namespace {

TEST(JournalFixtureTest, FormatVersion1JournalStaysReadable) {
  PosixStorage storage;
  Ledger ledger(LedgerLimits{});
  // A fixture is never modified: read only. Version 1 had no manifest: accepted, with a warning.
  const RecoveryReport report = assess_journal(
      storage, std::string(TALLY_FIXTURES_DIR) + "/journal-v1/journal", {.read_only = true},
      [&](const Outcome& event) { return ledger.replay(event); });
  ASSERT_TRUE(report.status.is_ok()) << report.status.message();
  EXPECT_EQ(report.events_replayed, 125u);
  EXPECT_EQ(report.last_sequence, 125u);
  EXPECT_FALSE(report.cut.has_value());
  ASSERT_EQ(report.warnings.size(), 1u);
  EXPECT_NE(report.warnings[0].find("before manifests"), std::string::npos) << report.warnings[0];
  const auto balance_and_version = [&](std::string_view id) {
    const AccountRef ref = ledger.accounts().find(id);
    EXPECT_NE(ref, kNoAccount) << id;
    const Account& account = ledger.accounts().at(ref);
    return std::pair{account.balance, account.version};
  };
  EXPECT_EQ(balance_and_version("alice"), (std::pair<int64_t, uint64_t>{13616, 65}));
  EXPECT_EQ(balance_and_version("bob"), (std::pair<int64_t, uint64_t>{224, 35}));
  EXPECT_EQ(balance_and_version("tally:3"), (std::pair<int64_t, uint64_t>{42, 1}));
  EXPECT_EQ(ledger.transaction_count(), 32u);
}

}  // namespace
}  // namespace tally::journal
