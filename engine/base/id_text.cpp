#include "engine/base/id_text.h"

#include <xxhash.h>

#include <algorithm>
#include <array>
#include <cstdio>

namespace tally {

std::optional<uint8_t> hex_digit_value(char digit) {
  if (digit >= '0' && digit <= '9') {
    return static_cast<uint8_t>(digit - '0');
  }
  if (digit >= 'a' && digit <= 'f') {
    return static_cast<uint8_t>(digit - 'a' + 10);
  }
  if (digit >= 'A' && digit <= 'F') {
    return static_cast<uint8_t>(digit - 'A' + 10);
  }
  return std::nullopt;
}

std::optional<Id128> parse_hex_id(std::string_view text) {
  if (text.empty() || text.size() > 32) {
    return std::nullopt;
  }
  Id128 id;
  for (const char digit : text) {
    const std::optional<uint8_t> value = hex_digit_value(digit);
    if (!value) {
      return std::nullopt;
    }
    id.high = (id.high << 4) | (id.low >> 60);
    id.low = (id.low << 4) | *value;
  }
  return id;
}

std::string hex_of(const Id128& id) {
  char text[33];
  std::snprintf(text, sizeof(text), "%016llx%016llx", static_cast<unsigned long long>(id.high),
                static_cast<unsigned long long>(id.low));
  return text;
}

bool is_valid_transaction_text(std::string_view text) {
  return !text.empty() && text.size() <= kTransactionTextBytesMax &&
         std::all_of(text.begin(), text.end(),
                     [](char character) { return character >= 0x20 && character <= 0x7e; });
}

std::optional<Id128> parse_uuid(std::string_view text) {
  if (text.size() != 36 || text[8] != '-' || text[13] != '-' || text[18] != '-' ||
      text[23] != '-') {
    return std::nullopt;
  }
  std::array<uint8_t, 32> digits{};
  size_t count = 0;
  for (const char character : text) {
    if (character == '-')
      continue;
    const std::optional<uint8_t> value = hex_digit_value(character);
    if (!value)
      return std::nullopt;
    digits[count++] = *value;
  }
  if (count != 32) {
    return std::nullopt;  // a dash where a digit belongs
  }
  Id128 id;
  for (size_t index = 0; index < 16; ++index) {
    id.high = id.high << 4 | digits[index];
    id.low = id.low << 4 | digits[16 + index];
  }
  return id;
}

UuidText::UuidText(const Id128& id) {
  constexpr char kDigits[] = "0123456789abcdef";
  size_t position = 0;
  for (size_t digit = 0; digit < 32; ++digit) {
    if (digit == 8 || digit == 12 || digit == 16 || digit == 20) {
      bytes_[position++] = '-';
    }
    const uint64_t word = digit < 16 ? id.high : id.low;
    const unsigned shift = static_cast<unsigned>(60 - 4 * (digit % 16));
    bytes_[position++] = kDigits[(word >> shift) & 0xf];
  }
}

std::string uuid_text_of(const Id128& id) {
  return std::string(UuidText(id).view());
}

Id128 id_of_text(std::string_view text) {
  if (const std::optional<Id128> uuid = parse_uuid(text); uuid && !uuid->is_zero()) {
    return *uuid;
  }
  const XXH128_hash_t hash = XXH3_128bits(text.data(), text.size());
  Id128 id{.low = hash.low64, .high = hash.high64};
  if (id.is_zero()) {
    id.low = 1;
  }
  return id;
}

}  // namespace tally
