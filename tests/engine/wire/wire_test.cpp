// The wire: FlatBuffers request frames verified, decoded and encoded.
#include "engine/wire/wire_decoder.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/pipeline/ingress.h"
#include "engine/wire/fingerprint.h"
#include "engine/wire/wire_encoder.h"
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
  transfer.currency = "EUR";
  transfer.transaction_text = "order 42";
  Command withdraw = testing::withdraw_command("a", 2);
  withdraw.currency = "GBP";
  withdraw.transaction_text = "3F2504E0-4F89-11D3-9A0C-0305E82C3301";
  Command open = testing::open_command("new", "JPY", 5, 6, "Owner");
  open.account_type = AccountType::Savings;
  const Command commands[] = {open,
                              testing::deposit_command("a", 1),
                              withdraw,
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
  EXPECT_EQ(decoded.commands[1].currency, "");  // none named: not checked
  EXPECT_EQ(decoded.commands[2].currency, "GBP");
  EXPECT_EQ(decoded.commands[3].currency, "EUR");
  EXPECT_EQ(decoded.commands[1].transaction_text, "");
  EXPECT_EQ(decoded.commands[2].transaction_text, "3F2504E0-4F89-11D3-9A0C-0305E82C3301");
  EXPECT_EQ(decoded.commands[3].transaction_text, "order 42");
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

TEST(WireTest, ATransactionTextCountsInTheFingerprintOnlyWhenGiven) {
  Command plain = testing::deposit_command("a", 1);
  plain.transaction_id = {.low = 3, .high = 4};
  Command with_text = plain;
  with_text.transaction_text = "txn-1";
  Command other_text = plain;
  other_text.transaction_text = "txn-2";
  const CommandBatch batch{.request_id = {1, 1}, .origin = 0, .atomic = false, .commands = {}};
  EXPECT_NE(command_fingerprint(plain, batch), command_fingerprint(with_text, batch));
  EXPECT_NE(command_fingerprint(with_text, batch), command_fingerprint(other_text, batch));
  // Without a text, the fingerprint is the one the field's absence gave before it existed:
  // the fixed fields, then each non-empty string, nothing more.
  Command empty_text = plain;
  empty_text.transaction_text = std::string_view("txn-1").substr(0, 0);
  EXPECT_EQ(command_fingerprint(plain, batch), command_fingerprint(empty_text, batch));
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

// A CommandEntry whose union type names a command but whose table is absent. The FlatBuffers
// verifier accepts it (a union's value is optional, whatever its type says), so this frame,
// about 100 bytes that any client can send, used to reach the decoder, which read the absent
// table through a null pointer and killed tallyd. Every command type had the hole.
std::vector<uint8_t> frame_with_a_tableless_command(protocol::Command type,
                                                    bool with_a_deposit_first = false) {
  flatbuffers::FlatBufferBuilder builder;
  std::vector<flatbuffers::Offset<protocol::CommandEntry>> entries;
  if (with_a_deposit_first) {
    const auto deposit = protocol::CreateDepositDirect(builder, "a", 5);
    entries.push_back(
        protocol::CreateCommandEntry(builder, protocol::Command::Deposit, deposit.Union()));
  }
  entries.push_back(protocol::CreateCommandEntry(builder, type, /*command=*/0));
  const auto batch = protocol::CreateCommandBatchDirect(builder, false, &entries);
  const protocol::Uint128 request_id(11, 1);
  protocol::FinishRequestBuffer(
      builder, protocol::CreateRequest(builder, 1, &request_id, 0,
                                       protocol::RequestBody::CommandBatch, batch.Union()));
  const auto span = builder.GetBufferSpan();
  return {span.begin(), span.end()};
}

class TablelessCommandTest : public ::testing::TestWithParam<protocol::Command> {};

TEST_P(TablelessCommandTest, PassesTheVerifierAndDecodesAsUnknown) {
  const std::vector<uint8_t> frame = frame_with_a_tableless_command(GetParam());
  EXPECT_LE(frame.size(), 100u);  // the size of the frame that crashed tallyd
  ASSERT_EQ(verify_command_request(frame, 8190), ResultCode::Ok);
  std::vector<Command> commands;
  const CommandBatch decoded = decode_command_request(frame, commands);
  ASSERT_EQ(decoded.commands.size(), 1u);
  EXPECT_EQ(decoded.commands[0].type, CommandType::Unknown);
  EXPECT_TRUE(decoded.commands[0].account_id.empty());
  EXPECT_EQ(decoded.request_id, (Id128{.low = 11, .high = 1}));
}

// docs/protocol.md: a command whose union member is missing is recorded as a rejection
// (InvalidArgument), like an unknown one; the request as a whole is not refused.
TEST_P(TablelessCommandTest, IsRejectedByTheLedgerWithInvalidArgument) {
  const std::vector<uint8_t> frame = frame_with_a_tableless_command(GetParam());
  std::vector<Command> commands;
  const CommandBatch decoded = decode_command_request(frame, commands);
  ASSERT_EQ(decoded.commands.size(), 1u);
  testing::LedgerHarness harness;
  EXPECT_EQ(harness.apply_one(decoded.commands[0]).code, ResultCode::InvalidArgument);
}

// The server's own path: Ingress::submit verifies, decodes and fingerprints on the producer's
// thread, where the null read used to happen.
TEST_P(TablelessCommandTest, IsAcceptedByTheIngressNextToAValidCommand) {
  Ingress ingress(IngressConfig{.batches_in_flight_max = 1});
  IngressBatch* batch = ingress.acquire();
  ASSERT_NE(batch, nullptr);
  batch->frame = frame_with_a_tableless_command(GetParam(), /*with_a_deposit_first=*/true);
  ASSERT_EQ(ingress.submit(batch), ResultCode::Ok);
  IngressBatch* dequeued[1] = {};
  ASSERT_EQ(ingress.dequeue(dequeued, 1'000'000), 1u);
  ASSERT_EQ(dequeued[0], batch);
  ASSERT_EQ(batch->batch.commands.size(), 2u);
  EXPECT_EQ(batch->batch.commands[0].type, CommandType::Deposit);
  EXPECT_EQ(batch->batch.commands[0].account_id, "a");
  EXPECT_EQ(batch->batch.commands[0].amount, 5);
  EXPECT_EQ(batch->batch.commands[1].type, CommandType::Unknown);
  EXPECT_NE(batch->batch.fingerprint, kFingerprintNotComputed);
  ingress.release(batch);
}

INSTANTIATE_TEST_SUITE_P(EveryCommandType, TablelessCommandTest,
                         ::testing::Values(protocol::Command::OpenAccount,
                                           protocol::Command::Deposit, protocol::Command::Withdraw,
                                           protocol::Command::Transfer,
                                           protocol::Command::FreezeAccount,
                                           protocol::Command::UnfreezeAccount,
                                           protocol::Command::CloseAccount),
                         [](const ::testing::TestParamInfo<protocol::Command>& command) {
                           return std::string(protocol::EnumNameCommand(command.param));
                         });

TEST(WireTest, TheSevenCommandTypesAreAllCoveredByTheTablelessTests) {
  // A command appended to the schema must be added to the list above.
  EXPECT_EQ(static_cast<int>(protocol::Command::MAX), 7);
}

}  // namespace
}  // namespace tally
