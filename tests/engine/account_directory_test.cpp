#include "engine/account_directory.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/ledger_harness.h"

namespace tally {
namespace {

std::string numbered_id(char letter, size_t length, size_t number) {
  std::string id = std::to_string(number);
  id.insert(id.begin(), length - id.size(), letter);
  return id;
}

TEST(AccountDirectoryTest, FindsWhatWasInsertedAndForgetsWhatWasRemoved) {
  AccountDirectory directory(4);
  const AccountIndex first = directory.insert("alpha", Account{.balance = 1});
  directory.insert("beta", Account{.balance = 2});
  ASSERT_NE(directory.find("alpha"), nullptr);
  EXPECT_EQ(*directory.find("alpha"), first);
  directory.remove_last("beta");
  EXPECT_EQ(directory.find("beta"), nullptr);
  EXPECT_EQ(directory.size(), 1u);
  directory.insert("gamma", Account{.balance = 3});
  EXPECT_EQ(directory.at(*directory.find("gamma")).balance, 3);
}

// Regression: undoing ids that straddle two arena chunks used to corrupt the arena.
TEST(AccountDirectoryTest, UndoAcrossAnArenaChunkBoundaryKeepsEveryIdIntact) {
  AccountDirectory directory(1 << 15);
  std::vector<std::string> ids;
  for (size_t number = 0; number < 16'383; ++number) {  // leaves 64 bytes in the first chunk
    ids.push_back(numbered_id('x', 64, number));
    directory.insert(ids.back(), Account{});
  }
  directory.insert(std::string(40, 'a'), Account{});  // fits the first chunk
  directory.insert(std::string(30, 'b'), Account{});  // opens a second chunk
  directory.remove_last(std::string(30, 'b'));
  directory.remove_last(std::string(40, 'a'));
  directory.insert(std::string(50, 'c'), Account{});
  directory.insert(std::string(64, 'd'), Account{});
  EXPECT_NE(directory.find(std::string(50, 'c')), nullptr);
  EXPECT_NE(directory.find(std::string(64, 'd')), nullptr);
  EXPECT_EQ(directory.find(std::string(40, 'a')), nullptr);
  for (const std::string& id : ids) {
    ASSERT_NE(directory.find(id), nullptr) << id;
  }
}

TEST(AccountDirectoryTest, AtomicBatchOfOpeningsAcrossAChunkRollsBackCleanly) {
  testing::LedgerHarness harness(LedgerLimits{.initial_account_capacity = 1 << 15});
  std::vector<std::string> ids;
  for (size_t number = 0; number < 16'383; ++number) {
    ids.push_back(numbered_id('y', 64, number));
    ASSERT_EQ(harness.apply_one(testing::open_command(ids.back())).code, ResultCode::Ok);
  }
  const std::string first(40, 'a');
  const std::string second(30, 'b');
  const Command batch[] = {testing::open_command(first), testing::open_command(second),
                           testing::deposit_command("no-such-account", 1)};
  const std::vector<Event> events = harness.apply(batch, true);
  EXPECT_EQ(events[2].code, ResultCode::AccountNotFound);
  EXPECT_EQ(harness.apply_one(testing::open_command(std::string(50, 'c'))).code, ResultCode::Ok);
  EXPECT_EQ(harness.apply_one(testing::open_command(first)).code, ResultCode::Ok);
  EXPECT_EQ(harness.ledger().accounts().size(), 16'385u);
}

}  // namespace
}  // namespace tally
