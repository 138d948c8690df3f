// StateWriter, StateReader: the bytes of a read model's state in a checkpoint (checkpoint.h).
// Values are written as they lie in memory (little-endian, this machine's layout: a checkpoint
// is read back by the same build's format version on the same kind of machine, and its header
// names both), strings with a length first. The reader never reads past its span: every take
// says whether the value was there, so a model's restore() turns a short body into kCorruption
// instead of reading garbage. One thread.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace tally::read {

class StateWriter {
 public:
  template <typename Value>
  void put(const Value& value) {
    static_assert(std::is_trivially_copyable_v<Value>);
    const auto* bytes = reinterpret_cast<const uint8_t*>(&value);
    bytes_.insert(bytes_.end(), bytes, bytes + sizeof(Value));
  }
  // `text` with its length (32 bits) first.
  void put_text(std::string_view text) {
    put(static_cast<uint32_t>(text.size()));
    bytes_.insert(bytes_.end(), text.begin(), text.end());
  }
  // `count` values laid out in memory one after the other, without a count (put it first).
  template <typename Value>
  void put_array(const Value* values, size_t count) {
    static_assert(std::is_trivially_copyable_v<Value>);
    const auto* bytes = reinterpret_cast<const uint8_t*>(values);
    bytes_.insert(bytes_.end(), bytes, bytes + count * sizeof(Value));
  }
  // `count` zero bytes, to be filled in later (a header whose checksum covers what follows).
  void put_zeros(size_t count) { bytes_.resize(bytes_.size() + count); }
  void reserve(size_t bytes) { bytes_.reserve(bytes); }
  std::vector<uint8_t>& bytes() { return bytes_; }

 private:
  std::vector<uint8_t> bytes_;
};

class StateReader {
 public:
  explicit StateReader(std::span<const uint8_t> bytes) : bytes_(bytes) {}

  template <typename Value>
  bool take(Value& value) {
    static_assert(std::is_trivially_copyable_v<Value>);
    if (remaining() < sizeof(Value)) {
      return false;
    }
    std::memcpy(&value, bytes_.data() + position_, sizeof(Value));
    position_ += sizeof(Value);
    return true;
  }
  // A text put_text() wrote, of at most `bytes_max` bytes.
  bool take_text(std::string& text, size_t bytes_max) {
    uint32_t length = 0;
    if (!take(length) || length > bytes_max || remaining() < length) {
      return false;
    }
    text.assign(reinterpret_cast<const char*>(bytes_.data() + position_), length);
    position_ += length;
    return true;
  }
  // `count` values put_array() wrote, appended to `values`.
  template <typename Value>
  bool take_array(std::vector<Value>& values, uint64_t count) {
    static_assert(std::is_trivially_copyable_v<Value>);
    if (count > remaining() / sizeof(Value)) {
      return false;
    }
    const size_t first = values.size();
    values.resize(first + count);
    std::memcpy(values.data() + first, bytes_.data() + position_, count * sizeof(Value));
    position_ += count * sizeof(Value);
    return true;
  }
  // True if at least `count` values of `value_bytes` each could still be read: a count read
  // from the body is checked against this before anything is allocated for it.
  bool could_hold(uint64_t count, size_t value_bytes) const {
    return count <= remaining() / value_bytes;
  }
  bool at_end() const { return position_ == bytes_.size(); }

 private:
  size_t remaining() const { return bytes_.size() - position_; }

  std::span<const uint8_t> bytes_;
  size_t position_ = 0;
};

}  // namespace tally::read
