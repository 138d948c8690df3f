#include "engine/ledger/account_directory.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/ledger_harness.h"

namespace tally {
namespace {

constexpr size_t kRecordsToFillAChunk = 10'082;
constexpr std::string_view kFitsTheTail = "aaaaaaaa";                        // a 48-byte record
constexpr std::string_view kOpensAChunk = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";  // a 64-byte record

std::string numbered_id(char letter, size_t length, size_t number) {
  std::string id = std::to_string(number);
  id.insert(id.begin(), length - id.size(), letter);
  return id;
}

TEST(AccountDirectoryTest, FindsWhatWasInsertedAndForgetsWhatWasRemoved) {
  AccountDirectory directory(4);
  const AccountRef first = directory.insert("alpha", Account{.balance = 1});
  const AccountRef second = directory.insert("beta", Account{.balance = 2});
  EXPECT_EQ(directory.find("alpha"), first);
  EXPECT_EQ(directory.id_of(second), "beta");
  directory.remove_last(second);
  EXPECT_EQ(directory.find("beta"), kNoAccount);
  EXPECT_EQ(directory.size(), 1u);
  const AccountRef third = directory.insert("gamma", Account{.balance = 3});
  EXPECT_EQ(directory.at(directory.find("gamma")).balance, 3);
  EXPECT_EQ(directory.find("gamma"), third);
}

// Regression: undoing ids that straddle two arena chunks used to corrupt the arena.
TEST(AccountDirectoryTest, UndoAcrossAnArenaChunkBoundaryKeepsEveryIdIntact) {
  AccountDirectory directory(1 << 15);
  std::vector<std::string> ids;
  // Records of 64-byte ids take 104 bytes: 10,082 of them leave 48 bytes of a 1 MiB chunk.
  for (size_t number = 0; number < kRecordsToFillAChunk; ++number) {
    ids.push_back(numbered_id('x', 64, number));
    directory.insert(ids.back(), Account{});
  }
  const size_t one_chunk = directory.memory_bytes();
  const AccountRef fits = directory.insert(kFitsTheTail, Account{});
  EXPECT_EQ(directory.memory_bytes(), one_chunk);
  const AccountRef opens_chunk = directory.insert(kOpensAChunk, Account{});
  EXPECT_EQ(directory.memory_bytes(), one_chunk + (1 << 20));
  directory.remove_last(opens_chunk);
  directory.remove_last(fits);
  directory.insert(std::string(50, 'c'), Account{});
  directory.insert(std::string(64, 'd'), Account{});
  EXPECT_NE(directory.find(std::string(50, 'c')), kNoAccount);
  EXPECT_NE(directory.find(std::string(64, 'd')), kNoAccount);
  EXPECT_EQ(directory.find(kFitsTheTail), kNoAccount);
  EXPECT_EQ(directory.find(kOpensAChunk), kNoAccount);
  for (const std::string& id : ids) {
    ASSERT_NE(directory.find(id), kNoAccount) << id;
  }
}

TEST(AccountDirectoryTest, AtomicBatchOfOpeningsAcrossAChunkRollsBackCleanly) {
  testing::LedgerHarness harness(LedgerLimits{.initial_account_capacity = 1 << 15});
  std::vector<std::string> ids;
  for (size_t number = 0; number < kRecordsToFillAChunk; ++number) {
    ids.push_back(numbered_id('y', 64, number));
    ASSERT_EQ(harness.apply_one(testing::open_command(ids.back())).code, ResultCode::Ok);
  }
  const std::string first(kFitsTheTail);
  const std::string second(kOpensAChunk);
  const Command batch[] = {testing::open_command(first), testing::open_command(second),
                           testing::deposit_command("no-such-account", 1)};
  const std::vector<Outcome> events = harness.apply(batch, true);
  EXPECT_EQ(events[2].code, ResultCode::AccountNotFound);
  EXPECT_EQ(harness.apply_one(testing::open_command(std::string(50, 'c'))).code, ResultCode::Ok);
  EXPECT_EQ(harness.apply_one(testing::open_command(first)).code, ResultCode::Ok);
  EXPECT_EQ(harness.ledger().accounts().size(), kRecordsToFillAChunk + 2);
  for (const std::string& id : ids) {
    ASSERT_NE(harness.find(id), nullptr) << id;
  }
}

}  // namespace
}  // namespace tally
