// Query support: the limits every query is held to and the small checks and conversions the
// read models share, so that every query refuses bad input with the same words.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/base/wide_sum.h"
#include "engine/read/read_model.h"
#include "engine/wire/protocol.h"
#include "engine/wire/query_limits.h"
#include "engine/wire/wire_int128.h"

namespace tally::read {

inline constexpr uint64_t kSearchScanLimit = 100'000;  // events looked at per search request

std::string_view view_of(const flatbuffers::String* text);

// An error answer if `limit` is 0 or over `maximum`, else nullopt.
std::optional<QueryAnswer> check_limit(uint32_t limit, uint32_t maximum);
// An error answer if the time range is backwards (a bound of 0 is open), else nullopt.
std::optional<QueryAnswer> check_time_range(int64_t from_ns, int64_t to_ns);

QueryAnswer missing_account_id();
QueryAnswer unknown_account(std::string_view account_id);

// Days since 1970-01-01 (UTC) of a Unix time in nanoseconds.
int32_t day_of(int64_t timestamp_ns);

}  // namespace tally::read
