// Ids as text: 128-bit ids (Id128) in hexadecimal, for every program that prints or reads them
// (the CLI, the HTTP API, the auth file's digests).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/base/identifiers.h"

namespace tally {

// The value of one hex digit (either case), or nullopt.
std::optional<uint8_t> hex_digit_value(char digit);
// 1 to 32 hex digits as a number, or nullopt.
std::optional<Id128> parse_hex_id(std::string_view text);
// All 32 digits, lower case, high word first.
std::string hex_of(const Id128& id);

}  // namespace tally
