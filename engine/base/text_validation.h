// Validation of client-supplied text: account ids and UTF-8 strings. Pure functions.
#pragma once

#include <cstdint>
#include <string_view>

namespace tally {

// Ids chosen by the engine start with this; clients may not choose one that does.
inline constexpr std::string_view kGeneratedAccountIdPrefix = "tally:";

// The id the engine gives an account opened without one: "tally:<sequence of its event>",
// unique and deterministic.
class GeneratedAccountId {
 public:
  explicit GeneratedAccountId(uint64_t sequence);
  std::string_view view() const { return {bytes_, length_}; }

 private:
  char bytes_[32];
  size_t length_ = 0;
};

// 1 to kAccountIdBytesMax bytes of [A-Za-z0-9._:-], not starting with the generated prefix.
bool is_valid_client_account_id(std::string_view account_id);

// Well-formed UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF.
bool is_valid_utf8(std::string_view text);

}  // namespace tally
