#include "net/protocol/frame_reader.h"

#include <algorithm>
#include <cstring>

#include "net/protocol/frame.h"

namespace tally::net {

FrameReader::FrameReader(size_t initial_bytes)
    : initial_bytes_(initial_bytes), buffer_(initial_bytes) {}

size_t FrameReader::size_after_prepare() const {
  const size_t unread = end_ - begin_;
  const size_t room_needed = std::max(frame_awaited_, unread + 1);
  if (buffer_.size() < room_needed) {
    return room_needed;
  }
  if (buffer_.size() > initial_bytes_ && unread == 0 && frame_awaited_ <= initial_bytes_) {
    return initial_bytes_;  // a large frame is done: its memory goes back
  }
  return buffer_.size();
}

std::span<uint8_t> FrameReader::prepare() {
  if (begin_ == end_) {
    begin_ = end_ = 0;
  }
  const size_t room_needed = std::max(frame_awaited_, end_ - begin_ + 1);
  if (buffer_.size() - begin_ < room_needed || end_ == buffer_.size()) {
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  const size_t size = size_after_prepare();
  if (size > buffer_.size()) {
    buffer_.reserve(size);  // exactly: the vector's own growth would pass what was budgeted
    buffer_.resize(size);
  } else if (size < buffer_.size()) {
    buffer_.resize(size);
    buffer_.shrink_to_fit();
  }
  return {buffer_.data() + end_, buffer_.size() - end_};
}

std::optional<uint32_t> FrameReader::peek_length() const {
  if (end_ - begin_ < kFrameHeaderBytes) {
    return std::nullopt;
  }
  return read_frame_length(buffer_.data() + begin_);
}

std::optional<std::span<const uint8_t>> FrameReader::frame(uint32_t length) {
  const size_t frame_bytes = kFrameHeaderBytes + length;
  if (end_ - begin_ < frame_bytes) {
    frame_awaited_ = frame_bytes;
    return std::nullopt;
  }
  frame_awaited_ = 0;
  return std::span<const uint8_t>(buffer_.data() + begin_ + kFrameHeaderBytes, length);
}

void FrameReader::consume(uint32_t length) {
  begin_ += kFrameHeaderBytes + length;
}

}  // namespace tally::net
