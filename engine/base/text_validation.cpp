#include "engine/base/text_validation.h"

#include <charconv>
#include <cstdint>
#include <cstring>

#include "engine/base/invariant.h"
#include "engine/base/limits.h"

namespace tally {
namespace {

bool is_id_character(char character) {
  return (character >= 'a' && character <= 'z') || (character >= 'A' && character <= 'Z') ||
         (character >= '0' && character <= '9') || character == '.' || character == '_' ||
         character == ':' || character == '-';
}

// Length of the UTF-8 sequence starting at `text[0]`, or 0 if it is malformed.
size_t utf8_sequence_length(std::string_view text) {
  const auto byte = [&](size_t index) { return static_cast<uint8_t>(text[index]); };
  const auto is_continuation = [&](size_t index) {
    return index < text.size() && (byte(index) & 0xC0) == 0x80;
  };
  const uint8_t lead = byte(0);
  if (lead < 0x80) {
    return 1;
  }
  if (lead >= 0xC2 && lead <= 0xDF) {
    return is_continuation(1) ? 2 : 0;
  }
  if (lead >= 0xE0 && lead <= 0xEF) {
    if (!is_continuation(1) || !is_continuation(2)) {
      return 0;
    }
    const uint8_t second = byte(1);
    const bool overlong = lead == 0xE0 && second < 0xA0;
    const bool surrogate = lead == 0xED && second >= 0xA0;
    return overlong || surrogate ? 0 : 3;
  }
  if (lead >= 0xF0 && lead <= 0xF4) {
    if (!is_continuation(1) || !is_continuation(2) || !is_continuation(3)) {
      return 0;
    }
    const uint8_t second = byte(1);
    const bool overlong = lead == 0xF0 && second < 0x90;
    const bool too_large = lead == 0xF4 && second >= 0x90;
    return overlong || too_large ? 0 : 4;
  }
  return 0;
}

}  // namespace

GeneratedAccountId::GeneratedAccountId(uint64_t sequence) {
  static_assert(kGeneratedAccountIdPrefix.size() + 20 <= sizeof(bytes_), "20 digits max");
  std::memcpy(bytes_, kGeneratedAccountIdPrefix.data(), kGeneratedAccountIdPrefix.size());
  const auto converted =
      std::to_chars(bytes_ + kGeneratedAccountIdPrefix.size(), bytes_ + sizeof(bytes_), sequence);
  TALLY_ASSERT(converted.ec == std::errc());
  length_ = static_cast<size_t>(converted.ptr - bytes_);
}

bool is_valid_client_account_id(std::string_view account_id) {
  if (account_id.empty() || account_id.size() > kAccountIdBytesMax) {
    return false;
  }
  if (account_id.starts_with(kGeneratedAccountIdPrefix)) {
    return false;
  }
  for (const char character : account_id) {
    if (!is_id_character(character)) {
      return false;
    }
  }
  return true;
}

bool is_valid_utf8(std::string_view text) {
  while (!text.empty()) {
    const size_t length = utf8_sequence_length(text);
    if (length == 0) {
      return false;
    }
    text.remove_prefix(length);
  }
  return true;
}

}  // namespace tally
