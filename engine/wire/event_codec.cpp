#include "engine/wire/event_codec.h"

#include <bit>
#include <cstring>
#include <string>
#include <string_view>

#include "engine/base/id_text.h"
#include "engine/base/invariant.h"

namespace tally {
namespace {

// Which optional groups a payload holds, after the common fields.
enum PayloadParts : uint8_t {
  kPartCounterparty = 1 << 0,  // counterparty id, balance, version
  kPartTransaction = 1 << 1,   // transaction id
  kPartOpening = 1 << 2,       // account type, currency, overdraft limit
  kPartText = 1 << 3,          // owner, freeze reason or a movement's transaction text
};

// A money movement's text is its transaction id as the client gave it. The usual one, the id's
// own lower-case UUID, is stored as an empty text: 36 bytes saved, and the decoder rebuilds it
// from the id. Any other text (an upper-case UUID too) is stored as it is.
bool text_is_transaction(const Outcome& event) {
  return moves_money(event.command_type);
}

class Writer {
 public:
  explicit Writer(std::span<uint8_t> out) : out_(out) {}

  void byte(uint8_t value) { out_[size_++] = value; }
  void fixed64(uint64_t value) {
    std::memcpy(&out_[size_], &value, sizeof(value));  // little-endian hosts only (asserted)
    size_ += sizeof(value);
  }
  void varint(uint64_t value) {
    while (value >= 0x80) {
      byte(static_cast<uint8_t>(value | 0x80));
      value >>= 7;
    }
    byte(static_cast<uint8_t>(value));
  }
  void signed_varint(int64_t value) {
    varint((static_cast<uint64_t>(value) << 1) ^ static_cast<uint64_t>(value >> 63));
  }
  void text(std::string_view value) {
    byte(static_cast<uint8_t>(value.size()));
    if (!value.empty()) {  // an empty view's data may be null, which memcpy may not be given
      std::memcpy(&out_[size_], value.data(), value.size());
      size_ += value.size();
    }
  }
  size_t size() const { return size_; }

 private:
  std::span<uint8_t> out_;
  size_t size_ = 0;
};

class Reader {
 public:
  explicit Reader(std::span<const uint8_t> in) : in_(in) {}

  bool byte(uint8_t& value) {
    if (position_ >= in_.size())
      return false;
    value = in_[position_++];
    return true;
  }
  bool fixed64(uint64_t& value) {
    if (in_.size() - position_ < sizeof(value))
      return false;
    std::memcpy(&value, &in_[position_], sizeof(value));
    position_ += sizeof(value);
    return true;
  }
  // Canonical LEB128 only: no trailing zero groups, nothing beyond 64 bits. Every value then
  // has exactly one encoding, so decoding and encoding again gives back the same bytes.
  bool varint(uint64_t& value) {
    value = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
      uint8_t next = 0;
      if (!byte(next) || (shift == 63 && next > 1)) {
        return false;
      }
      value |= static_cast<uint64_t>(next & 0x7f) << shift;
      if ((next & 0x80) == 0) {
        return next != 0 || shift == 0;
      }
    }
    return false;
  }
  bool signed_varint(int64_t& value) {
    uint64_t raw = 0;
    if (!varint(raw))
      return false;
    value = static_cast<int64_t>((raw >> 1) ^ (~(raw & 1) + 1));
    return true;
  }
  template <size_t Capacity>
  bool text(InlineString<Capacity>& value) {
    uint8_t length = 0;
    if (!byte(length) || length > Capacity || in_.size() - position_ < length)
      return false;
    value.assign({reinterpret_cast<const char*>(&in_[position_]), length});
    position_ += length;
    return true;
  }
  bool at_end() const { return position_ == in_.size(); }

 private:
  std::span<const uint8_t> in_;
  size_t position_ = 0;
};

uint8_t parts_of(const Outcome& event) {
  uint8_t parts = 0;
  if (event.type == EventType::Transferred || !event.counterparty_id.empty()) {
    parts |= kPartCounterparty;
  }
  if ((event.flags & kHasTransactionId) != 0)
    parts |= kPartTransaction;
  if (event.type == EventType::AccountOpened)
    parts |= kPartOpening;
  if (!event.text.empty())
    parts |= kPartText;
  return parts;
}

}  // namespace

size_t encode_event_payload(const Outcome& event, std::span<uint8_t> out) {
  static_assert(std::endian::native == std::endian::little, "the codec writes host order");
  TALLY_ASSERT(out.size() >= kEventPayloadBytesMax);
  TALLY_ASSERT(!event.is_replayed_answer());
  const uint8_t parts = parts_of(event);
  Writer writer(out);
  writer.byte(parts);
  writer.byte(event.flags);
  writer.byte(static_cast<uint8_t>(event.command_type));
  writer.varint(static_cast<uint16_t>(event.code));
  writer.fixed64(event.request_id.low);
  writer.fixed64(event.request_id.high);
  writer.varint(event.command_index);
  writer.fixed64(event.fingerprint);
  writer.text(event.account_id.view());
  writer.signed_varint(event.amount);
  writer.signed_varint(event.balance);
  writer.varint(event.version);
  if (parts & kPartCounterparty) {
    writer.text(event.counterparty_id.view());
    writer.signed_varint(event.counterparty_balance);
    writer.varint(event.counterparty_version);
  }
  if (parts & kPartTransaction) {
    writer.fixed64(event.transaction_id.low);
    writer.fixed64(event.transaction_id.high);
  }
  if (parts & kPartOpening) {
    writer.byte(static_cast<uint8_t>(event.account_type));
    writer.varint(event.currency.packed());
    writer.signed_varint(event.overdraft_limit);
  }
  if (parts & kPartText) {
    const bool implied = text_is_transaction(event) && (parts & kPartTransaction) &&
                         event.text.view().size() == kUuidTextBytes &&
                         event.text.view() == UuidText(event.transaction_id).view();
    writer.text(implied ? std::string_view() : event.text.view());
  }
  TALLY_ASSERT(writer.size() <= kEventPayloadBytesMax);
  return writer.size();
}

namespace {

// What is wrong with a payload, for the Status a failed decode returns. Static text, set only
// on the way out of a failure: a decode that succeeds runs as a plain chain of checks.
using Problem = const char*;

bool decode_common(Reader& reader, Outcome& event, uint8_t& parts, Problem& problem) {
  uint8_t command_type = 0;
  uint64_t code = 0;
  uint64_t command_index = 0;
  const bool read = reader.byte(parts) && reader.byte(event.flags) && reader.byte(command_type) &&
                    reader.varint(code) && reader.fixed64(event.request_id.low) &&
                    reader.fixed64(event.request_id.high) && reader.varint(command_index) &&
                    reader.fixed64(event.fingerprint) && reader.text(event.account_id) &&
                    reader.signed_varint(event.amount) && reader.signed_varint(event.balance) &&
                    reader.varint(event.version);
  if (!read) {
    problem = "common fields cut short, too long or not canonical";
    return false;
  }
  if (code > UINT16_MAX || command_index > UINT16_MAX) {
    problem = "code or command index out of range";
    return false;
  }
  constexpr uint8_t kKnownParts = kPartCounterparty | kPartTransaction | kPartOpening | kPartText;
  constexpr uint8_t kJournaledFlags = kLastInRequest | kHasTransactionId | kAtomicBatch;
  const bool transaction_agrees =
      ((parts & kPartTransaction) != 0) == ((event.flags & kHasTransactionId) != 0);
  if ((parts & ~kKnownParts) != 0 || (event.flags & ~kJournaledFlags) != 0 || !transaction_agrees) {
    problem = "unknown parts or flags, or a transaction part without its flag";
    return false;
  }
  if (command_type > static_cast<uint8_t>(CommandType::MAX) ||
      *protocol::EnumNameResultCode(static_cast<ResultCode>(code)) == '\0') {
    problem = "unknown command type or result code";
    return false;
  }
  event.command_type = static_cast<CommandType>(command_type);
  event.code = static_cast<ResultCode>(code);
  event.command_index = static_cast<uint16_t>(command_index);
  return true;
}

// A movement's text: only with a transaction id, well formed, never the implied UUID written
// out (so every event has one encoding); empty stands for the id's lower-case UUID.
bool decode_transaction_text(uint8_t parts, Outcome& event, Problem& problem) {
  if ((parts & kPartTransaction) == 0) {
    problem = "a transaction text without a transaction id";
    return false;
  }
  const UuidText implied(event.transaction_id);
  if (event.text.empty()) {
    event.text.assign(implied.view());
    return true;
  }
  if (!is_valid_transaction_text(event.text.view()) || event.text.view() == implied.view()) {
    problem = "a transaction text malformed or not in its shortest form";
    return false;
  }
  return true;
}

bool decode_parts(Reader& reader, uint8_t parts, Outcome& event, Problem& problem) {
  if ((parts & kPartCounterparty) &&
      !(reader.text(event.counterparty_id) && reader.signed_varint(event.counterparty_balance) &&
        reader.varint(event.counterparty_version))) {
    problem = "counterparty cut short, too long or not canonical";
    return false;
  }
  if ((parts & kPartTransaction) &&
      !(reader.fixed64(event.transaction_id.low) && reader.fixed64(event.transaction_id.high))) {
    problem = "transaction id cut short";
    return false;
  }
  if (parts & kPartOpening) {
    uint8_t account_type = 0;
    uint64_t currency = 0;
    if (!(reader.byte(account_type) && reader.varint(currency) &&
          reader.signed_varint(event.overdraft_limit)) ||
        currency > UINT32_MAX) {
      problem = "opening cut short, not canonical or out of range";
      return false;
    }
    if (account_type > static_cast<uint8_t>(AccountType::MAX)) {
      problem = "unknown account type";
      return false;
    }
    event.account_type = static_cast<AccountType>(account_type);
    event.currency = CurrencyCode::from_packed(static_cast<uint32_t>(currency));
  }
  if ((parts & kPartText) && !reader.text(event.text)) {
    problem = "text cut short or too long";
    return false;
  }
  if ((parts & kPartText) && text_is_transaction(event)) {
    return decode_transaction_text(parts, event, problem);
  }
  return true;
}

// Out of line and cold: the message is built only when a decode fails, and its code stays out
// of the way of the decode that succeeds (once per record in a replay).
[[gnu::cold, gnu::noinline]] Status malformed(Problem problem) {
  return Status::corruption(std::string("malformed event payload: ") + problem);
}

}  // namespace

Status decode_event_payload(std::span<const uint8_t> payload, Outcome& event) {
  const uint64_t sequence = event.sequence;
  const int64_t timestamp_ns = event.timestamp_ns;
  const EventType type = event.type;
  event = Outcome{};
  event.sequence = sequence;
  event.timestamp_ns = timestamp_ns;
  event.type = type;
  Reader reader(payload);
  uint8_t parts = 0;
  Problem problem = "bytes after the last part";
  if (decode_common(reader, event, parts, problem) && decode_parts(reader, parts, event, problem) &&
      reader.at_end()) {
    return Status::ok();
  }
  return malformed(problem);
}

}  // namespace tally
