#include "tools/tally/time_text.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <limits>
#include <optional>

#include "tools/tally/exit_code.h"

namespace tally::cli {
namespace {

constexpr int64_t kNanosecondsPerSecond = 1'000'000'000;
constexpr int64_t kSecondsPerDay = 86'400;

bool is_digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(),
                                      [](char digit) { return digit >= '0' && digit <= '9'; });
}

// The value of `text`, all digits, or nothing if it is not or does not fit in int64.
std::optional<int64_t> number_of(std::string_view text) {
  if (!is_digits(text)) {
    return std::nullopt;
  }
  int64_t value = 0;
  for (const char digit : text) {
    if (__builtin_mul_overflow(value, 10, &value) ||
        __builtin_add_overflow(value, digit - '0', &value)) {
      return std::nullopt;
    }
  }
  return value;
}

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

// An RFC 3339 time read: its nanoseconds, if it was one in the range of the ledger's times.
struct Rfc3339Time {
  enum class Outcome { kMalformed, kBefore1970, kAfter2262, kOk };
  Outcome outcome = Outcome::kMalformed;
  int64_t nanoseconds = 0;
};

// RFC 3339: YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM).
Rfc3339Time rfc3339_nanoseconds(std::string_view text) {
  Scanner scan(text);
  const int64_t year = scan.digits(4, 0, 9999);
  scan.one_of("-");
  const int64_t month = scan.digits(2, 1, 12);
  scan.one_of("-");
  const int64_t day = scan.digits(2, 1, 31);
  scan.one_of("T");
  const int64_t hour = scan.digits(2, 0, 23);
  scan.one_of(":");
  const int64_t minute = scan.digits(2, 0, 59);
  scan.one_of(":");
  const int64_t second = scan.digits(2, 0, 59);
  int64_t nanoseconds = 0;
  if (scan.next_is('.')) {
    scan.one_of(".");
    const std::string_view fraction = scan.fraction(9);
    for (size_t place = 0; place < 9; ++place) {
      nanoseconds = nanoseconds * 10 + (place < fraction.size() ? fraction[place] - '0' : 0);
    }
  }
  int64_t offset_seconds = 0;
  const char zone = scan.one_of("Z+-");
  if (zone == '+' || zone == '-') {
    const int64_t offset_hours = scan.digits(2, 0, 23);
    scan.one_of(":");
    const int64_t offset_minutes = scan.digits(2, 0, 59);
    offset_seconds = (offset_hours * 60 + offset_minutes) * 60 * (zone == '+' ? 1 : -1);
  }
  const std::optional<int32_t> days = scan.done() ? days_of(year, month, day) : std::nullopt;
  if (!days) {
    return {.outcome = Rfc3339Time::Outcome::kMalformed, .nanoseconds = 0};
  }
  // Local time minus the offset is UTC. Years up to 9999 fit in int64 seconds; nanoseconds
  // overflow after 2262.
  const int64_t seconds =
      int64_t{*days} * kSecondsPerDay + hour * 3600 + minute * 60 + second - offset_seconds;
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

}  // namespace

int64_t parse_time(std::string_view text, std::string_view what) {
  const std::string named = std::string(what) + " \"" + std::string(text) + "\"";
  if (is_digits(text)) {
    const std::optional<int64_t> nanoseconds = number_of(text);
    if (!nanoseconds) {
      throw UsageError(named + " is too large for Unix nanoseconds");
    }
    return *nanoseconds;
  }
  const Rfc3339Time time = rfc3339_nanoseconds(text);
  switch (time.outcome) {
    case Rfc3339Time::Outcome::kMalformed:
      throw UsageError(named +
                       " is not a time: RFC 3339 like 2026-11-23T10:00:00Z (with an optional "
                       "fraction of a second, and Z or an offset like +01:00), or Unix "
                       "nanoseconds");
    case Rfc3339Time::Outcome::kBefore1970:
      throw UsageError(named + " is before 1970-01-01T00:00:00Z");
    case Rfc3339Time::Outcome::kAfter2262:
      throw UsageError(named + " is after " + format_time(std::numeric_limits<int64_t>::max()) +
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
  const int64_t year = scan.digits(4, 0, 9999);
  scan.one_of("-");
  const int64_t month = scan.digits(2, 1, 12);
  scan.one_of("-");
  const int64_t day = scan.digits(2, 1, 31);
  const std::optional<int32_t> days = scan.done() ? days_of(year, month, day) : std::nullopt;
  if (!days) {
    throw UsageError(std::string(what) + " \"" + std::string(text) +
                     "\" is not a date of the calendar like 2026-11-23 (YYYY-MM-DD)");
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

}  // namespace tally::cli
