// StringKeyMap: a flat hash map keyed by std::string that finds by std::string_view without
// building a string (transparent hashing), for the read models' id and owner indexes.
#pragma once

#include <string>
#include <string_view>

#include <boost/unordered/unordered_flat_map.hpp>

#include "engine/base/hashing.h"

namespace tally::read {

struct StringKeyHash {
  using is_transparent = void;
  size_t operator()(std::string_view text) const { return hash_bytes(text.data(), text.size()); }
};

struct StringKeyEqual {
  using is_transparent = void;
  bool operator()(std::string_view left, std::string_view right) const { return left == right; }
};

template <typename Value>
using StringKeyMap = boost::unordered_flat_map<std::string, Value, StringKeyHash, StringKeyEqual>;

}  // namespace tally::read
