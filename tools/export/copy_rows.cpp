#include "tools/export/copy_rows.h"

#include <limits>

#include "engine/base/invariant.h"

namespace tally::exporter {

namespace {

constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";  // U+FFFD

// The signature, the flags (none: no OIDs) and the length of the header extension (none).
constexpr std::string_view kHeader{"PGCOPY\n\xFF\r\n\0\0\0\0\0\0\0\0\0", 19};

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

}  // namespace

void CopyRows::append_big_endian(uint64_t value, int bytes) {
  const size_t at = bytes_.size();
  bytes_.append(static_cast<size_t>(bytes), '\0');
  store_big_endian(at, value, bytes);
}

void CopyRows::store_big_endian(size_t at, uint64_t value, int bytes) {
  for (int index = 0; index < bytes; ++index) {
    bytes_[at + static_cast<size_t>(index)] =
        static_cast<char>((value >> ((bytes - 1 - index) * 8)) & 0xFF);
  }
}

void CopyRows::begin_field(int32_t length) {
  TALLY_ASSERT(!finished_);
  if (!row_open_) {
    row_open_ = true;
    row_start_ = bytes_.size();
    fields_ = 0;
    bytes_.append(2, '\0');  // the field count, set by end_row()
  }
  ++fields_;
  append_big_endian(static_cast<uint32_t>(length), 4);
}

void CopyRows::add_text(std::string_view text) {
  begin_field(0);
  const size_t length_at = bytes_.size() - 4;
  const size_t start = bytes_.size();
  for (size_t index = 0; index < text.size();) {
    const auto byte = static_cast<unsigned char>(text[index]);
    if (byte >= 0x80) {
      const size_t length = multibyte_length(text.substr(index));
      if (length == 0) {
        bytes_ += kReplacementCharacter;
        ++index;
      } else {
        bytes_.append(text.substr(index, length));
        index += length;
      }
      continue;
    }
    if (byte == 0) {
      bytes_ += kReplacementCharacter;
    } else {
      bytes_ += static_cast<char>(byte);
    }
    ++index;
  }
  store_big_endian(length_at, bytes_.size() - start, 4);
}

void CopyRows::add_text_or_null(std::string_view text) {
  if (text.empty()) {
    add_null();
  } else {
    add_text(text);
  }
}

void CopyRows::add_bigint(int64_t value) {
  begin_field(8);
  append_big_endian(static_cast<uint64_t>(value), 8);
}

void CopyRows::add_unsigned(uint64_t value) {
  TALLY_ASSERT(value <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()));
  add_bigint(static_cast<int64_t>(value));
}

void CopyRows::add_integer(int32_t value) {
  begin_field(4);
  append_big_endian(static_cast<uint32_t>(value), 4);
}

void CopyRows::add_uuid(const std::array<uint8_t, 16>& bytes) {
  begin_field(16);
  bytes_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

void CopyRows::add_null() {
  begin_field(-1);
}

void CopyRows::add_timestamp(int64_t unix_ns) {
  // PostgreSQL counts microseconds from 2000-01-01 00:00:00 UTC.
  constexpr int64_t kPostgresEpochMicroseconds = 946'684'800'000'000;
  int64_t microseconds = unix_ns / 1000;
  if (unix_ns % 1000 < 0) {
    --microseconds;  // floored, not truncated toward zero
  }
  add_bigint(microseconds - kPostgresEpochMicroseconds);
}

void CopyRows::end_row() {
  TALLY_ASSERT(row_open_);
  store_big_endian(row_start_, static_cast<uint16_t>(fields_), 2);
  row_open_ = false;
  ++rows_;
}

std::string_view CopyRows::finished() {
  TALLY_ASSERT(!row_open_);
  if (!finished_) {
    bytes_.append(2, '\xFF');  // the trailer: a field count of -1
    finished_ = true;
  }
  return bytes_;
}

CopyRows::CopyRows() {
  clear();
}

void CopyRows::clear() {
  bytes_.assign(kHeader);
  rows_ = 0;
  row_open_ = false;
  finished_ = false;
}

}  // namespace tally::exporter
