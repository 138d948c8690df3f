// Ids as text: 128-bit ids (Id128) in hexadecimal, for every program that prints or reads them
// (the CLI, the HTTP API, the auth file's digests), and business transaction ids given as text.
//
// A transaction's text (a UUID or any 1-64 printable ASCII bytes) is shown back as given, but
// its identity is 128 bits: a canonical UUID (either case) is its own bits, any other text its
// XXH3-128 hash (id_of_text). Every program that turns text into an id uses this one mapping,
// so the same text names the same transaction whichever client sent it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/base/identifiers.h"

namespace tally {

// The value of one hex digit (either case), or nullopt.
std::optional<uint8_t> hex_digit_value(char digit);
// 1 to 32 hex digits as a number, or nullopt.
std::optional<Id128> parse_hex_id(std::string_view text);
// All 32 digits, lower case, high word first.
std::string hex_of(const Id128& id);

// The longest transaction text.
inline constexpr size_t kTransactionTextBytesMax = 64;

// 1 to kTransactionTextBytesMax bytes, each printable ASCII (0x20-0x7e).
bool is_valid_transaction_text(std::string_view text);
// A UUID in its canonical 8-4-4-4-12 form, either case, as its 128 bits (high: the first 16
// digits), or nullopt.
std::optional<Id128> parse_uuid(std::string_view text);
// The canonical lower-case 8-4-4-4-12 form of `id`: parse_uuid's inverse.
std::string uuid_text_of(const Id128& id);
// The same, without allocating (the journal's codec uses it once per movement with a text).
inline constexpr size_t kUuidTextBytes = 36;
class UuidText {
 public:
  explicit UuidText(const Id128& id);
  std::string_view view() const { return {bytes_, sizeof(bytes_)}; }

 private:
  char bytes_[kUuidTextBytes];
};
// Any text as an id: a (non-zero) UUID as itself, anything else by its XXH3-128 hash. Never zero
// (zero means "no transaction id").
Id128 id_of_text(std::string_view text);

}  // namespace tally
