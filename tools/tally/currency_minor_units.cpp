#include "tools/tally/currency_minor_units.h"

#include <algorithm>
#include <array>

namespace tally::cli {
namespace {

struct MinorUnits {
  std::string_view code;
  size_t decimal_places;
};

// Every active ISO 4217 currency whose minor unit is not 2 (the list is short and changes
// rarely; see the ISO 4217 "list one" table).
constexpr std::array kExceptions = {
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

}  // namespace

size_t currency_minor_units(std::string_view currency_code) {
  const auto found =
      std::find_if(kExceptions.begin(), kExceptions.end(),
                   [&](const MinorUnits& entry) { return entry.code == currency_code; });
  return found == kExceptions.end() ? kDefaultMinorUnits : found->decimal_places;
}

}  // namespace tally::cli
