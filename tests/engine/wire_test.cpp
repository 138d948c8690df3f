// The wire: FlatBuffers request frames verified, decoded and encoded.
#include "engine/wire_decoder.h"

#include <gtest/gtest.h>

#include <vector>

#include "engine/wire_encoder.h"
#include "support/ledger_harness.h"

namespace tally {
namespace {

std::vector<uint8_t> frame_of(const CommandBatch& batch) {
  flatbuffers::FlatBufferBuilder builder;
  encode_command_request(batch, builder);
  const auto span = builder.GetBufferSpan();
  return {span.begin(), span.end()};
}

TEST(WireTest, EveryCommandRoundTrips) {
  Command transfer = testing::transfer_command("from", "to", 42);
  transfer.transaction_id = {.low = 1, .high = 2};
  transfer.expected_version = 3;
  transfer.expected_counterparty_version = 4;
  Command open = testing::open_command("new", "JPY", 5, 6, "Owner");
  open.account_type = AccountType::Savings;
  const Command commands[] = {open,
                              testing::deposit_command("a", 1),
                              testing::withdraw_command("a", 2),
                              transfer,
                              testing::freeze_command("a", "why"),
                              testing::unfreeze_command("a"),
                              testing::close_command("a")};
  const CommandBatch batch{
      .request_id = {.low = 7, .high = 8}, .origin = 0, .atomic = true, .commands = commands};
  const std::vector<uint8_t> frame = frame_of(batch);
  ASSERT_EQ(verify_command_request(frame, 8190), ResultCode::Ok);
  std::vector<Command> decoded_commands;
  const CommandBatch decoded = decode_command_request(frame, decoded_commands);
  EXPECT_EQ(decoded.request_id, batch.request_id);
  EXPECT_TRUE(decoded.atomic);
  ASSERT_EQ(decoded.commands.size(), std::size(commands));
  for (size_t index = 0; index < std::size(commands); ++index) {
    EXPECT_EQ(command_fingerprint(decoded.commands[index], decoded),
              command_fingerprint(commands[index], batch))
        << "command " << index;
  }
  EXPECT_EQ(decoded.commands[0].owner, "Owner");
  EXPECT_EQ(decoded.commands[0].account_type, AccountType::Savings);
  EXPECT_EQ(decoded.commands[3].counterparty_id, "to");
  EXPECT_EQ(decoded.commands[3].expected_counterparty_version, 4u);
  EXPECT_FALSE(decoded.commands[1].expected_version.has_value());
}

TEST(WireTest, GarbageIsInvalidArgument) {
  const std::vector<uint8_t> garbage(64, 0xAB);
  EXPECT_EQ(verify_command_request(garbage, 8190), ResultCode::InvalidArgument);
  EXPECT_EQ(verify_command_request({}, 8190), ResultCode::InvalidArgument);
}

TEST(WireTest, TruncatedFrameIsRefusedOrLosesOnlyPadding) {
  const Command commands[] = {testing::deposit_command("account-7", 1234)};
  const CommandBatch batch{
      .request_id = {1, 1}, .origin = 0, .atomic = false, .commands = commands};
  const std::vector<uint8_t> frame = frame_of(batch);
  int refused = 0;
  for (size_t size = 0; size < frame.size(); ++size) {
    const std::span<const uint8_t> truncated(frame.data(), size);
    if (verify_command_request(truncated, 8190) != ResultCode::Ok) {
      ++refused;
      continue;
    }
    // FlatBuffers may end in alignment padding; cutting only that must not change a thing.
    std::vector<Command> decoded_commands;
    const CommandBatch decoded = decode_command_request(truncated, decoded_commands);
    ASSERT_EQ(decoded.commands.size(), 1u) << size;
    EXPECT_EQ(command_fingerprint(decoded.commands[0], decoded),
              command_fingerprint(commands[0], batch))
        << size;
  }
  EXPECT_GE(refused, static_cast<int>(frame.size()) - 8);
}

TEST(WireTest, EmptyBatchIsInvalidArgument) {
  const std::vector<uint8_t> frame =
      frame_of({.request_id = {1, 1}, .origin = 0, .atomic = false, .commands = {}});
  EXPECT_EQ(verify_command_request(frame, 8190), ResultCode::InvalidArgument);
}

TEST(WireTest, TooManyCommandsIsLimitExceeded) {
  const std::vector<Command> commands(5, testing::deposit_command("a", 1));
  const std::vector<uint8_t> frame =
      frame_of({.request_id = {1, 1}, .origin = 0, .atomic = false, .commands = commands});
  EXPECT_EQ(verify_command_request(frame, 4), ResultCode::LimitExceeded);
  EXPECT_EQ(verify_command_request(frame, 5), ResultCode::Ok);
}

TEST(WireTest, OtherProtocolVersionIsInvalidArgument) {
  flatbuffers::FlatBufferBuilder builder;
  std::vector<flatbuffers::Offset<protocol::CommandEntry>> entries;
  const auto deposit = protocol::CreateDepositDirect(builder, "a", 1);
  entries.push_back(
      protocol::CreateCommandEntry(builder, protocol::Command::Deposit, deposit.Union()));
  const auto batch = protocol::CreateCommandBatchDirect(builder, false, &entries);
  const protocol::Uint128 request_id(1, 1);
  protocol::FinishRequestBuffer(
      builder, protocol::CreateRequest(builder, 99, &request_id, 0,
                                       protocol::RequestBody::CommandBatch, batch.Union()));
  const auto span = builder.GetBufferSpan();
  EXPECT_EQ(verify_command_request({span.data(), span.size()}, 8190), ResultCode::InvalidArgument);
}

TEST(WireTest, MissingCommandDecodesAsUnknownAndIsRejectedByTheLedger) {
  flatbuffers::FlatBufferBuilder builder;
  std::vector<flatbuffers::Offset<protocol::CommandEntry>> entries;
  entries.push_back(protocol::CreateCommandEntry(builder));  // no union member
  const auto batch = protocol::CreateCommandBatchDirect(builder, false, &entries);
  const protocol::Uint128 request_id(1, 1);
  protocol::FinishRequestBuffer(
      builder, protocol::CreateRequest(builder, 1, &request_id, 0,
                                       protocol::RequestBody::CommandBatch, batch.Union()));
  const auto span = builder.GetBufferSpan();
  ASSERT_EQ(verify_command_request({span.data(), span.size()}, 8190), ResultCode::Ok);
  std::vector<Command> commands;
  const CommandBatch decoded = decode_command_request({span.data(), span.size()}, commands);
  ASSERT_EQ(decoded.commands.size(), 1u);
  EXPECT_EQ(decoded.commands[0].type, CommandType::Unknown);
  testing::LedgerHarness harness;
  EXPECT_EQ(harness.apply_one(decoded.commands[0]).code, ResultCode::InvalidArgument);
}

}  // namespace
}  // namespace tally
