#include "engine/journal/segment_names.h"

#include <charconv>
#include <cstdio>

namespace tally::journal {
namespace {

constexpr size_t kIndexDigits = 20;

std::string indexed_name(uint64_t index, std::string_view suffix) {
  char digits[kIndexDigits + 1];
  std::snprintf(digits, sizeof(digits), "%020llu", static_cast<unsigned long long>(index));
  return std::string(digits) + std::string(suffix);
}

}  // namespace

std::string segment_name(uint64_t index) {
  return indexed_name(index, kSegmentSuffix);
}

std::string spare_name(uint64_t index) {
  return indexed_name(index, kSpareSuffix);
}

std::optional<uint64_t> segment_index_of(std::string_view name) {
  if (name.size() != kIndexDigits + kSegmentSuffix.size() || !name.ends_with(kSegmentSuffix)) {
    return std::nullopt;
  }
  uint64_t index = 0;
  const auto parsed = std::from_chars(name.data(), name.data() + kIndexDigits, index);
  if (parsed.ec != std::errc() || parsed.ptr != name.data() + kIndexDigits) {
    return std::nullopt;
  }
  return index;
}

}  // namespace tally::journal
