// The journal's event payload and a money movement's transaction text: stored as given, except
// the id's own lower-case UUID, which is an empty text group the decoder fills back in.
#include "engine/wire/event_codec.h"

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <string_view>

#include "engine/base/id_text.h"

namespace tally {
namespace {

Outcome deposit_with(std::string_view text) {
  Outcome event;
  event.sequence = 7;
  event.type = EventType::Deposited;
  event.command_type = CommandType::Deposit;
  event.account_id.assign("alice");
  event.amount = 500;
  event.balance = 1500;
  event.version = 3;
  if (!text.empty()) {
    event.flags = kLastInRequest | kHasTransactionId;
    event.transaction_id = id_of_text(text);
    event.text.assign(text);
  }
  return event;
}

struct Encoded {
  std::array<uint8_t, kEventPayloadBytesMax> bytes{};
  size_t size = 0;
  std::span<const uint8_t> view() const { return {bytes.data(), size}; }
};

Encoded encode(const Outcome& event) {
  Encoded encoded;
  encoded.size = encode_event_payload(event, encoded.bytes);
  return encoded;
}

Outcome decode(const Encoded& encoded, EventType type = EventType::Deposited) {
  Outcome event;
  event.sequence = 7;
  event.type = type;
  const Status status = decode_event_payload(encoded.view(), event);
  EXPECT_TRUE(status.is_ok()) << status.message();
  return event;
}

// The payload's last byte is the text group's length when the text is last.
TEST(EventCodecTest, AFreeTextRoundTripsAsGiven) {
  const Encoded encoded = encode(deposit_with("txn-1"));
  const Outcome decoded = decode(encoded);
  EXPECT_EQ(decoded.transaction_text(), "txn-1");
  EXPECT_EQ(decoded.owner_or_reason(), "");
  EXPECT_EQ(decoded.transaction_id, id_of_text("txn-1"));
}

TEST(EventCodecTest, TheIdsOwnLowerCaseUuidIsAnEmptyTextGroup) {
  const std::string uuid = "3f2504e0-4f89-11d3-9a0c-0305e82c3301";
  const Encoded encoded = encode(deposit_with(uuid));
  const Encoded without = encode(deposit_with(""));
  // The transaction id (16 bytes) and an empty text group (1) more than no id at all.
  EXPECT_EQ(encoded.size, without.size + 16 + 1);
  EXPECT_EQ(encoded.bytes[encoded.size - 1], 0);
  EXPECT_EQ(decode(encoded).transaction_text(), uuid);
}

TEST(EventCodecTest, AnUpperCaseUuidIsStoredAsGiven) {
  const std::string uuid = "3F2504E0-4F89-11D3-9A0C-0305E82C3301";
  const Encoded encoded = encode(deposit_with(uuid));
  EXPECT_EQ(encoded.size, encode(deposit_with("")).size + 16 + 1 + uuid.size());
  EXPECT_EQ(decode(encoded).transaction_text(), uuid);
}

TEST(EventCodecTest, NoTextIsNoTextGroup) {
  Outcome event = deposit_with("");
  event.flags = kHasTransactionId;
  event.transaction_id = {.low = 5, .high = 0};
  const Outcome decoded = decode(encode(event));
  EXPECT_EQ(decoded.transaction_text(), "");
  EXPECT_EQ(decoded.transaction_id, event.transaction_id);
}

TEST(EventCodecTest, ARejectedTransferKeepsItsText) {
  Outcome event = deposit_with("order 42 / refund");
  event.type = EventType::CommandRejected;
  event.command_type = CommandType::Transfer;
  event.code = ResultCode::InsufficientFunds;
  event.counterparty_id.assign("bob");
  const Outcome decoded = decode(encode(event), EventType::CommandRejected);
  EXPECT_EQ(decoded.transaction_text(), "order 42 / refund");
}

TEST(EventCodecTest, AnOwnerOrReasonIsNotATransactionText) {
  Outcome event;
  event.type = EventType::AccountFrozen;
  event.command_type = CommandType::FreezeAccount;
  event.account_id.assign("alice");
  event.text.assign("fraud review");
  const Outcome decoded = decode(encode(event), EventType::AccountFrozen);
  EXPECT_EQ(decoded.owner_or_reason(), "fraud review");
  EXPECT_EQ(decoded.transaction_text(), "");
}

// Each refused by editing a valid payload whose text group is last.
TEST(EventCodecTest, NonsenseTextGroupsAreCorruption) {
  Outcome event;
  EXPECT_EQ(decode_event_payload(encode(deposit_with("txn-1")).view(), event).code(),
            StatusCode::kOk);
  // A movement's text without a transaction id: take a deposit without one, add a text group.
  Encoded bare = encode(deposit_with(""));
  bare.bytes[0] |= 1 << 3;
  bare.bytes[bare.size++] = 0;
  EXPECT_EQ(decode_event_payload(bare.view(), event).code(), StatusCode::kCorruption);
  // The lower-case UUID written out: it has a shorter form.
  const std::string uuid = "3f2504e0-4f89-11d3-9a0c-0305e82c3301";
  Encoded spelled = encode(deposit_with(uuid));
  spelled.bytes[spelled.size - 1] = static_cast<uint8_t>(uuid.size());
  std::copy(uuid.begin(), uuid.end(), spelled.bytes.begin() + spelled.size);
  spelled.size += uuid.size();
  const Status refused = decode_event_payload(spelled.view(), event);
  EXPECT_EQ(refused.code(), StatusCode::kCorruption);
  EXPECT_NE(refused.message().find("transaction text"), std::string::npos);
  // A text no client could have sent (a control byte).
  Encoded control = encode(deposit_with("txn-1"));
  control.bytes[control.size - 1] = '\n';
  EXPECT_EQ(decode_event_payload(control.view(), event).code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace tally
