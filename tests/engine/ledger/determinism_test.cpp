// Determinism: the same commands give byte-identical events; and the event codec round-trips.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "engine/ledger/ledger.h"
#include "engine/wire/event_codec.h"
#include "support/ledger_harness.h"

namespace tally {
namespace {

using testing::LedgerHarness;

// A stream of commands of every kind over a few accounts, valid and invalid alike.
std::vector<std::vector<Command>> mixed_batches(const std::vector<std::string>& ids, int count) {
  std::mt19937_64 random(20261123);
  std::vector<std::vector<Command>> batches;
  for (const std::string& id : ids) {
    batches.push_back({testing::open_command(id, "EUR", 1000)});
  }
  batches.push_back({testing::open_command("")});
  const auto pick = [&]() -> const std::string& { return ids[random() % ids.size()]; };
  for (int index = 0; index < count; ++index) {
    const auto amount = static_cast<int64_t>(random() % 700) - 50;
    switch (random() % 6) {
      case 0:
        batches.push_back({testing::deposit_command(pick(), amount)});
        break;
      case 1:
        batches.push_back({testing::withdraw_command(pick(), amount)});
        break;
      case 2:
        batches.push_back({testing::transfer_command(pick(), pick(), amount),
                           testing::deposit_command(pick(), amount)});
        break;
      case 3:
        batches.push_back(
            {testing::freeze_command(pick(), "review"), testing::unfreeze_command(pick())});
        break;
      default: {
        Command deposit = testing::deposit_command(pick(), amount);
        deposit.transaction_id = {.low = random() % 50, .high = 0};
        batches.push_back({deposit, testing::withdraw_command(pick(), amount)});
      }
    }
  }
  return batches;
}

// sequence, timestamp, type, then the payload: what the journal will store.
std::vector<uint8_t> encode_stream(LedgerHarness& harness,
                                   const std::vector<std::vector<Command>>& batches) {
  std::vector<uint8_t> bytes;
  uint8_t payload[kEventPayloadBytesMax];
  for (size_t index = 0; index < batches.size(); ++index) {
    const bool atomic = index % 7 == 0;
    for (const Outcome& event : harness.apply(batches[index], atomic)) {
      const auto append = [&](const void* data, size_t size) {
        const auto* begin = static_cast<const uint8_t*>(data);
        bytes.insert(bytes.end(), begin, begin + size);
      };
      append(&event.sequence, sizeof(event.sequence));
      append(&event.timestamp_ns, sizeof(event.timestamp_ns));
      append(&event.type, sizeof(event.type));
      append(payload, encode_event_payload(event, payload));
    }
  }
  return bytes;
}

TEST(DeterminismTest, SameCommandsGiveByteIdenticalEvents) {
  const std::vector<std::string> ids = {"a", "b", "c", "d", "e"};
  const auto batches = mixed_batches(ids, 20'000);
  LedgerHarness first;
  LedgerHarness second;
  const std::vector<uint8_t> first_bytes = encode_stream(first, batches);
  const std::vector<uint8_t> second_bytes = encode_stream(second, batches);
  ASSERT_GT(first_bytes.size(), 100'000u);
  EXPECT_TRUE(first_bytes == second_bytes);
}

TEST(EventCodecTest, EveryEventRoundTrips) {
  const std::vector<std::string> ids = {"alpha", "beta", "gamma"};
  LedgerHarness harness;
  uint8_t payload[kEventPayloadBytesMax];
  size_t checked = 0;
  for (const auto& batch : mixed_batches(ids, 2'000)) {
    for (const Outcome& event : harness.apply(batch)) {
      const size_t size = encode_event_payload(event, payload);
      Outcome decoded;
      decoded.sequence = event.sequence;
      decoded.timestamp_ns = event.timestamp_ns;
      decoded.type = event.type;
      ASSERT_TRUE(decode_event_payload({payload, size}, decoded).is_ok());
      uint8_t again[kEventPayloadBytesMax];
      ASSERT_EQ(encode_event_payload(decoded, again), size);
      ASSERT_EQ(std::memcmp(payload, again, size), 0);
      EXPECT_EQ(decoded.account_id.view(), event.account_id.view());
      EXPECT_EQ(decoded.balance, event.balance);
      EXPECT_EQ(decoded.code, event.code);
      ++checked;
    }
  }
  EXPECT_GT(checked, 2'000u);
}

TEST(EventCodecTest, TruncatedPayloadIsRejected) {
  LedgerHarness harness;
  const Outcome event = harness.apply_one(testing::open_command("alpha", "EUR", 5));
  uint8_t payload[kEventPayloadBytesMax];
  const size_t size = encode_event_payload(event, payload);
  for (size_t cut = 0; cut < size; ++cut) {
    Outcome decoded;
    EXPECT_FALSE(decode_event_payload({payload, cut}, decoded).is_ok()) << cut;
  }
}

TEST(EventCodecTest, TrailingBytesAreRejected) {
  LedgerHarness harness;
  const Outcome event = harness.apply_one(testing::open_command("alpha"));
  uint8_t payload[kEventPayloadBytesMax + 1];
  const size_t size = encode_event_payload(event, payload);
  payload[size] = 0;
  Outcome decoded;
  EXPECT_FALSE(decode_event_payload({payload, size + 1}, decoded).is_ok());
}

// A complete payload with one byte changed must be refused, not read as another event: the
// checksum will catch torn writes, this catches a writer that wrote something it should not.
class CorruptPayloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::LedgerHarness harness;
    harness.apply_one(testing::open_command("alpha", "EUR", 5));
    size = encode_event_payload(harness.apply_one(testing::deposit_command("alpha", 7)), payload);
    Outcome decoded;
    ASSERT_TRUE(decode_event_payload({payload, size}, decoded).is_ok());
  }
  bool decodes() const {
    Outcome decoded;
    return decode_event_payload({payload, size}, decoded).is_ok();
  }
  // Byte offsets of the leading fields (see docs/journal-format.md).
  static constexpr size_t kParts = 0;
  static constexpr size_t kFlags = 1;
  static constexpr size_t kCommandType = 2;
  static constexpr size_t kCode = 3;
  uint8_t payload[kEventPayloadBytesMax + 1] = {};
  size_t size = 0;
};

TEST_F(CorruptPayloadTest, UnknownPartsAreRefused) {
  payload[kParts] |= 0x80;
  EXPECT_FALSE(decodes());
}

TEST_F(CorruptPayloadTest, ReplayedAnswerFlagIsRefused) {
  payload[kFlags] |= kReplayedAnswer;
  EXPECT_FALSE(decodes());
}

TEST_F(CorruptPayloadTest, UnknownCommandTypeIsRefused) {
  payload[kCommandType] = 200;
  EXPECT_FALSE(decodes());
}

TEST_F(CorruptPayloadTest, UnknownResultCodeIsRefused) {
  payload[kCode] = 99;  // a one-byte varint that names no ResultCode
  EXPECT_FALSE(decodes());
}

TEST_F(CorruptPayloadTest, NonCanonicalVarintIsRefused) {
  ASSERT_EQ(payload[kCode], 0);  // Ok, as one byte
  std::memmove(payload + kCode + 1, payload + kCode, size - kCode);
  payload[kCode] = 0x80;  // the same zero in two bytes
  ++size;
  EXPECT_FALSE(decodes());
}

TEST_F(CorruptPayloadTest, TransactionFlagWithoutTransactionIsRefused) {
  payload[kFlags] |= kHasTransactionId;
  EXPECT_FALSE(decodes());
}

}  // namespace
}  // namespace tally
