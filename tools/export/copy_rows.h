// CopyRows: rows built in COPY's binary format (PostgreSQL's "COPY ... WITH (FORMAT binary)"),
// for PostgresConnection::copy_in.
//
// Binary because PostgreSQL parses text COPY field by field (timestamps and UUIDs dearly), and
// its backend is what bounds the export: 728,592 event rows into a table without indexes took
// 1.1 s in binary against 1.7 s in text (docs/performance.md).
//
// The layout: the signature header, then per row a 16-bit field count and per field a 32-bit
// length (-1: NULL) and the value in network byte order, then the trailer. Each add_* must
// match its column's type exactly (bigint: 8 bytes, integer: 4), so the COPY statement names
// its columns in the order the rows add them.
//
// PostgreSQL's text holds only valid UTF-8 without NUL bytes, but an event may carry neither (a
// rejection records what a client sent, cut at a byte limit): each invalid sequence and each
// NUL becomes U+FFFD, so one odd event can never stop the export.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace tally::exporter {

class CopyRows {
 public:
  CopyRows();

  void add_text(std::string_view text);
  // NULL if empty: for optional text (an absent counterparty, owner, ...).
  void add_text_or_null(std::string_view text);
  void add_bigint(int64_t value);
  // A bigint from an unsigned value, which must fit (check_batch refuses events whose do not).
  void add_unsigned(uint64_t value);
  void add_integer(int32_t value);  // an `integer` column
  void add_uuid(const std::array<uint8_t, 16>& bytes);
  void add_null();
  // A Unix time in nanoseconds as a timestamptz, floored to the microsecond PostgreSQL keeps.
  void add_timestamp(int64_t unix_ns);
  void end_row();

  // The whole COPY data, trailer included; nothing may be added after it until clear().
  std::string_view finished();
  size_t row_count() const { return rows_; }
  bool empty() const { return rows_ == 0; }
  void clear();

 private:
  void begin_field(int32_t length);
  void append_big_endian(uint64_t value, int bytes);
  // Writes `value`'s low `bytes` bytes, most significant first, over those at `at`.
  void store_big_endian(size_t at, uint64_t value, int bytes);

  std::string bytes_;
  size_t rows_ = 0;
  size_t row_start_ = 0;  // where the current row's field count goes
  int16_t fields_ = 0;    // in the current row so far
  bool row_open_ = false;
  bool finished_ = false;
};

}  // namespace tally::exporter
