#include "tools/export/copy_rows.h"

#include <charconv>
#include <chrono>

namespace tally::exporter {

namespace {

constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";  // U+FFFD

bool is_continuation(unsigned char byte) {
  return (byte & 0xC0) == 0x80;
}

// The length of the well-formed UTF-8 sequence (2 to 4 bytes) that `text` starts with, or 0:
// no overlong forms, no surrogates, nothing above U+10FFFF (RFC 3629's table).
size_t multibyte_length(std::string_view text) {
  const auto byte = [&](size_t index) { return static_cast<unsigned char>(text[index]); };
  const unsigned char lead = byte(0);
  size_t length = 0;
  unsigned char second_low = 0x80;
  unsigned char second_high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    second_low = lead == 0xE0 ? 0xA0 : 0x80;
    second_high = lead == 0xED ? 0x9F : 0xBF;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    second_low = lead == 0xF0 ? 0x90 : 0x80;
    second_high = lead == 0xF4 ? 0x8F : 0xBF;
  } else {
    return 0;
  }
  if (text.size() < length || byte(1) < second_low || byte(1) > second_high) {
    return 0;
  }
  for (size_t index = 2; index < length; ++index) {
    if (!is_continuation(byte(index))) {
      return 0;
    }
  }
  return length;
}

// Appends `value` in decimal, zero-padded to `width` digits.
void append_padded(std::string& out, int64_t value, int width) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof(digits), value).ptr;
  const auto length = static_cast<int>(end - digits);
  if (length < width) {
    out.append(static_cast<size_t>(width - length), '0');
  }
  out.append(digits, end);
}

void append_timestamp(std::string& out, int64_t unix_ns) {
  using namespace std::chrono;
  const sys_time<microseconds> time{floor<microseconds>(nanoseconds(unix_ns))};
  const sys_days day = floor<days>(time);
  const year_month_day date{day};
  const hh_mm_ss<microseconds> clock{time - day};
  append_padded(out, static_cast<int>(date.year()), 4);
  out += '-';
  append_padded(out, static_cast<unsigned>(date.month()), 2);
  out += '-';
  append_padded(out, static_cast<unsigned>(date.day()), 2);
  out += ' ';
  append_padded(out, clock.hours().count(), 2);
  out += ':';
  append_padded(out, clock.minutes().count(), 2);
  out += ':';
  append_padded(out, clock.seconds().count(), 2);
  out += '.';
  append_padded(out, clock.subseconds().count(), 6);
  out += "+00";
}

}  // namespace

void CopyRows::separate() {
  if (row_started_) {
    text_ += '\t';
  }
  row_started_ = true;
}

void CopyRows::add_text(std::string_view text) {
  separate();
  for (size_t index = 0; index < text.size();) {
    const char character = text[index];
    const auto byte = static_cast<unsigned char>(character);
    if (byte >= 0x80) {
      const size_t length = multibyte_length(text.substr(index));
      if (length == 0) {
        text_ += kReplacementCharacter;
        ++index;
      } else {
        text_.append(text.substr(index, length));
        index += length;
      }
      continue;
    }
    switch (character) {
      case '\\':
        text_ += "\\\\";
        break;
      case '\t':
        text_ += "\\t";
        break;
      case '\n':
        text_ += "\\n";
        break;
      case '\r':
        text_ += "\\r";
        break;
      case '\0':
        text_ += kReplacementCharacter;
        break;
      default:
        text_ += character;
    }
    ++index;
  }
}

void CopyRows::add_text_or_null(std::string_view text) {
  if (text.empty()) {
    add_null();
  } else {
    add_text(text);
  }
}

void CopyRows::add_integer(int64_t value) {
  separate();
  char digits[24];
  text_.append(digits, std::to_chars(digits, digits + sizeof(digits), value).ptr);
}

void CopyRows::add_unsigned(uint64_t value) {
  separate();
  char digits[24];
  text_.append(digits, std::to_chars(digits, digits + sizeof(digits), value).ptr);
}

void CopyRows::add_null() {
  separate();
  text_ += "\\N";
}

void CopyRows::add_timestamp(int64_t unix_ns) {
  separate();
  append_timestamp(text_, unix_ns);
}

void CopyRows::end_row() {
  text_ += '\n';
  row_started_ = false;
  ++rows_;
}

void CopyRows::clear() {
  text_.clear();
  rows_ = 0;
  row_started_ = false;
}

std::string timestamp_text(int64_t unix_ns) {
  std::string text;
  append_timestamp(text, unix_ns);
  return text;
}

}  // namespace tally::exporter
