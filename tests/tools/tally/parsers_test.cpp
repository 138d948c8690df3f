// The CLI's parsers (tools/tally/parsers.h) on their own, no server: amounts in each currency's
// minor units, currency decimal places, hex ids, times and dates, the words of a batch line.
// Valid input, the limits of int64 and of the calendar, signs, and malformed text, with the
// exact messages a user reads (exit 2).
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "tools/tally/parsers.h"

namespace tally::cli {
namespace {

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();
constexpr int64_t kNanosecondsPerSecond = 1'000'000'000;
constexpr int64_t kSecondsPerDay = 86'400;
// Days since 1970-01-01 of 2026-11-23, and its 10:00:00 UTC in Unix nanoseconds.
constexpr int32_t kNovember23 = 20'780;
constexpr int64_t kNovember23At10 =
    (int64_t{kNovember23} * kSecondsPerDay + 36'000) * kNanosecondsPerSecond;

// The message of the UsageError `action` throws; fails the test if it throws none.
template <typename Action>
std::string usage_error_of(Action action) {
  try {
    action();
  } catch (const UsageError& error) {
    return error.what();
  }
  ADD_FAILURE() << "no UsageError was thrown";
  return "";
}

int64_t amount_in(std::string_view currency, std::string_view text) {
  return parse_amount(text, AmountFormat::for_currency(currency), "amount");
}

std::string amount_error(std::string_view currency, std::string_view text) {
  return usage_error_of([&] { amount_in(currency, text); });
}

// ---- Currencies ---------------------------------------------------------------------------

TEST(CliCurrencies, HaveTheirIso4217DecimalPlaces) {
  EXPECT_EQ(currency_minor_units("EUR"), 2u);
  EXPECT_EQ(currency_minor_units("USD"), 2u);
  EXPECT_EQ(currency_minor_units("JPY"), 0u);
  EXPECT_EQ(currency_minor_units("KRW"), 0u);
  EXPECT_EQ(currency_minor_units("XPF"), 0u);
  EXPECT_EQ(currency_minor_units("KWD"), 3u);
  EXPECT_EQ(currency_minor_units("BHD"), 3u);
  EXPECT_EQ(currency_minor_units("TND"), 3u);
  EXPECT_EQ(currency_minor_units("CLF"), 4u);
  EXPECT_EQ(currency_minor_units("UYW"), 4u);
}

TEST(CliCurrencies, UnknownCodesHaveTheDefaultTwoPlacesAndCodesAreCaseSensitive) {
  EXPECT_EQ(kDefaultMinorUnits, 2u);
  EXPECT_EQ(currency_minor_units("XYZ"), kDefaultMinorUnits);
  EXPECT_EQ(currency_minor_units(""), kDefaultMinorUnits);
  EXPECT_EQ(currency_minor_units("jpy"), kDefaultMinorUnits);
  EXPECT_EQ(currency_minor_units("JPYX"), kDefaultMinorUnits);
}

TEST(CliCurrencies, AnAmountFormatSaysWhereItsPlacesCameFrom) {
  const AmountFormat yen = AmountFormat::for_currency("JPY");
  EXPECT_EQ(yen.decimal_places, 0u);
  EXPECT_EQ(yen.currency, "JPY");
  EXPECT_EQ(yen.describe(), "JPY has 0 decimal places");
  EXPECT_EQ(AmountFormat::for_currency("KWD").describe(), "KWD has 3 decimal places");
  const AmountFormat unknown = AmountFormat::for_currency("");
  EXPECT_EQ(unknown.decimal_places, kDefaultMinorUnits);
  EXPECT_EQ(unknown.currency, "");
  EXPECT_EQ(unknown.describe(),
            "2 decimal places are assumed where the account's currency is not known");
  AmountFormat one_place;
  one_place.decimal_places = 1;
  one_place.currency = "XXX";
  EXPECT_EQ(one_place.describe(), "XXX has 1 decimal place");
}

// ---- Amounts ------------------------------------------------------------------------------

TEST(CliAmounts, ReadDecimalsInTheMinorUnitsOfTheirCurrency) {
  EXPECT_EQ(amount_in("EUR", "12.50"), 1250);
  EXPECT_EQ(amount_in("EUR", "12.5"), 1250);
  EXPECT_EQ(amount_in("EUR", "12"), 1200);
  EXPECT_EQ(amount_in("EUR", "0.05"), 5);
  EXPECT_EQ(amount_in("EUR", "0"), 0);
  EXPECT_EQ(amount_in("EUR", "0.00"), 0);
  EXPECT_EQ(amount_in("EUR", "007.50"), 750);
  EXPECT_EQ(amount_in("JPY", "1000"), 1000);
  EXPECT_EQ(amount_in("KWD", "1.234"), 1234);
  EXPECT_EQ(amount_in("KWD", "1.2"), 1200);
  EXPECT_EQ(amount_in("CLF", "1.2345"), 12345);
  EXPECT_EQ(amount_in("", "12.50"), 1250);  // the currency not known: two places assumed
}

TEST(CliAmounts, MoreDecimalsThanTheCurrencyHasAreRefused) {
  EXPECT_EQ(amount_error("EUR", "1.234"),
            "amount \"1.234\" has too many decimal places: EUR has 2 decimal places");
  EXPECT_EQ(amount_error("JPY", "1.5"),
            "amount \"1.5\" has too many decimal places: JPY has 0 decimal places");
  EXPECT_EQ(amount_error("JPY", "1.0"),
            "amount \"1.0\" has too many decimal places: JPY has 0 decimal places");
  EXPECT_EQ(amount_error("KWD", "0.0001"),
            "amount \"0.0001\" has too many decimal places: KWD has 3 decimal places");
  EXPECT_EQ(amount_error("", "0.001"),
            "amount \"0.001\" has too many decimal places: 2 decimal places are assumed where "
            "the account's currency is not known");
}

TEST(CliAmounts, ReachTheInt64MaximumAndNoFurther) {
  EXPECT_EQ(amount_in("EUR", "92233720368547758.07"), kInt64Max);
  EXPECT_EQ(amount_in("JPY", "9223372036854775807"), kInt64Max);
  EXPECT_EQ(amount_in("KWD", "9223372036854775.807"), kInt64Max);
  EXPECT_EQ(amount_error("EUR", "92233720368547758.08"),
            "amount \"92233720368547758.08\" is too large: at most 92233720368547758.07");
  EXPECT_EQ(amount_error("JPY", "9223372036854775808"),
            "amount \"9223372036854775808\" is too large: at most 9223372036854775807");
  // Short of digits, but too large once padded to the currency's places.
  EXPECT_EQ(amount_error("EUR", "92233720368547758.1"),
            "amount \"92233720368547758.1\" is too large: at most 92233720368547758.07");
  EXPECT_EQ(amount_error("EUR", "99999999999999999999999999"),
            "amount \"99999999999999999999999999\" is too large: at most "
            "92233720368547758.07");
}

TEST(CliAmounts, ANegativeAmountIsRefusedForTheCommandSaysWhichWayMoneyMoves) {
  EXPECT_EQ(amount_error("EUR", "-1"),
            "amount \"-1\" is negative: amounts are positive (the command says which way the "
            "money moves)");
  EXPECT_EQ(amount_error("EUR", "-0.00"),
            "amount \"-0.00\" is negative: amounts are positive (the command says which way "
            "the money moves)");
  EXPECT_EQ(usage_error_of([] { parse_amount("-5", AmountFormat(), "--overdraft"); }),
            "--overdraft \"-5\" is negative: amounts are positive (the command says which way "
            "the money moves)");
}

TEST(CliAmounts, AnythingButAPlainDecimalIsRefused) {
  for (const char* text : {"", ".", "1.", ".5", "1.2.3", "1,50", " 1", "1 ", "+1", "1e3", "abc",
                           "0x10", "12.5O", "1_000", "\xd9\xa1"}) {
    EXPECT_EQ(amount_error("EUR", text),
              "amount \"" + std::string(text) + "\" is not a decimal amount like 12.50")
        << text;
  }
}

TEST(CliAmounts, TheirFormAloneIsCheckedBeforeTheCurrencyIsKnown) {
  check_amount_form("12.345678", "amount");                // the places are for later
  check_amount_form("99999999999999999999999", "amount");  // and so is the range
  EXPECT_EQ(usage_error_of([] { check_amount_form("-1", "amount"); }),
            "amount \"-1\" is negative: amounts are positive (the command says which way the "
            "money moves)");
  EXPECT_EQ(usage_error_of([] { check_amount_form("1.", "amount"); }),
            "amount \"1.\" is not a decimal amount like 12.50");
  EXPECT_EQ(usage_error_of([] { check_amount_form("", "--initial-deposit"); }),
            "--initial-deposit \"\" is not a decimal amount like 12.50");
}

TEST(CliAmounts, WholeMinorUnitsAreReadWhereTheCurrencyIsNotKnown) {
  EXPECT_EQ(parse_minor_units("1250", "--min"), 1250);
  EXPECT_EQ(parse_minor_units("0", "--min"), 0);
  EXPECT_EQ(parse_minor_units("0007", "--min"), 7);
  EXPECT_EQ(parse_minor_units("9223372036854775807", "--max"), kInt64Max);
  EXPECT_EQ(usage_error_of([] { parse_minor_units("9223372036854775808", "--max"); }),
            "--max \"9223372036854775808\" is too large: at most 9223372036854775807");
  EXPECT_EQ(usage_error_of([] { parse_minor_units("-5", "--min"); }),
            "--min \"-5\" is negative: amounts are positive");
  for (const char* text : {"", "12.50", "12.", "1e3", " 1", "+1", "abc"}) {
    EXPECT_EQ(usage_error_of([&] { parse_minor_units(text, "--min"); }),
              "--min \"" + std::string(text) +
                  "\" is not a whole number of minor units like 1250 (12.50 in EUR)")
        << text;
  }
}

TEST(CliAmounts, FormatWithTheirCurrencysPlacesAndSign) {
  EXPECT_EQ(format_amount(1250, 2), "12.50");
  EXPECT_EQ(format_amount(5, 2), "0.05");
  EXPECT_EQ(format_amount(50, 2), "0.50");
  EXPECT_EQ(format_amount(999, 3), "0.999");
  EXPECT_EQ(format_amount(-5, 2), "-0.05");
  EXPECT_EQ(format_amount(0, 2), "0.00");
  EXPECT_EQ(format_amount(0, 0), "0");
  EXPECT_EQ(format_amount(1000, 0), "1000");
  EXPECT_EQ(format_amount(-1000, 0), "-1000");
  EXPECT_EQ(format_amount(1234, 3), "1.234");
  EXPECT_EQ(format_amount(12345, 4), "1.2345");
  EXPECT_EQ(format_amount(kInt64Max, 2), "92233720368547758.07");
  EXPECT_EQ(format_amount(kInt64Min, 2), "-92233720368547758.08");
  EXPECT_EQ(format_amount(kInt64Min, 0), "-9223372036854775808");
}

TEST(CliAmounts, WideSumsFormatBeyondTheInt64Range) {
  const WideSum twice_the_maximum = WideSum{kInt64Max} * 2;
  EXPECT_EQ(format_wide_amount(twice_the_maximum, 2), "184467440737095516.14");
  EXPECT_EQ(format_wide_amount(-twice_the_maximum, 0), "-18446744073709551614");
  EXPECT_EQ(wide_to_string(twice_the_maximum), "18446744073709551614");
  EXPECT_EQ(wide_to_string(-1234), "-1234");
  EXPECT_EQ(wide_to_string(0), "0");
  __extension__ typedef unsigned __int128 WideMagnitude;
  const WideSum minimum = static_cast<WideSum>(WideMagnitude{1} << 127);  // -2^127
  EXPECT_EQ(wide_to_string(minimum), "-170141183460469231731687303715884105728");
  EXPECT_EQ(format_wide_amount(minimum, 2), "-1701411834604692317316873037158841057.28");
}

TEST(CliAmounts, WhatFormatsParsesBackToItself) {
  for (const size_t places : {0u, 2u, 3u, 4u}) {
    AmountFormat format;
    format.decimal_places = places;
    for (const int64_t value : {int64_t{0}, int64_t{1}, int64_t{9}, int64_t{10}, int64_t{1250},
                                int64_t{100'000'001}, kInt64Max}) {
      EXPECT_EQ(parse_amount(format_amount(value, places), format, "amount"), value)
          << value << " with " << places << " places";
    }
  }
}

// ---- Hex ids ------------------------------------------------------------------------------

TEST(CliHexIds, ARequestIdIsExactly32HexDigitsHighHalfFirst) {
  const Id128 id = parse_request_id("0123456789abcdefFEDCBA9876543210");
  EXPECT_EQ(id.high, 0x0123456789abcdefULL);
  EXPECT_EQ(id.low, 0xfedcba9876543210ULL);
  EXPECT_EQ(to_hex(id), "0123456789abcdeffedcba9876543210");
  const Id128 one = parse_request_id("00000000000000000000000000000001");
  EXPECT_EQ(one.high, 0u);
  EXPECT_EQ(one.low, 1u);
}

TEST(CliHexIds, ARequestIdOfAnyOtherLengthOrAllZeroIsRefused) {
  for (const char* text :
       {"", "1", "0123456789abcdef0123456789abcde", "0123456789abcdef0123456789abcdef0",
        "0123456789abcdef0123456789abcdeg", "00000000000000000000000000000000",
        " 0123456789abcdef0123456789abcde", "0x23456789abcdef0123456789abcdef"}) {
    EXPECT_EQ(usage_error_of([&] { parse_request_id(text); }),
              "--request-id \"" + std::string(text) + "\" is not 32 hex digits (and not all zero)")
        << text;
  }
}

TEST(CliHexIds, ATransactionIdIsOneTo32HexDigitsNotZero) {
  const Id128 short_id = parse_transaction_id("1f");
  EXPECT_EQ(short_id.high, 0u);
  EXPECT_EQ(short_id.low, 0x1fu);
  EXPECT_EQ(parse_transaction_id("1F"), short_id);
  EXPECT_EQ(parse_transaction_id("0001f"), short_id);
  const Id128 maximum = parse_transaction_id("ffffffffffffffffffffffffffffffff");
  EXPECT_EQ(maximum.high, std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(maximum.low, std::numeric_limits<uint64_t>::max());
  const Id128 spanning = parse_transaction_id("10000000000000000");  // 17 digits: 2^64
  EXPECT_EQ(spanning.high, 1u);
  EXPECT_EQ(spanning.low, 0u);
  for (const char* text :
       {"", "0", "00", "-1", "0x1f", "1g", "1f ", "fffffffffffffffffffffffffffffffff"}) {
    EXPECT_EQ(
        usage_error_of([&] { parse_transaction_id(text); }),
        "--transaction-id \"" + std::string(text) + "\" is not 1 to 32 hex digits (and not zero)")
        << text;
  }
}

TEST(CliHexIds, PrintInFullOrWithoutLeadingZeros) {
  EXPECT_EQ(to_hex(Id128{}), "00000000000000000000000000000000");
  EXPECT_EQ(to_short_hex(Id128{}), "0");
  EXPECT_EQ(to_short_hex(Id128{.low = 0x1f, .high = 0}), "1f");
  EXPECT_EQ(to_short_hex(Id128{.low = 0, .high = 1}), "10000000000000000");
  EXPECT_EQ(parse_transaction_id(to_short_hex(Id128{.low = 0xabc, .high = 0x12})),
            (Id128{.low = 0xabc, .high = 0x12}));
  const Id128 request = parse_request_id("0000000000000000000000000000abcd");
  EXPECT_EQ(parse_request_id(to_hex(request)), request);
}

// ---- Times --------------------------------------------------------------------------------

TEST(CliTimes, ReadRfc3339InUtc) {
  EXPECT_EQ(parse_time("1970-01-01T00:00:00Z", "--from"), 0);
  EXPECT_EQ(parse_time("1970-01-01T00:00:01Z", "--from"), kNanosecondsPerSecond);
  EXPECT_EQ(parse_time("2026-11-23T10:00:00Z", "--from"), kNovember23At10);
  EXPECT_EQ(parse_time("2026-11-23t10:00:00z", "--from"), kNovember23At10);
  EXPECT_EQ(parse_time("2024-02-29T00:00:00Z", "--from"),
            int64_t{19'782} * kSecondsPerDay * kNanosecondsPerSecond);
}

TEST(CliTimes, ReadOneToNineFractionalDigits) {
  EXPECT_EQ(parse_time("2026-11-23T10:00:00.5Z", "--from"), kNovember23At10 + 500'000'000);
  EXPECT_EQ(parse_time("2026-11-23T10:00:00.000000001Z", "--from"), kNovember23At10 + 1);
  EXPECT_EQ(parse_time("2026-11-23T10:00:00.123456789Z", "--from"), kNovember23At10 + 123456789);
  EXPECT_EQ(parse_time("2026-11-23T10:00:00.000Z", "--from"), kNovember23At10);
}

TEST(CliTimes, AnOffsetIsTakenAwayToGetUtc) {
  constexpr int64_t kHour = 3600 * kNanosecondsPerSecond;
  EXPECT_EQ(parse_time("2026-11-23T11:00:00+01:00", "--from"), kNovember23At10);
  EXPECT_EQ(parse_time("2026-11-23T08:30:00-01:30", "--from"), kNovember23At10);
  EXPECT_EQ(parse_time("2026-11-23T10:00:00+00:00", "--from"), kNovember23At10);
  EXPECT_EQ(parse_time("2026-11-23T10:00:00-00:00", "--from"), kNovember23At10);
  EXPECT_EQ(parse_time("2026-11-24T09:59:00+23:59", "--from"), kNovember23At10);
  // An offset may carry a time across midnight, into the day before or after.
  EXPECT_EQ(parse_time("2026-11-24T01:00:00+15:00", "--from"), kNovember23At10);
  EXPECT_EQ(parse_time("1970-01-01T00:00:00-01:00", "--from"), kHour);
  EXPECT_EQ(parse_time("2026-11-23T10:00:00.25+01:00", "--from"),
            kNovember23At10 - kHour + 250'000'000);
}

TEST(CliTimes, ReadPlainUnixNanoseconds) {
  EXPECT_EQ(parse_time("0", "--time"), 0);
  EXPECT_EQ(parse_time("1795461729878558608", "--time"), 1795461729878558608);
  EXPECT_EQ(parse_time("0001", "--time"), 1);
  EXPECT_EQ(parse_time("9223372036854775807", "--time"), kInt64Max);
  EXPECT_EQ(usage_error_of([] { parse_time("9223372036854775808", "--time"); }),
            "--time \"9223372036854775808\" is too large for Unix nanoseconds");
}

TEST(CliTimes, TheRangeIsThatOfInt64NanosecondsFrom1970) {
  EXPECT_EQ(parse_time("2262-04-11T23:47:16.854775807Z", "--to"), kInt64Max);
  EXPECT_EQ(usage_error_of([] { parse_time("2262-04-11T23:47:16.854775808Z", "--to"); }),
            "--to \"2262-04-11T23:47:16.854775808Z\" is after 2262-04-11T23:47:16.854775807Z, "
            "the last time 64-bit Unix nanoseconds hold");
  EXPECT_EQ(usage_error_of([] { parse_time("9999-12-31T23:59:59Z", "--to"); }),
            "--to \"9999-12-31T23:59:59Z\" is after 2262-04-11T23:47:16.854775807Z, the last "
            "time 64-bit Unix nanoseconds hold");
  EXPECT_EQ(usage_error_of([] { parse_time("1969-12-31T23:59:59Z", "--from"); }),
            "--from \"1969-12-31T23:59:59Z\" is before 1970-01-01T00:00:00Z");
  // 00:30 at +01:00 is 23:30 UTC the day before.
  EXPECT_EQ(usage_error_of([] { parse_time("1970-01-01T00:30:00+01:00", "--from"); }),
            "--from \"1970-01-01T00:30:00+01:00\" is before 1970-01-01T00:00:00Z");
  EXPECT_EQ(usage_error_of([] { parse_time("0000-01-01T00:00:00Z", "--from"); }),
            "--from \"0000-01-01T00:00:00Z\" is before 1970-01-01T00:00:00Z");
}

TEST(CliTimes, AnythingElseIsNotATime) {
  for (const char* text : {"",
                           "2026-11-23",
                           "2026-11-23T10:00:00",
                           "2026-11-23 10:00:00Z",
                           "2026-11-23T10:00Z",
                           "2026-11-23T24:00:00Z",
                           "2026-11-23T10:60:00Z",
                           "2026-11-23T10:00:60Z",
                           "2026-02-30T00:00:00Z",
                           "2023-02-29T00:00:00Z",
                           "2026-13-01T00:00:00Z",
                           "2026-00-01T00:00:00Z",
                           "2026-11-00T00:00:00Z",
                           "2026-1-23T10:00:00Z",
                           "26-11-23T10:00:00Z",
                           "2026-11-23T10:00:00.Z",
                           "2026-11-23T10:00:00.1234567890Z",
                           "2026-11-23T10:00:00,5Z",
                           "2026-11-23T10:00:00+1:00",
                           "2026-11-23T10:00:00+0100",
                           "2026-11-23T10:00:00+24:00",
                           "2026-11-23T10:00:00+01:60",
                           "2026-11-23T10:00:00Zjunk",
                           " 2026-11-23T10:00:00Z",
                           "-5",
                           "+5",
                           "1.5",
                           "now"}) {
    EXPECT_EQ(usage_error_of([&] { parse_time(text, "--from"); }),
              "--from \"" + std::string(text) +
                  "\" is not a time: RFC 3339 like 2026-11-23T10:00:00Z (with an optional "
                  "fraction of a second, and Z or an offset like +01:00), or Unix nanoseconds")
        << text;
  }
}

TEST(CliTimes, PrintInUtcWithNineFractionalDigits) {
  EXPECT_EQ(format_time(0), "1970-01-01T00:00:00.000000000Z");
  EXPECT_EQ(format_time(kNovember23At10 + 878'558'608), "2026-11-23T10:00:00.878558608Z");
  EXPECT_EQ(format_time(kInt64Max), "2262-04-11T23:47:16.854775807Z");
  // From the server any int64 may come: before 1970 names its own second.
  EXPECT_EQ(format_time(-1), "1969-12-31T23:59:59.999999999Z");
  EXPECT_EQ(format_time(kInt64Min), "1677-09-21T00:12:43.145224192Z");
}

TEST(CliTimes, WhatPrintsParsesBackToTheSameInstant) {
  for (const int64_t time :
       {int64_t{0}, int64_t{1}, kNovember23At10 + 1, int64_t{1795461729878558608}, kInt64Max}) {
    EXPECT_EQ(parse_time(format_time(time), "--from"), time) << time;
  }
}

// ---- Dates --------------------------------------------------------------------------------

TEST(CliDates, ReadDaysOfTheCalendarSince1970) {
  EXPECT_EQ(parse_date("1970-01-01", "from-date"), 0);
  EXPECT_EQ(parse_date("1970-01-02", "from-date"), 1);
  EXPECT_EQ(parse_date("1969-12-31", "from-date"), -1);
  EXPECT_EQ(parse_date("2026-11-23", "from-date"), kNovember23);
  EXPECT_EQ(parse_date("2024-02-29", "from-date"), 19'782);
  EXPECT_EQ(parse_date("2000-02-29", "from-date"), 11'016);
  EXPECT_EQ(parse_date("0000-01-01", "from-date"), -719'528);
  EXPECT_EQ(parse_date("9999-12-31", "to-date"), 2'932'896);
}

TEST(CliDates, AnythingButADayOfTheCalendarIsRefused) {
  for (const char* text :
       {"", "2026-02-30", "2023-02-29", "1900-02-29", "2026-04-31", "2026-13-01", "2026-00-10",
        "2026-11-00", "2026-11-32", "2026/11/23", "26-11-23", "2026-1-23", "2026-11-23T00:00:00Z",
        "2026-11-23 ", " 2026-11-23", "-2026-11-23", "20261123", "today"}) {
    EXPECT_EQ(usage_error_of([&] { parse_date(text, "to-date"); }),
              "to-date \"" + std::string(text) +
                  "\" is not a date of the calendar like 2026-11-23 (YYYY-MM-DD)")
        << text;
  }
}

TEST(CliDates, PrintAsYearMonthDayAndParseBack) {
  EXPECT_EQ(format_date(0), "1970-01-01");
  EXPECT_EQ(format_date(-1), "1969-12-31");
  EXPECT_EQ(format_date(kNovember23), "2026-11-23");
  EXPECT_EQ(format_date(-719'528), "0000-01-01");
  EXPECT_EQ(format_date(2'932'896), "9999-12-31");
  for (const int32_t day : {-719'528, -1, 0, 19'782, kNovember23, 2'932'896}) {
    EXPECT_EQ(parse_date(format_date(day), "from-date"), day) << day;
  }
}

// ---- Words of a batch line ----------------------------------------------------------------

using Words = std::vector<std::string>;

TEST(CliWords, BlanksSeparateWords) {
  EXPECT_EQ(split_words("deposit alice 12.50"), (Words{"deposit", "alice", "12.50"}));
  EXPECT_EQ(split_words("  deposit \t alice\t12.50  "), (Words{"deposit", "alice", "12.50"}));
  EXPECT_EQ(split_words("deposit alice 1\r"), (Words{"deposit", "alice", "1"}));
  EXPECT_EQ(split_words("a\fb\vc"), (Words{"a", "b", "c"}));
}

TEST(CliWords, BlankLinesAndCommentsHaveNoWords) {
  EXPECT_EQ(split_words(""), Words{});
  EXPECT_EQ(split_words(" \t "), Words{});
  EXPECT_EQ(split_words("# month end"), Words{});
  EXPECT_EQ(split_words("   # indented"), Words{});
  EXPECT_EQ(split_words("deposit alice 1 # the rest is a comment 'unclosed"),
            (Words{"deposit", "alice", "1"}));
}

TEST(CliWords, AHashInsideAWordOrQuotedIsText) {
  EXPECT_EQ(split_words("a#b"), (Words{"a#b"}));
  EXPECT_EQ(split_words("'#' \"#\" \\#x"), (Words{"#", "#", "#x"}));
}

TEST(CliWords, SingleQuotesKeepEverythingInside) {
  EXPECT_EQ(split_words("--owner 'Carol C'"), (Words{"--owner", "Carol C"}));
  EXPECT_EQ(split_words(R"('a\b"c')"), (Words{R"(a\b"c)"}));
}

TEST(CliWords, DoubleQuotesEscapeOnlyQuoteAndBackslash) {
  EXPECT_EQ(split_words(R"("Carol \"C\" \\ \n")"), (Words{R"(Carol "C" \ \n)"}));
  EXPECT_EQ(split_words(R"("it's")"), (Words{"it's"}));
}

TEST(CliWords, ABackslashOutsideQuotesKeepsTheNextCharacter) {
  EXPECT_EQ(split_words(R"(Carol\ C)"), (Words{"Carol C"}));
  EXPECT_EQ(split_words(R"(\'x\")"), (Words{R"('x")"}));
  EXPECT_EQ(split_words(R"(a\\b)"), (Words{R"(a\b)"}));
}

TEST(CliWords, QuotesMakeEmptyWordsAndJoinWithWhatTouchesThem) {
  EXPECT_EQ(split_words(R"(open "" --owner X)"), (Words{"open", "", "--owner", "X"}));
  EXPECT_EQ(split_words("''"), (Words{""}));
  EXPECT_EQ(split_words(R"(a'b c'd"e f")"), (Words{"ab cde f"}));
}

TEST(CliWords, AnUnclosedQuoteOrATrailingBackslashIsRefused) {
  EXPECT_EQ(usage_error_of([] { split_words("open 'carol"); }), "a ' quote is not closed");
  EXPECT_EQ(usage_error_of([] { split_words(R"(open "carol)"); }), "a \" quote is not closed");
  EXPECT_EQ(usage_error_of([] { split_words(R"(open "carol\")"); }), "a \" quote is not closed");
  EXPECT_EQ(usage_error_of([] { split_words("deposit alice 1\\"); }), "a backslash ends the line");
}

}  // namespace
}  // namespace tally::cli
