// Amounts as text: how many decimal places each currency's minor unit has (ISO 4217) and an
// amount of minor units as a decimal in them. Shared by the CLI, which reads and prints
// amounts, and the HTTP API, which shows them beside the integers. Pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/base/wide_sum.h"

namespace tally {

// ISO 4217 minor units: the common case, and what is assumed when the currency is not known.
inline constexpr size_t kDefaultMinorUnits = 2;

// The decimal places of `currency_code` (e.g. "JPY": 0, "EUR": 2, "KWD": 3); currencies not in
// ISO 4217's short list of exceptions have kDefaultMinorUnits.
size_t currency_minor_units(std::string_view currency_code);

// `minor_units` as a decimal with `decimal_places` places: 1250, 2 -> "12.50"; -5, 2 -> "-0.05".
std::string format_amount(int64_t minor_units, size_t decimal_places);
// The same for a sum that may pass the int64 range (a currency's reserve, an account's totals).
std::string format_wide_amount(WideSum minor_units, size_t decimal_places);
// The integer itself: "-1234".
std::string wide_to_string(WideSum value);

}  // namespace tally
