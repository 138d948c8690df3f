// Times and days as people write them and as the ledger keeps them. A time is Unix nanoseconds
// (UTC); tally reads it as RFC 3339 ("2026-11-23T10:00:00Z", "2026-11-23T10:00:00.5+01:00")
// or as the plain number of nanoseconds, and prints it as RFC 3339 in UTC with all nine
// fractional digits, so that a printed time given back (--from, --time) means that instant.
// A day is a count of days since 1970-01-01, written YYYY-MM-DD.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tally::cli {

// `text` as Unix nanoseconds. Throws UsageError, naming `what` ("--from"), if it is neither an
// RFC 3339 time nor a number of nanoseconds, or falls outside 1970-01-01 to 2262-04-11 (the
// range of int64 nanoseconds).
int64_t parse_time(std::string_view text, std::string_view what);

// "2026-11-23T10:00:00.000000000Z".
std::string format_time(int64_t timestamp_ns);

// A YYYY-MM-DD date as days since 1970-01-01. Throws UsageError, naming `what`, if it is not
// one, or not a day of the calendar (2026-02-30).
int32_t parse_date(std::string_view text, std::string_view what);

// Days since 1970-01-01 as YYYY-MM-DD.
std::string format_date(int32_t day);

}  // namespace tally::cli
