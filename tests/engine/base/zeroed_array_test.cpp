// ZeroedArray: starts as all zero bytes, keeps what is written, refuses a size it cannot hold.
#include "engine/base/zeroed_array.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <new>

namespace tally {
namespace {

struct Entry {
  uint64_t sequence = 0;
  int64_t balance = 0;
};

TEST(ZeroedArrayTest, StartsZeroAndKeepsWhatIsWritten) {
  constexpr size_t kSize = 1 << 20;  // large enough for calloc to take fresh pages
  ZeroedArray<Entry> entries(kSize);
  ASSERT_EQ(entries.size(), kSize);
  EXPECT_FALSE(entries.empty());
  for (size_t index = 0; index < kSize; index += 4099) {
    EXPECT_EQ(entries[index].sequence, 0u);
    EXPECT_EQ(entries[index].balance, 0);
  }
  entries[kSize - 1] = {.sequence = 7, .balance = -3};
  EXPECT_EQ(entries[kSize - 1].sequence, 7u);
  EXPECT_EQ(entries[kSize - 1].balance, -3);
  ZeroedArray<Entry> moved = std::move(entries);
  EXPECT_EQ(moved[kSize - 1].sequence, 7u);
}

TEST(ZeroedArrayTest, EmptyHoldsNothingAndATooLargeSizeThrows) {
  const ZeroedArray<Entry> none(0);
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(none.size(), 0u);
  // Opaque to the compiler, which would otherwise refuse the call it can see overflow.
  volatile size_t too_large = std::numeric_limits<size_t>::max() / 4;
  EXPECT_THROW(ZeroedArray<Entry>{too_large}, std::bad_alloc);
}

}  // namespace
}  // namespace tally
