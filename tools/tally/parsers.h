// What people type, read into what the ledger keeps, and back: amounts (decimals in a
// currency's minor units), request and transaction ids (hex), times and dates, and the words of
// a batch line. Pure functions of their text: no server, no CLI11. Whatever cannot be read is a
// UsageError naming what it was ("--from", "amount") and the text, and tally exits 2 having
// sent nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/identifiers.h"
#include "engine/base/wide_sum.h"

#include "engine/wire/amount_text.h"

namespace tally::cli {

// ---- Usage errors -------------------------------------------------------------------------

// What the user typed is wrong (a flag, an amount, a time, a batch line): exit 2
// (ExitCode::kUsage, engine/base/exit_code.h), nothing is sent.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// ---- Currencies and amounts ---------------------------------------------------------------

// Currencies' decimal places and amounts as text: engine/wire/amount_text.h.
using tally::currency_minor_units;
using tally::format_amount;
using tally::format_wide_amount;
using tally::kDefaultMinorUnits;
using tally::wide_to_string;

// The decimal places of one command's amounts, and where they came from (for messages).
struct AmountFormat {
  size_t decimal_places = kDefaultMinorUnits;
  std::string currency;  // empty: not known, kDefaultMinorUnits assumed

  static AmountFormat for_currency(std::string_view currency_code);
  // "EUR has 2 decimal places", or that 2 are assumed.
  std::string describe() const;
};

// Checks the form of the decimal `text` alone, before its currency is known: throws
// UsageError, naming `what`, if it is negative or not a plain decimal number.
void check_amount_form(std::string_view text, std::string_view what);

// The minor units of the decimal `text` ("12.50", "12", "0.05"). Throws UsageError, naming
// `what` ("amount", "--overdraft"), as check_amount_form, if it has more decimal places than
// `format` allows, or if it does not fit in int64.
int64_t parse_amount(std::string_view text, const AmountFormat& format, std::string_view what);

// A whole number of minor units ("1250"), where the currency, and so the decimal places, is not
// known. Throws UsageError, naming `what`, if it is negative, not all digits or too large.
int64_t parse_minor_units(std::string_view text, std::string_view what);

// ---- Ids ----------------------------------------------------------------------------------

// 128-bit ids as hexadecimal, the high half first, as tally prints a request id (so that it can
// be given back to --request-id) and reads --request-id and --transaction-id.

// Exactly 32 hex digits, not all zero (a zero id is how the server answers a frame it could not
// read, so a request carrying one could be mistaken for it). Throws UsageError.
Id128 parse_request_id(std::string_view text);

// 1 to 32 hex digits, not zero (zero means "no transaction id" on the wire). Throws UsageError.
Id128 parse_transaction_id(std::string_view text);
// --transaction: a UUID or 1 to 64 printable ASCII bytes, returned as given (the batch builder
// derives its id). Throws UsageError.
std::string parse_transaction_text(std::string_view text);

// 32 lower-case hex digits.
std::string to_hex(const Id128& id);
// Lower-case hex digits without the leading zeros ("1f"; zero is "0"), as a transaction id is
// usually written and as --transaction-id takes it.
std::string to_short_hex(const Id128& id);

// ---- Times and dates ----------------------------------------------------------------------

// A time is Unix nanoseconds (UTC); tally reads it as RFC 3339 ("2026-11-23T10:00:00Z",
// "2026-11-23T10:00:00.5+01:00") or as the plain number of nanoseconds, and prints it as
// RFC 3339 in UTC with all nine fractional digits, so that a printed time given back (--from,
// --time) means that instant. A day is a count of days since 1970-01-01, written YYYY-MM-DD.

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

// ---- Words of a batch line ----------------------------------------------------------------

// Splits one batch line into words the way a shell would for the simple cases people type,
// so that a batch line reads like the command line it mirrors:
//   - blanks (spaces, tabs) separate words;
//   - '...' keeps everything inside as it is; "..." too, except that \" and \\ are escapes;
//   - outside quotes, a backslash keeps the next character as it is;
//   - a # at the start of a word (not quoted) starts a comment that runs to the end of the line.
// "" is an empty word (e.g. `open "" --owner ...` for a generated id). Throws UsageError for an
// unterminated quote or a trailing backslash.
std::vector<std::string> split_words(std::string_view line);

}  // namespace tally::cli
