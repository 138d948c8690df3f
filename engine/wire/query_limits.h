// Query limits: the most a query may ask for. Part of the protocol's contract: the server's read
// models refuse more with InvalidArgument, and clients check before they send.
#pragma once

#include <cstdint>

namespace tally {

inline constexpr uint32_t kPageEntriesMax = 1000;  // history, trails, lists, searches
inline constexpr uint32_t kTopAccountsMax = 100;
inline constexpr int32_t kDailyBalanceDaysMax = 3660;  // ten years a page

}  // namespace tally
