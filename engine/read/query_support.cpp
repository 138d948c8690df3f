#include "engine/read/query_support.h"

namespace tally::read {

std::string_view view_of(const flatbuffers::String* text) {
  return text == nullptr ? std::string_view() : text->string_view();
}

std::optional<QueryAnswer> check_limit(uint32_t limit, uint32_t maximum) {
  if (limit == 0) {
    return QueryAnswer::error(ResultCode::InvalidArgument, "limit must be at least 1");
  }
  if (limit > maximum) {
    return QueryAnswer::error(
        ResultCode::LimitExceeded,
        "limit " + std::to_string(limit) + " is over the maximum of " + std::to_string(maximum));
  }
  return std::nullopt;
}

std::optional<QueryAnswer> check_time_range(int64_t from_ns, int64_t to_ns) {
  if (from_ns < 0 || to_ns < 0) {
    return QueryAnswer::error(ResultCode::InvalidArgument, "times cannot be negative");
  }
  if (to_ns != 0 && to_ns <= from_ns) {
    return QueryAnswer::error(ResultCode::InvalidArgument, "to_ns must be after from_ns");
  }
  return std::nullopt;
}

QueryAnswer missing_account_id() {
  return QueryAnswer::error(ResultCode::InvalidArgument, "account_id is required");
}

QueryAnswer unknown_account(std::string_view account_id) {
  return QueryAnswer::error(ResultCode::AccountNotFound,
                            "no account '" + std::string(account_id) + "'");
}

int32_t day_of(int64_t timestamp_ns) {
  constexpr int64_t kNanosecondsPerDay = 86'400'000'000'000;
  int64_t day = timestamp_ns / kNanosecondsPerDay;
  if (timestamp_ns % kNanosecondsPerDay < 0) {
    --day;  // floor, for times before 1970
  }
  return static_cast<int32_t>(day);
}

}  // namespace tally::read
