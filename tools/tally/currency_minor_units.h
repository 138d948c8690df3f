// ISO 4217 minor units: how many decimal places an amount in a currency has. The ledger keeps
// only integer minor units; this table is what lets the CLI read "12.50" and print it back.
#pragma once

#include <cstddef>
#include <string_view>

namespace tally::cli {

// The common case, and what the CLI assumes when it does not know the currency.
inline constexpr size_t kDefaultMinorUnits = 2;

// The decimal places of `currency_code` (e.g. "JPY": 0, "EUR": 2, "KWD": 3); currencies not in
// the table have kDefaultMinorUnits.
size_t currency_minor_units(std::string_view currency_code);

}  // namespace tally::cli
