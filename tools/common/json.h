// JSON output: objects built field by field, one per line, with strings escaped (RFC 8259) so
// that any account id, message or server name yields valid JSON.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tally::tools {

// `text` as a JSON string literal, quotes included. Control characters are escaped; bytes that
// are not valid UTF-8 are escaped one by one as \u00XX, so the output is always valid JSON.
std::string json_string(std::string_view text);

class JsonObject {
 public:
  JsonObject& add_text(std::string_view name, std::string_view text);
  JsonObject& add_signed(std::string_view name, int64_t number);
  JsonObject& add_unsigned(std::string_view name, uint64_t number);
  // `json` must already be valid JSON (a nested object or array).
  JsonObject& add_raw(std::string_view name, std::string_view json);

  // The object, braces included.
  std::string str() const { return "{" + fields_ + "}"; }

 private:
  void add_name(std::string_view name);

  std::string fields_;
};

}  // namespace tally::tools
