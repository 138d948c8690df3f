// CopyRows: rows built in COPY's text format (tab between fields, newline after each row, \N
// for NULL), for PostgresConnection::copy_in.
//
// Text is escaped (backslash, tab, newline, carriage return) so that any value arrives as it
// was. PostgreSQL's text holds only valid UTF-8 without NUL bytes, but an event may carry
// neither (a rejection records what a client sent, cut at a byte limit): each invalid sequence
// and each NUL becomes U+FFFD, so one odd event can never stop the export. Integers and
// timestamps are written with to_chars, without allocating per field.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tally::exporter {

class CopyRows {
 public:
  void add_text(std::string_view text);
  // NULL if empty: for optional text (an absent counterparty, owner, ...).
  void add_text_or_null(std::string_view text);
  void add_integer(int64_t value);
  void add_unsigned(uint64_t value);
  void add_null();
  // A Unix time in nanoseconds as a timestamptz in UTC, to the microsecond PostgreSQL keeps.
  void add_timestamp(int64_t unix_ns);
  void end_row();

  const std::string& text() const { return text_; }
  bool empty() const { return text_.empty(); }
  size_t row_count() const { return rows_; }
  void clear();

 private:
  void separate();  // a tab before every field of a row but the first

  std::string text_;
  size_t rows_ = 0;
  bool row_started_ = false;
};

// The timestamptz text of a Unix time in nanoseconds, "2023-11-14 22:13:20.000001+00"
// (floored to the microsecond).
std::string timestamp_text(int64_t unix_ns);

}  // namespace tally::exporter
