// Fuzz target: the CLI's times and dates (tools/tally/parsers.h): parse_time and parse_date on
// arbitrary text, and the formatting of any int64 time and int32 day (they come from the server).
// Input: eight bytes of a time and four of a day to format, then the text. Checked: a parsed
// time is not negative and prints back (RFC 3339) to text that parses to the same instant; a
// parsed date likewise; any time from 1970 on and any day of years 0 to 9999 formats to text
// that parses back to itself.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "tools/tally/parsers.h"

namespace {

// Days since 1970-01-01 of 0000-01-01 and 9999-12-31: the years a date may be written with.
constexpr int32_t kFirstWritableDay = -719'528;
constexpr int32_t kLastWritableDay = 2'932'896;

void expect_time_round_trip(int64_t timestamp_ns) {
  const std::string text = tally::cli::format_time(timestamp_ns);
  if (timestamp_ns >= 0) {
    FUZZ_CHECK(tally::cli::parse_time(text, "time") == timestamp_ns);
  }
}

void expect_date_round_trip(int32_t day) {
  const std::string text = tally::cli::format_date(day);
  if (day >= kFirstWritableDay && day <= kLastWritableDay) {
    FUZZ_CHECK(tally::cli::parse_date(text, "date") == day);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 12) {
    return 0;
  }
  int64_t timestamp_ns = 0;
  int32_t day = 0;
  std::memcpy(&timestamp_ns, data, sizeof(timestamp_ns));
  std::memcpy(&day, data + 8, sizeof(day));
  expect_time_round_trip(timestamp_ns);
  expect_date_round_trip(day);
  const std::string_view text(reinterpret_cast<const char*>(data + 12), size - 12);
  try {
    const int64_t parsed = tally::cli::parse_time(text, "--from");
    FUZZ_CHECK(parsed >= 0);
    expect_time_round_trip(parsed);
  } catch (const tally::cli::UsageError&) {
  }
  try {
    expect_date_round_trip(tally::cli::parse_date(text, "--day"));
  } catch (const tally::cli::UsageError&) {
  }
  return 0;
}
