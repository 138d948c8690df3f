// 128-bit ids as text: hexadecimal, the high half first, as tally prints a request id (so that
// it can be given back to --request-id) and reads --request-id and --transaction-id.
#pragma once

#include <string>
#include <string_view>

#include "engine/base/identifiers.h"

namespace tally::cli {

// Exactly 32 hex digits, not all zero (a zero id is how the server answers a frame it could not
// read, so a request carrying one could be mistaken for it). Throws UsageError.
Id128 parse_request_id(std::string_view text);

// 1 to 32 hex digits, not zero (zero means "no transaction id" on the wire). Throws UsageError.
Id128 parse_transaction_id(std::string_view text);

// 32 lower-case hex digits.
std::string to_hex(const Id128& id);
// Lower-case hex digits without the leading zeros ("1f"; zero is "0"), as a transaction id is
// usually written and as --transaction-id takes it.
std::string to_short_hex(const Id128& id);

}  // namespace tally::cli
