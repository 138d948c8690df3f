// The parsers of parsers.h: amounts, ids, times and dates, the words of a batch line. Every
// number is read with overflow checks; nothing here throws but UsageError.
#include "tools/tally/parsers.h"

#include "engine/base/id_text.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <limits>
#include <optional>

namespace tally::cli {
namespace {

// ---- Digits -------------------------------------------------------------------------------

bool is_digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(),
                                      [](char digit) { return digit >= '0' && digit <= '9'; });
}

// value * 10 + digit, or nothing once it no longer fits.
std::optional<int64_t> append_digit(std::optional<int64_t> value, char digit) {
  int64_t next = 0;
  if (!value || __builtin_mul_overflow(*value, 10, &next) ||
      __builtin_add_overflow(next, digit - '0', &next)) {
    return std::nullopt;
  }
  return next;
}

// The value of `text`, all digits, or nothing if it is not or does not fit in int64.
std::optional<int64_t> number_of(std::string_view text) {
  if (!is_digits(text)) {
    return std::nullopt;
  }
  std::optional<int64_t> value = 0;
  for (const char digit : text) {
    value = append_digit(value, digit);
  }
  return value;
}

// `what "text"`, how messages name what they are about.
std::string named(std::string_view what, std::string_view text) {
  return std::string(what) + " \"" + std::string(text) + "\"";
}

// ---- Amounts ------------------------------------------------------------------------------

// A decimal split at its point: "12.50" is "12" and "50"; "12" has no fraction.
struct DecimalParts {
  std::string_view whole;
  std::string_view fraction;
  bool has_point = false;
};

DecimalParts decimal_parts(std::string_view text) {
  const size_t point = text.find('.');
  if (point == std::string_view::npos) {
    return {.whole = text, .fraction = {}, .has_point = false};
  }
  return {.whole = text.substr(0, point), .fraction = text.substr(point + 1), .has_point = true};
}

// ---- Hex ids ------------------------------------------------------------------------------

constexpr size_t kHexDigits = 32;

// ---- Times and dates ----------------------------------------------------------------------

constexpr int64_t kNanosecondsPerSecond = 1'000'000'000;
constexpr int64_t kSecondsPerDay = 86'400;

// Reads the fields of a time left to right; any misstep leaves it failed.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  // `width` digits, within [low, high].
  int64_t digits(size_t width, int64_t low, int64_t high) {
    const std::optional<int64_t> value =
        ok_ && text_.size() >= width ? number_of(text_.substr(0, width)) : std::nullopt;
    if (!value || *value < low || *value > high) {
      ok_ = false;
      return low;
    }
    text_.remove_prefix(width);
    return *value;
  }
  // One of `choices` (case-insensitive letters), which it returns; '\0' if none.
  char one_of(std::string_view choices) {
    if (!ok_ || text_.empty()) {
      ok_ = false;
      return '\0';
    }
    const char found = text_.front();
    const char upper = found >= 'a' && found <= 'z' ? static_cast<char>(found - 'a' + 'A') : found;
    if (choices.find(upper) == std::string_view::npos) {
      ok_ = false;
      return '\0';
    }
    text_.remove_prefix(1);
    return upper;
  }
  bool next_is(char character) const { return ok_ && !text_.empty() && text_.front() == character; }
  // The digits that follow, up to `limit` of them; more is a failure.
  std::string_view fraction(size_t limit) {
    const size_t length = std::min(text_.find_first_not_of("0123456789"), text_.size());
    if (!ok_ || length == 0 || length > limit) {
      ok_ = false;
      return {};
    }
    const std::string_view digits = text_.substr(0, length);
    text_.remove_prefix(length);
    return digits;
  }
  bool done() const { return ok_ && text_.empty(); }

 private:
  std::string_view text_;
  bool ok_ = true;
};

// Days since 1970-01-01 of a calendar date, or nothing if there is no such day.
std::optional<int32_t> days_of(int64_t year, int64_t month, int64_t day) {
  const std::chrono::year_month_day date{std::chrono::year{static_cast<int>(year)},
                                         std::chrono::month{static_cast<unsigned>(month)},
                                         std::chrono::day{static_cast<unsigned>(day)}};
  if (!date.ok()) {
    return std::nullopt;
  }
  return static_cast<int32_t>(std::chrono::sys_days{date}.time_since_epoch().count());
}

struct CalendarDate {
  int64_t year = 0;
  int64_t month = 0;
  int64_t day = 0;
};

// YYYY-MM-DD, its fields only checked for range: days_of() says whether the day exists.
CalendarDate scan_date(Scanner& scan) {
  CalendarDate date;
  date.year = scan.digits(4, 0, 9999);
  scan.one_of("-");
  date.month = scan.digits(2, 1, 12);
  scan.one_of("-");
  date.day = scan.digits(2, 1, 31);
  return date;
}

// HH:MM:SS as seconds of the day.
int64_t scan_clock(Scanner& scan) {
  const int64_t hour = scan.digits(2, 0, 23);
  scan.one_of(":");
  const int64_t minute = scan.digits(2, 0, 59);
  scan.one_of(":");
  const int64_t second = scan.digits(2, 0, 59);
  return hour * 3600 + minute * 60 + second;
}

// [.fraction] of a second, 1 to 9 digits, as nanoseconds; 0 without one.
int64_t scan_fraction_ns(Scanner& scan) {
  int64_t nanoseconds = 0;
  if (scan.next_is('.')) {
    scan.one_of(".");
    const std::string_view fraction = scan.fraction(9);
    for (size_t place = 0; place < 9; ++place) {
      nanoseconds = nanoseconds * 10 + (place < fraction.size() ? fraction[place] - '0' : 0);
    }
  }
  return nanoseconds;
}

// Z, +HH:MM or -HH:MM, as the seconds local time is ahead of UTC.
int64_t scan_offset_seconds(Scanner& scan) {
  const char zone = scan.one_of("Z+-");
  if (zone != '+' && zone != '-') {
    return 0;
  }
  const int64_t offset_hours = scan.digits(2, 0, 23);
  scan.one_of(":");
  const int64_t offset_minutes = scan.digits(2, 0, 59);
  return (offset_hours * 60 + offset_minutes) * 60 * (zone == '+' ? 1 : -1);
}

// An RFC 3339 time read: its nanoseconds, if it was one in the range of the ledger's times.
struct Rfc3339Time {
  enum class Outcome { kMalformed, kBefore1970, kAfter2262, kOk };
  Outcome outcome = Outcome::kMalformed;
  int64_t nanoseconds = 0;
};

// RFC 3339: YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM).
Rfc3339Time rfc3339_nanoseconds(std::string_view text) {
  Scanner scan(text);
  const CalendarDate date = scan_date(scan);
  scan.one_of("T");
  const int64_t second_of_day = scan_clock(scan);
  const int64_t nanoseconds = scan_fraction_ns(scan);
  const int64_t offset_seconds = scan_offset_seconds(scan);
  const std::optional<int32_t> days =
      scan.done() ? days_of(date.year, date.month, date.day) : std::nullopt;
  if (!days) {
    return {.outcome = Rfc3339Time::Outcome::kMalformed, .nanoseconds = 0};
  }
  // Local time minus the offset is UTC. Years up to 9999 fit in int64 seconds; nanoseconds
  // overflow after 2262.
  const int64_t seconds = int64_t{*days} * kSecondsPerDay + second_of_day - offset_seconds;
  if (seconds < 0) {
    return {.outcome = Rfc3339Time::Outcome::kBefore1970, .nanoseconds = 0};
  }
  int64_t total = 0;
  if (__builtin_mul_overflow(seconds, kNanosecondsPerSecond, &total) ||
      __builtin_add_overflow(total, nanoseconds, &total)) {
    return {.outcome = Rfc3339Time::Outcome::kAfter2262, .nanoseconds = 0};
  }
  return {.outcome = Rfc3339Time::Outcome::kOk, .nanoseconds = total};
}

// ---- Words --------------------------------------------------------------------------------

bool is_blank(char character) {
  return character == ' ' || character == '\t' || character == '\r' || character == '\f' ||
         character == '\v';
}

// Reads words from a line, one character at a time.
class WordReader {
 public:
  explicit WordReader(std::string_view line) : line_(line) {}

  std::vector<std::string> read() {
    while (position_ < line_.size()) {
      const char character = line_[position_++];
      if (is_blank(character)) {
        finish_word();
      } else if (character == '#' && !in_word_) {
        break;  // a comment
      } else if (character == '\'') {
        read_single_quoted();
      } else if (character == '"') {
        read_double_quoted();
      } else if (character == '\\') {
        word().push_back(escaped_character());
      } else {
        word().push_back(character);
      }
    }
    finish_word();
    return std::move(words_);
  }

 private:
  // The word being read, started if there is none: quotes start one even if nothing follows.
  std::string& word() {
    in_word_ = true;
    return word_;
  }

  void finish_word() {
    if (in_word_) {
      words_.push_back(std::move(word_));
      word_.clear();
      in_word_ = false;
    }
  }

  char escaped_character() {
    if (position_ == line_.size()) {
      throw UsageError("a backslash ends the line");
    }
    return line_[position_++];
  }

  void read_single_quoted() {
    std::string& text = word();
    while (position_ < line_.size() && line_[position_] != '\'') {
      text.push_back(line_[position_++]);
    }
    expect_closing('\'');
  }

  void read_double_quoted() {
    std::string& text = word();
    while (position_ < line_.size() && line_[position_] != '"') {
      const char character = line_[position_++];
      const bool escape = character == '\\' && position_ < line_.size() &&
                          (line_[position_] == '"' || line_[position_] == '\\');
      text.push_back(escape ? line_[position_++] : character);
    }
    expect_closing('"');
  }

  void expect_closing(char quote) {
    if (position_ == line_.size()) {
      throw UsageError(std::string("a ") + quote + " quote is not closed");
    }
    ++position_;
  }

  std::string_view line_;
  size_t position_ = 0;
  // A flag besides the text: "" is a word, nothing is not.
  std::string word_;
  bool in_word_ = false;
  std::vector<std::string> words_;
};

}  // namespace

// ---- Currencies and amounts ---------------------------------------------------------------

AmountFormat AmountFormat::for_currency(std::string_view currency_code) {
  AmountFormat format;
  if (!currency_code.empty()) {
    format.decimal_places = currency_minor_units(currency_code);
    format.currency = std::string(currency_code);
  }
  return format;
}

std::string AmountFormat::describe() const {
  const std::string places =
      std::to_string(decimal_places) + " decimal place" + (decimal_places == 1 ? "" : "s");
  return currency.empty() ? places + " are assumed where the account's currency is not known"
                          : currency + " has " + places;
}

void check_amount_form(std::string_view text, std::string_view what) {
  if (!text.empty() && text.front() == '-') {
    throw UsageError(named(what, text) +
                     " is negative: amounts are positive (the command says which way " +
                     "the money moves)");
  }
  const DecimalParts parts = decimal_parts(text);
  if (!is_digits(parts.whole) || (parts.has_point && !is_digits(parts.fraction))) {
    throw UsageError(named(what, text) + " is not a decimal amount like 12.50");
  }
}

int64_t parse_amount(std::string_view text, const AmountFormat& format, std::string_view what) {
  check_amount_form(text, what);
  const DecimalParts parts = decimal_parts(text);
  if (parts.fraction.size() > format.decimal_places) {
    throw UsageError(named(what, text) + " has too many decimal places: " + format.describe());
  }
  std::optional<int64_t> minor_units = 0;
  for (const char digit : parts.whole) {
    minor_units = append_digit(minor_units, digit);
  }
  for (const char digit : parts.fraction) {
    minor_units = append_digit(minor_units, digit);
  }
  for (size_t padding = parts.fraction.size(); padding < format.decimal_places; ++padding) {
    minor_units = append_digit(minor_units, '0');
  }
  if (!minor_units) {
    throw UsageError(named(what, text) + " is too large: at most " +
                     format_amount(std::numeric_limits<int64_t>::max(), format.decimal_places));
  }
  return *minor_units;
}

int64_t parse_minor_units(std::string_view text, std::string_view what) {
  if (!text.empty() && text.front() == '-') {
    throw UsageError(named(what, text) + " is negative: amounts are positive");
  }
  if (!is_digits(text)) {
    throw UsageError(named(what, text) +
                     " is not a whole number of minor units like 1250 (12.50 in EUR)");
  }
  const std::optional<int64_t> minor_units = number_of(text);
  if (!minor_units) {
    throw UsageError(named(what, text) + " is too large: at most " +
                     std::to_string(std::numeric_limits<int64_t>::max()));
  }
  return *minor_units;
}

// ---- Ids ----------------------------------------------------------------------------------

Id128 parse_request_id(std::string_view text) {
  const std::optional<Id128> id = text.size() == kHexDigits ? parse_hex_id(text) : std::nullopt;
  if (!id || id->is_zero()) {
    throw UsageError(named("--request-id", text) + " is not 32 hex digits (and not all zero)");
  }
  return *id;
}

Id128 parse_transaction_id(std::string_view text) {
  const std::optional<Id128> id = parse_hex_id(text);
  if (!id || id->is_zero()) {
    throw UsageError(named("--transaction-id", text) + " is not 1 to 32 hex digits (and not zero)");
  }
  return *id;
}

std::string parse_transaction_text(std::string_view text) {
  if (!is_valid_transaction_text(text)) {
    throw UsageError(named("--transaction", text) + " is not 1 to 64 printable ASCII bytes");
  }
  return std::string(text);
}

std::string to_hex(const Id128& id) {
  return hex_of(id);
}

std::string to_short_hex(const Id128& id) {
  const std::string digits = to_hex(id);
  const size_t first = digits.find_first_not_of('0');
  return first == std::string::npos ? "0" : digits.substr(first);
}

// ---- Times and dates ----------------------------------------------------------------------

int64_t parse_time(std::string_view text, std::string_view what) {
  if (is_digits(text)) {
    const std::optional<int64_t> nanoseconds = number_of(text);
    if (!nanoseconds) {
      throw UsageError(named(what, text) + " is too large for Unix nanoseconds");
    }
    return *nanoseconds;
  }
  const Rfc3339Time time = rfc3339_nanoseconds(text);
  switch (time.outcome) {
    case Rfc3339Time::Outcome::kMalformed:
      throw UsageError(named(what, text) +
                       " is not a time: RFC 3339 like 2026-11-23T10:00:00Z (with an optional "
                       "fraction of a second, and Z or an offset like +01:00), or Unix "
                       "nanoseconds");
    case Rfc3339Time::Outcome::kBefore1970:
      throw UsageError(named(what, text) + " is before 1970-01-01T00:00:00Z");
    case Rfc3339Time::Outcome::kAfter2262:
      throw UsageError(named(what, text) + " is after " +
                       format_time(std::numeric_limits<int64_t>::max()) +
                       ", the last time 64-bit Unix nanoseconds hold");
    case Rfc3339Time::Outcome::kOk:
      break;
  }
  return time.nanoseconds;
}

std::string format_time(int64_t timestamp_ns) {
  // Floor division, so that a time before 1970 still names its own second.
  int64_t seconds = timestamp_ns / kNanosecondsPerSecond;
  int64_t nanoseconds = timestamp_ns % kNanosecondsPerSecond;
  if (nanoseconds < 0) {
    nanoseconds += kNanosecondsPerSecond;
    --seconds;
  }
  int64_t day = seconds / kSecondsPerDay;
  int64_t second_of_day = seconds % kSecondsPerDay;
  if (second_of_day < 0) {
    second_of_day += kSecondsPerDay;
    --day;
  }
  char text[48];
  std::snprintf(text, sizeof(text), "%sT%02lld:%02lld:%02lld.%09lldZ",
                format_date(static_cast<int32_t>(day)).c_str(),
                static_cast<long long>(second_of_day / 3600),
                static_cast<long long>(second_of_day / 60 % 60),
                static_cast<long long>(second_of_day % 60), static_cast<long long>(nanoseconds));
  return text;
}

int32_t parse_date(std::string_view text, std::string_view what) {
  Scanner scan(text);
  const CalendarDate date = scan_date(scan);
  const std::optional<int32_t> days =
      scan.done() ? days_of(date.year, date.month, date.day) : std::nullopt;
  if (!days) {
    throw UsageError(named(what, text) +
                     " is not a date of the calendar like 2026-11-23 (YYYY-MM-DD)");
  }
  return *days;
}

std::string format_date(int32_t day) {
  const std::chrono::year_month_day date{std::chrono::sys_days{std::chrono::days{day}}};
  char text[24];
  std::snprintf(text, sizeof(text), "%04d-%02u-%02u", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
  return text;
}

// ---- Words --------------------------------------------------------------------------------

std::vector<std::string> split_words(std::string_view line) {
  return WordReader(line).read();
}

}  // namespace tally::cli
