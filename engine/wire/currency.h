// CurrencyCode: an ISO 4217 code (three upper-case ASCII letters) packed into 32 bits, so that
// comparing two accounts' currencies is one integer compare on the hot path.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/base/limits.h"

namespace tally {

class CurrencyCode {
 public:
  CurrencyCode() = default;

  // The code for `text`, or nothing if it is not exactly three letters A-Z.
  static std::optional<CurrencyCode> parse(std::string_view text) {
    if (text.size() != kCurrencyCodeBytes) {
      return std::nullopt;
    }
    uint32_t packed = 0;
    for (size_t index = 0; index < kCurrencyCodeBytes; ++index) {
      const char letter = text[index];
      if (letter < 'A' || letter > 'Z') {
        return std::nullopt;
      }
      packed |= static_cast<uint32_t>(static_cast<unsigned char>(letter)) << (8 * index);
    }
    return CurrencyCode(packed);
  }

  static CurrencyCode from_packed(uint32_t packed) { return CurrencyCode(packed); }

  uint32_t packed() const { return packed_; }
  bool is_set() const { return packed_ != 0; }

  std::string to_string() const {
    std::string text(kCurrencyCodeBytes, '\0');
    for (size_t index = 0; index < kCurrencyCodeBytes; ++index) {
      text[index] = static_cast<char>((packed_ >> (8 * index)) & 0xff);
    }
    return text;
  }

  friend bool operator==(CurrencyCode, CurrencyCode) = default;

 private:
  explicit CurrencyCode(uint32_t packed) : packed_(packed) {}
  uint32_t packed_ = 0;
};

}  // namespace tally
