#include "tools/tally/amount.h"

#include <algorithm>
#include <limits>
#include <optional>

#include "tools/tally/exit_code.h"

namespace tally::cli {
namespace {

bool is_digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(),
                                      [](char digit) { return digit >= '0' && digit <= '9'; });
}

__extension__ typedef unsigned __int128 WideMagnitude;

// The decimal digits of `magnitude`.
std::string digits_of(WideMagnitude magnitude) {
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(magnitude % 10)));
    magnitude /= 10;
  } while (magnitude != 0);
  return digits;
}

// `magnitude` with a decimal point `decimal_places` from the right, and the sign.
std::string with_point(WideMagnitude magnitude, bool negative, size_t decimal_places) {
  std::string digits = digits_of(magnitude);
  if (decimal_places > 0) {
    if (digits.size() <= decimal_places) {
      digits.insert(0, decimal_places + 1 - digits.size(), '0');
    }
    digits.insert(digits.size() - decimal_places, 1, '.');
  }
  return negative ? "-" + digits : digits;
}

// The magnitude of `value`, through unsigned arithmetic: that of the minimum does not fit.
WideMagnitude magnitude_of(WideSum value) {
  return value < 0 ? 0 - static_cast<WideMagnitude>(value) : static_cast<WideMagnitude>(value);
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

}  // namespace

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
  const std::string named = std::string(what) + " \"" + std::string(text) + "\"";
  if (!text.empty() && text.front() == '-') {
    throw UsageError(named + " is negative: amounts are positive (the command says which way " +
                     "the money moves)");
  }
  const size_t point = text.find('.');
  const std::string_view whole = text.substr(0, point);
  const std::string_view fraction =
      point == std::string_view::npos ? std::string_view() : text.substr(point + 1);
  if (!is_digits(whole) || (point != std::string_view::npos && !is_digits(fraction))) {
    throw UsageError(named + " is not a decimal amount like 12.50");
  }
}

int64_t parse_amount(std::string_view text, const AmountFormat& format, std::string_view what) {
  const std::string named = std::string(what) + " \"" + std::string(text) + "\"";
  check_amount_form(text, what);
  const size_t point = text.find('.');
  const std::string_view whole = text.substr(0, point);
  const std::string_view fraction =
      point == std::string_view::npos ? std::string_view() : text.substr(point + 1);
  if (fraction.size() > format.decimal_places) {
    throw UsageError(named + " has too many decimal places: " + format.describe());
  }
  std::optional<int64_t> minor_units = 0;
  for (const char digit : whole) {
    minor_units = append_digit(minor_units, digit);
  }
  for (const char digit : fraction) {
    minor_units = append_digit(minor_units, digit);
  }
  for (size_t padding = fraction.size(); padding < format.decimal_places; ++padding) {
    minor_units = append_digit(minor_units, '0');
  }
  if (!minor_units) {
    throw UsageError(named + " is too large: at most " +
                     format_amount(std::numeric_limits<int64_t>::max(), format.decimal_places));
  }
  return *minor_units;
}

std::string format_amount(int64_t minor_units, size_t decimal_places) {
  return format_wide_amount(minor_units, decimal_places);
}

std::string format_wide_amount(WideSum minor_units, size_t decimal_places) {
  return with_point(magnitude_of(minor_units), minor_units < 0, decimal_places);
}

std::string wide_to_string(WideSum value) {
  return with_point(magnitude_of(value), value < 0, 0);
}

int64_t parse_minor_units(std::string_view text, std::string_view what) {
  const std::string named = std::string(what) + " \"" + std::string(text) + "\"";
  if (!text.empty() && text.front() == '-') {
    throw UsageError(named + " is negative: amounts are positive");
  }
  if (!is_digits(text)) {
    throw UsageError(named + " is not a whole number of minor units like 1250 (12.50 in EUR)");
  }
  std::optional<int64_t> minor_units = 0;
  for (const char digit : text) {
    minor_units = append_digit(minor_units, digit);
  }
  if (!minor_units) {
    throw UsageError(named + " is too large: at most " +
                     std::to_string(std::numeric_limits<int64_t>::max()));
  }
  return *minor_units;
}

}  // namespace tally::cli
