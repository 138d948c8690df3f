#include "tools/common/json.h"

#include <cstdio>

#include "engine/base/text_validation.h"

namespace tally::tools {
namespace {

std::string unicode_escape(unsigned char byte) {
  char escaped[8];
  std::snprintf(escaped, sizeof(escaped), "\\u%04x", static_cast<unsigned>(byte));
  return escaped;
}

}  // namespace

std::string json_string(std::string_view text) {
  const bool valid_utf8 = is_valid_utf8(text);
  std::string out = "\"";
  for (const char character : text) {
    const auto byte = static_cast<unsigned char>(character);
    switch (character) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (byte < 0x20 || byte == 0x7f || (byte >= 0x80 && !valid_utf8)) {
          out += unicode_escape(byte);
        } else {
          out += character;
        }
    }
  }
  return out + "\"";
}

void JsonObject::add_name(std::string_view name) {
  if (!fields_.empty()) {
    fields_ += ',';
  }
  fields_ += json_string(name);
  fields_ += ':';
}

JsonObject& JsonObject::add_text(std::string_view name, std::string_view text) {
  add_name(name);
  fields_ += json_string(text);
  return *this;
}

JsonObject& JsonObject::add_signed(std::string_view name, int64_t number) {
  add_name(name);
  fields_ += std::to_string(number);
  return *this;
}

JsonObject& JsonObject::add_unsigned(std::string_view name, uint64_t number) {
  add_name(name);
  fields_ += std::to_string(number);
  return *this;
}

JsonObject& JsonObject::add_raw(std::string_view name, std::string_view json) {
  add_name(name);
  fields_ += json;
  return *this;
}

}  // namespace tally::tools
