#include "engine/base/id_text.h"

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

}  // namespace tally
