// Fuzz target: the CLI's amounts (tools/tally/parsers.h): parse_amount and parse_minor_units on
// arbitrary text, and the formatting of any int64 (balances come from the server).
// Input: a byte choosing the decimal places (0 to 3, or a currency's), eight bytes of a number to
// format, then the text. Checked: what parses is not negative and prints back to text that
// parses to the same value; any value formats, and a non-negative one parses back to itself.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "tools/tally/parsers.h"

namespace {

using tally::cli::AmountFormat;

AmountFormat format_of(uint8_t choice) {
  static constexpr std::string_view kCurrencies[] = {"", "EUR", "JPY", "KWD", "XYZ", "eur"};
  if (choice < 4) {
    AmountFormat format;
    format.decimal_places = choice;
    return format;
  }
  return AmountFormat::for_currency(kCurrencies[choice % std::size(kCurrencies)]);
}

void expect_round_trip(int64_t minor_units, const AmountFormat& format) {
  const std::string text = tally::cli::format_amount(minor_units, format.decimal_places);
  FUZZ_CHECK(!text.empty());
  if (minor_units >= 0) {
    FUZZ_CHECK(tally::cli::parse_amount(text, format, "amount") == minor_units);
    FUZZ_CHECK(tally::cli::parse_minor_units(std::to_string(minor_units), "amount") == minor_units);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 9) {
    return 0;
  }
  const AmountFormat format = format_of(data[0]);
  int64_t number = 0;
  std::memcpy(&number, data + 1, sizeof(number));
  expect_round_trip(number, format);
  FUZZ_CHECK(!tally::cli::format_wide_amount(tally::WideSum{number} * number, format.decimal_places)
                  .empty());
  const std::string_view text(reinterpret_cast<const char*>(data + 9), size - 9);
  try {
    const int64_t minor_units = tally::cli::parse_amount(text, format, "amount");
    FUZZ_CHECK(minor_units >= 0);
    expect_round_trip(minor_units, format);
  } catch (const tally::cli::UsageError&) {
  }
  try {
    const int64_t minor_units = tally::cli::parse_minor_units(text, "amount");
    FUZZ_CHECK(minor_units >= 0);
    expect_round_trip(minor_units, format);
  } catch (const tally::cli::UsageError&) {
  }
  return 0;
}
