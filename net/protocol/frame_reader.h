// FrameReader: the receiving side of the framing in frame.h, shared by the server's
// connections and the client. A read writes into the span prepare() returns and commit()s what
// it wrote; complete frames are then taken one at a time with peek_length(), frame() and
// consume().
//
// The buffer moves or grows only inside prepare(), which must be called only while no read is
// pending: a pending read writes where it was told to, and shifting the buffer under it loses
// or repeats bytes (that happened once). One owner thread at a time.
//
// Memory: the buffer holds `initial_bytes`, grows to exactly the size of a partial frame that
// does not fit (and then reads no further than that frame's end, so a grown buffer holds that
// one frame), and shrinks back once it is empty. bytes_after_prepare() tells an owner that
// budgets memory what the next prepare() will hold, before it allocates.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace tally::net {

class FrameReader {
 public:
  explicit FrameReader(size_t initial_bytes = 64 * 1024);

  // Room for the next read: the unread bytes moved to the front, the buffer grown to hold the
  // whole of a partial frame, a large frame's memory given back once nothing is buffered.
  std::span<uint8_t> prepare();
  void commit(size_t bytes) { end_ += bytes; }

  // The length in the next frame's header, if the header has arrived.
  std::optional<uint32_t> peek_length() const;
  // The message of the next frame (of `length` bytes, from peek_length) if it has arrived
  // whole; otherwise nullopt, and the next prepare() makes room for it.
  std::optional<std::span<const uint8_t>> frame(uint32_t length);
  // Drops the next frame (of `length` bytes).
  void consume(uint32_t length);

  // Bytes received and not consumed: a partial frame while it is not zero after all frames.
  size_t buffered() const { return end_ - begin_; }

  // The memory the buffer holds now, and what it will hold after the next prepare().
  size_t buffer_bytes() const { return buffer_.capacity(); }
  size_t bytes_after_prepare() const { return size_after_prepare(); }
  size_t initial_bytes() const { return initial_bytes_; }

 private:
  // The buffer size the next prepare() makes: room for the whole partial frame, or back to the
  // initial size once nothing is buffered.
  size_t size_after_prepare() const;

  size_t initial_bytes_;
  std::vector<uint8_t> buffer_;
  size_t begin_ = 0;          // first unconsumed byte
  size_t end_ = 0;            // one past the last byte received
  size_t frame_awaited_ = 0;  // header and message of the partial frame at begin_
};

}  // namespace tally::net
