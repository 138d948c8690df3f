// Journal records, named after the failure modes a reader must tell apart.
#include "engine/journal/record_codec.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstring>
#include <vector>

#include "support/ledger_harness.h"

namespace tally::journal {
namespace {

// A small journal region: a few real events written back to back, then preallocated zeros.
class RecordCodecTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::LedgerHarness harness;
    const Command commands[] = {testing::open_command("acc-0000123", "EUR", 500, 0, "Ada"),
                                testing::deposit_command("acc-0000123", 2500),
                                testing::withdraw_command("acc-0000123", 99'999),
                                testing::freeze_command("acc-0000123", "review")};
    for (const Command& command : commands) {
      events.push_back(harness.apply_one(command));
    }
    region.assign(4096, 0);
    size_t offset = 0;
    for (const Outcome& event : events) {
      offsets.push_back(offset);
      offset += write_record(event, {region.data() + offset, region.size() - offset});
    }
    written = offset;
  }

  ReadResult read_at(size_t offset, size_t end) const {
    return read_record({region.data() + offset, end - offset});
  }

  std::vector<Outcome> events;
  std::vector<uint8_t> region;
  std::vector<size_t> offsets;
  size_t written = 0;
};

TEST_F(RecordCodecTest, EveryRecordRoundTripsThenZeroedPreallocatedSpaceIsEnd) {
  size_t offset = 0;
  for (const Outcome& original : events) {
    const ReadResult record = read_at(offset, region.size());
    ASSERT_EQ(record.outcome, ReadOutcome::kRecord) << record.problem;
    Outcome decoded;
    ASSERT_TRUE(decode_record(record, decoded).is_ok());
    EXPECT_EQ(decoded.sequence, original.sequence);
    EXPECT_EQ(decoded.timestamp_ns, original.timestamp_ns);
    EXPECT_EQ(decoded.type, original.type);
    EXPECT_EQ(decoded.code, original.code);
    EXPECT_EQ(decoded.balance, original.balance);
    EXPECT_EQ(decoded.account_id.view(), original.account_id.view());
    EXPECT_EQ(decoded.text.view(), original.text.view());
    EXPECT_EQ(record.record_bytes % kRecordAlignment, 0u);
    offset += record.record_bytes;
  }
  EXPECT_EQ(offset, written);
  EXPECT_EQ(read_at(offset, region.size()).outcome, ReadOutcome::kEnd);
}

TEST_F(RecordCodecTest, ADepositTakesEightyBytes) {
  EXPECT_EQ(offsets[2] - offsets[1], 80u);
}

TEST_F(RecordCodecTest, TruncatedTrailingRecordIsTruncatedNotCorrupt) {
  const size_t last = offsets.back();
  for (size_t end = last + 1; end < written; ++end) {
    const ReadResult record = read_at(last, end);
    EXPECT_EQ(record.outcome, ReadOutcome::kTruncated) << "cut at " << end;
  }
}

TEST_F(RecordCodecTest, ChecksumMismatchInThePayloadIsCorrupt) {
  region[offsets[1] + sizeof(RecordHeader) + 5] ^= 0x01;
  const ReadResult record = read_at(offsets[1], region.size());
  EXPECT_EQ(record.outcome, ReadOutcome::kCorrupt);
  EXPECT_EQ(record.problem, "checksum mismatch");
}

TEST_F(RecordCodecTest, ChecksumMismatchInTheHeaderIsCorrupt) {
  region[offsets[1] + offsetof(RecordHeader, sequence)] ^= 0x80;  // another sequence
  EXPECT_EQ(read_at(offsets[1], region.size()).outcome, ReadOutcome::kCorrupt);
}

TEST_F(RecordCodecTest, LengthOutOfRangeIsCorrupt) {
  const uint32_t too_long = kEventPayloadBytesMax + 1;
  std::memcpy(region.data() + offsets[0], &too_long, sizeof(too_long));
  EXPECT_EQ(read_at(offsets[0], region.size()).outcome, ReadOutcome::kCorrupt);
}

TEST_F(RecordCodecTest, ZeroLengthWithDataIsCorruptNotEnd) {
  const uint32_t zero = 0;
  std::memcpy(region.data() + offsets[0], &zero, sizeof(zero));
  EXPECT_EQ(read_at(offsets[0], region.size()).outcome, ReadOutcome::kCorrupt);
}

TEST_F(RecordCodecTest, HeaderCutShortIsTruncatedUnlessZero) {
  EXPECT_EQ(read_at(offsets[0], offsets[0] + 10).outcome, ReadOutcome::kTruncated);
  EXPECT_EQ(read_at(written, written + 10).outcome, ReadOutcome::kEnd);
}

TEST(SegmentHeaderTest, ValidHeaderPasses) {
  const SegmentHeader header = make_segment_header(3, 1001, 1'700'000'000'000'000'000, 1 << 20);
  EXPECT_TRUE(check_segment_header(header).is_ok());
}

TEST(SegmentHeaderTest, BadMagicVersionOrChecksumIsNamed) {
  SegmentHeader bad_magic = make_segment_header(0, 1, 0, 1 << 20);
  bad_magic.magic ^= 1;
  EXPECT_NE(check_segment_header(bad_magic).message().find("magic"), std::string::npos);
  SegmentHeader bad_version = make_segment_header(0, 1, 0, 1 << 20);
  bad_version.format_version = kFormatVersion + 1;
  EXPECT_NE(check_segment_header(bad_version).message().find("version"), std::string::npos);
  SegmentHeader version_zero = make_segment_header(0, 1, 0, 1 << 20);
  version_zero.format_version = 0;
  EXPECT_NE(check_segment_header(version_zero).message().find("version"), std::string::npos);
  SegmentHeader bad_checksum = make_segment_header(0, 1, 0, 1 << 20);
  bad_checksum.first_sequence = 2;
  EXPECT_NE(check_segment_header(bad_checksum).message().find("checksum"), std::string::npos);
}

}  // namespace
}  // namespace tally::journal

namespace tally::journal {
namespace {

// all_zero reads whole blocks at a time: a single set bit anywhere, in a block, at a block's
// edge or in the short tail after the last block, must still be seen.
TEST(AllZeroTest, ASingleSetBitAnywhereIsSeen) {
  std::vector<uint8_t> bytes(3 * 4096 + 77, 0);
  EXPECT_TRUE(all_zero(bytes));
  EXPECT_TRUE(all_zero(std::span<const uint8_t>()));
  for (const size_t offset : {size_t{0}, size_t{7}, size_t{4095}, size_t{4096}, size_t{8191},
                              size_t{3 * 4096}, bytes.size() - 1}) {
    bytes[offset] = 0x10;
    EXPECT_FALSE(all_zero(bytes)) << offset;
    EXPECT_FALSE(all_zero(std::span(bytes).subspan(offset))) << offset;  // unaligned start
    bytes[offset] = 0;
  }
  EXPECT_TRUE(all_zero(bytes));
}

}  // namespace
}  // namespace tally::journal
