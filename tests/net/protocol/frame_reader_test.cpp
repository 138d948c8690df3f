// FrameReader: frames in, split or joined however the reads fall; room made only in prepare().
#include "net/protocol/frame_reader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "net/protocol/frame.h"

namespace tally::net {
namespace {

std::vector<uint8_t> framed(const std::string& text) {
  std::vector<uint8_t> out;
  append_frame(out, {reinterpret_cast<const uint8_t*>(text.data()), text.size()});
  return out;
}

// Feeds `bytes` to the reader `read_size` bytes per read, collecting whole frames.
std::vector<std::string> read_all(FrameReader& reader, const std::vector<uint8_t>& bytes,
                                  size_t read_size) {
  std::vector<std::string> frames;
  for (size_t offset = 0; offset < bytes.size();) {
    const std::span<uint8_t> room = reader.prepare();
    const size_t count = std::min({room.size(), read_size, bytes.size() - offset});
    std::memcpy(room.data(), bytes.data() + offset, count);
    reader.commit(count);
    offset += count;
    while (const std::optional<uint32_t> length = reader.peek_length()) {
      const auto frame = reader.frame(*length);
      if (!frame) {
        break;
      }
      frames.emplace_back(reinterpret_cast<const char*>(frame->data()), frame->size());
      reader.consume(*length);
    }
  }
  return frames;
}

TEST(FrameReaderTest, FramesComeOutWholeHoweverTheReadsFall) {
  std::vector<uint8_t> stream;
  std::vector<std::string> sent;
  for (int index = 0; index < 300; ++index) {
    sent.push_back(
        std::string(static_cast<size_t>(index * 7 % 500), static_cast<char>('a' + index % 26)));
    const std::vector<uint8_t> frame = framed(sent.back());
    stream.insert(stream.end(), frame.begin(), frame.end());
  }
  for (const size_t read_size : {1, 3, 4, 5, 97, 1000, 100000}) {
    FrameReader reader(256);  // smaller than many frames: it must grow, then shrink
    EXPECT_EQ(read_all(reader, stream, read_size), sent) << "reads of " << read_size;
    EXPECT_EQ(reader.buffered(), 0u);
  }
}

TEST(FrameReaderTest, APartialFrameGetsRoomForAllOfItAndALargeOneIsGivenBack) {
  FrameReader reader(64);
  const std::vector<uint8_t> large = framed(std::string(1000, 'x'));
  std::span<uint8_t> room = reader.prepare();
  std::memcpy(room.data(), large.data(), 10);
  reader.commit(10);
  ASSERT_EQ(reader.peek_length(), 1000u);
  EXPECT_FALSE(reader.frame(1000).has_value());
  room = reader.prepare();
  EXPECT_GE(room.size(), large.size() - 10);  // the rest fits in one read
  std::memcpy(room.data(), large.data() + 10, large.size() - 10);
  reader.commit(large.size() - 10);
  ASSERT_TRUE(reader.frame(1000).has_value());
  reader.consume(1000);
  EXPECT_EQ(reader.prepare().size(), 64u);  // back to its initial size
}

TEST(FrameReaderTest, AGrownBufferHoldsExactlyItsFrameAndSaysSoBeforeItGrows) {
  FrameReader reader(64);
  const std::vector<uint8_t> large = framed(std::string(1000, 'x'));
  const std::vector<uint8_t> next = framed("next");
  std::vector<uint8_t> stream = large;
  stream.insert(stream.end(), next.begin(), next.end());
  EXPECT_EQ(reader.bytes_after_prepare(), 64u);
  std::span<uint8_t> room = reader.prepare();
  std::memcpy(room.data(), stream.data(), 10);
  reader.commit(10);
  ASSERT_FALSE(reader.frame(*reader.peek_length()).has_value());
  EXPECT_EQ(reader.bytes_after_prepare(), large.size());  // known before it is allocated
  room = reader.prepare();
  EXPECT_EQ(reader.buffer_bytes(), large.size());  // exactly: what was budgeted is what is held
  EXPECT_EQ(room.size(), large.size() - 10);  // a read stops at the frame's end
  std::memcpy(room.data(), stream.data() + 10, room.size());
  reader.commit(room.size());
  ASSERT_TRUE(reader.frame(1000).has_value());
  reader.consume(1000);
  EXPECT_EQ(reader.bytes_after_prepare(), 64u);
  room = reader.prepare();
  EXPECT_EQ(reader.buffer_bytes(), 64u);
  std::memcpy(room.data(), next.data(), next.size());
  reader.commit(next.size());
  const auto frame = reader.frame(*reader.peek_length());
  ASSERT_TRUE(frame.has_value());
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(frame->data()), frame->size()), "next");
}

}  // namespace
}  // namespace tally::net
