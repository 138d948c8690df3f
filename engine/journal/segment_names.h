// Segment file names: "<index, 20 digits>.segment" for segments in use, "<index>.spare" for
// the one prepared ahead (preallocated, no header yet). Sorting names sorts by index.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tally::journal {

inline constexpr std::string_view kSegmentSuffix = ".segment";
inline constexpr std::string_view kSpareSuffix = ".spare";

std::string segment_name(uint64_t index);
std::string spare_name(uint64_t index);

// The index of a segment file name, or nothing for any other name.
std::optional<uint64_t> segment_index_of(std::string_view name);

}  // namespace tally::journal
