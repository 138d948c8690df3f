#include "engine/base/id_text.h"

#include <gtest/gtest.h>

#include <string>

namespace tally {
namespace {

constexpr Id128 kUuidBits{.low = 0x9a0c0305e82c3301, .high = 0x3f2504e04f8911d3};

TEST(IdTextTest, AUuidInEitherCaseIsItsOwnBits) {
  EXPECT_EQ(parse_uuid("3f2504e0-4f89-11d3-9a0c-0305e82c3301"), kUuidBits);
  EXPECT_EQ(parse_uuid("3F2504E0-4F89-11D3-9A0C-0305E82C3301"), kUuidBits);
  EXPECT_EQ(id_of_text("3F2504E0-4F89-11D3-9A0C-0305E82C3301"), kUuidBits);
  EXPECT_EQ(uuid_text_of(kUuidBits), "3f2504e0-4f89-11d3-9a0c-0305e82c3301");
  EXPECT_EQ(UuidText(Id128{.low = 1, .high = 0}).view(), "00000000-0000-0000-0000-000000000001");
}

TEST(IdTextTest, WhatIsNotACanonicalUuidIsHashed) {
  EXPECT_FALSE(parse_uuid("3f2504e04f8911d39a0c0305e82c3301"));      // no dashes
  EXPECT_FALSE(parse_uuid("3f2504e0-4f89-11d3-9a0c-0305e82c330"));   // short
  EXPECT_FALSE(parse_uuid("3f2504e0-4f89-11d3-9a0c-0305e82c330g"));  // not hex
  EXPECT_FALSE(parse_uuid("3f2504e0-4f89-11d3-9a0c-0305e82c33-1"));  // a dash for a digit
  const Id128 id = id_of_text("txn-1");
  EXPECT_FALSE(id.is_zero());
  EXPECT_EQ(id, id_of_text("txn-1"));
  EXPECT_NE(id, id_of_text("txn-2"));
  // The nil UUID would mean "no transaction id": it is hashed like any other text.
  EXPECT_FALSE(id_of_text("00000000-0000-0000-0000-000000000000").is_zero());
}

TEST(IdTextTest, TransactionTextIsOneTo64PrintableBytes) {
  EXPECT_TRUE(is_valid_transaction_text("txn-1"));
  EXPECT_TRUE(is_valid_transaction_text(" ~"));
  EXPECT_TRUE(is_valid_transaction_text(std::string(64, 'x')));
  EXPECT_FALSE(is_valid_transaction_text(std::string(65, 'x')));
  EXPECT_FALSE(is_valid_transaction_text(""));
  EXPECT_FALSE(is_valid_transaction_text("tab\there"));
  EXPECT_FALSE(is_valid_transaction_text("caf\xc3\xa9"));
}

}  // namespace
}  // namespace tally
