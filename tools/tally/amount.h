// Amounts as people write them ("12.50", "12", "0.05") and as the ledger keeps them (int64
// minor units), converted both ways with the decimal places of the account's currency.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/base/wide_sum.h"
#include "tools/tally/currency_minor_units.h"

namespace tally::cli {

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

// The minor units of the decimal `text`. Throws UsageError, naming `what` ("amount",
// "--overdraft"), as check_amount_form, if it has more decimal places than `format` allows, or
// if it does not fit in int64.
int64_t parse_amount(std::string_view text, const AmountFormat& format, std::string_view what);

// `minor_units` as a decimal with `decimal_places` places: 1250, 2 -> "12.50"; -5, 2 -> "-0.05".
std::string format_amount(int64_t minor_units, size_t decimal_places);
// The same for a sum that may pass the int64 range (a currency's reserve, an account's totals).
std::string format_wide_amount(WideSum minor_units, size_t decimal_places);
// The integer itself: "-1234".
std::string wide_to_string(WideSum value);

// A whole number of minor units ("1250"), where the currency, and so the decimal places, is not
// known. Throws UsageError, naming `what`, if it is negative, not all digits or too large.
int64_t parse_minor_units(std::string_view text, std::string_view what);

}  // namespace tally::cli
