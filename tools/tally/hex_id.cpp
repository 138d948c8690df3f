#include "tools/tally/hex_id.h"

#include <cstdio>
#include <optional>

#include "tools/tally/exit_code.h"

namespace tally::cli {
namespace {

constexpr size_t kHexDigits = 32;

std::optional<uint64_t> hex_value(char digit) {
  if (digit >= '0' && digit <= '9') {
    return static_cast<uint64_t>(digit - '0');
  }
  if (digit >= 'a' && digit <= 'f') {
    return static_cast<uint64_t>(digit - 'a' + 10);
  }
  if (digit >= 'A' && digit <= 'F') {
    return static_cast<uint64_t>(digit - 'A' + 10);
  }
  return std::nullopt;
}

// 1 to 32 hex digits as a number, or nothing.
std::optional<Id128> parse_hex(std::string_view text) {
  if (text.empty() || text.size() > kHexDigits) {
    return std::nullopt;
  }
  Id128 id;
  for (const char digit : text) {
    const std::optional<uint64_t> value = hex_value(digit);
    if (!value) {
      return std::nullopt;
    }
    id.high = (id.high << 4) | (id.low >> 60);
    id.low = (id.low << 4) | *value;
  }
  return id;
}

}  // namespace

Id128 parse_request_id(std::string_view text) {
  const std::optional<Id128> id = text.size() == kHexDigits ? parse_hex(text) : std::nullopt;
  if (!id || id->is_zero()) {
    throw UsageError("--request-id \"" + std::string(text) +
                     "\" is not 32 hex digits (and not all zero)");
  }
  return *id;
}

Id128 parse_transaction_id(std::string_view text) {
  const std::optional<Id128> id = parse_hex(text);
  if (!id || id->is_zero()) {
    throw UsageError("--transaction-id \"" + std::string(text) +
                     "\" is not 1 to 32 hex digits (and not zero)");
  }
  return *id;
}

std::string to_hex(const Id128& id) {
  char text[kHexDigits + 1];
  std::snprintf(text, sizeof(text), "%016llx%016llx", static_cast<unsigned long long>(id.high),
                static_cast<unsigned long long>(id.low));
  return text;
}

std::string to_short_hex(const Id128& id) {
  const std::string digits = to_hex(id);
  const size_t first = digits.find_first_not_of('0');
  return first == std::string::npos ? "0" : digits.substr(first);
}

}  // namespace tally::cli
