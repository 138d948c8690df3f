#include "engine/wire/amount_text.h"

#include <algorithm>
#include <array>

namespace tally {
namespace {

// ---- Currencies ---------------------------------------------------------------------------

struct MinorUnits {
  std::string_view code;
  size_t decimal_places;
};

// Every active ISO 4217 currency whose minor unit is not 2 (the list is short and changes
// rarely; see the ISO 4217 "list one" table).
constexpr std::array kMinorUnitsOtherThanTwo = {
    // No minor unit.
    MinorUnits{"BIF", 0}, MinorUnits{"CLP", 0}, MinorUnits{"DJF", 0}, MinorUnits{"GNF", 0},
    MinorUnits{"ISK", 0}, MinorUnits{"JPY", 0}, MinorUnits{"KMF", 0}, MinorUnits{"KRW", 0},
    MinorUnits{"PYG", 0}, MinorUnits{"RWF", 0}, MinorUnits{"UGX", 0}, MinorUnits{"UYI", 0},
    MinorUnits{"VND", 0}, MinorUnits{"VUV", 0}, MinorUnits{"XAF", 0}, MinorUnits{"XOF", 0},
    MinorUnits{"XPF", 0},
    // Thousandths.
    MinorUnits{"BHD", 3}, MinorUnits{"IQD", 3}, MinorUnits{"JOD", 3}, MinorUnits{"KWD", 3},
    MinorUnits{"LYD", 3}, MinorUnits{"OMR", 3}, MinorUnits{"TND", 3},
    // Units of account with four places.
    MinorUnits{"CLF", 4}, MinorUnits{"UYW", 4}};

// ---- Amounts ------------------------------------------------------------------------------

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

}  // namespace

size_t currency_minor_units(std::string_view currency_code) {
  const auto found =
      std::find_if(kMinorUnitsOtherThanTwo.begin(), kMinorUnitsOtherThanTwo.end(),
                   [&](const MinorUnits& entry) { return entry.code == currency_code; });
  return found == kMinorUnitsOtherThanTwo.end() ? kDefaultMinorUnits : found->decimal_places;
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

}  // namespace tally
