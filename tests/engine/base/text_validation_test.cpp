#include "engine/base/text_validation.h"

#include <gtest/gtest.h>

#include <string>

#include "engine/wire/currency.h"

namespace tally {
namespace {

TEST(AccountIdTest, AcceptsTheDocumentedAlphabet) {
  EXPECT_TRUE(is_valid_client_account_id("Acc_01.savings:eur-2"));
  EXPECT_TRUE(is_valid_client_account_id(std::string(64, 'z')));
}

TEST(AccountIdTest, RejectsEmptyLongForeignAndReserved) {
  EXPECT_FALSE(is_valid_client_account_id(""));
  EXPECT_FALSE(is_valid_client_account_id(std::string(65, 'z')));
  EXPECT_FALSE(is_valid_client_account_id("a/b"));
  EXPECT_FALSE(is_valid_client_account_id("caf\xc3\xa9"));
  EXPECT_FALSE(is_valid_client_account_id("tally:12"));
}

TEST(GeneratedAccountIdTest, IsThePrefixAndTheSequence) {
  EXPECT_EQ(GeneratedAccountId(0).view(), "tally:0");
  EXPECT_EQ(GeneratedAccountId(18446744073709551615ULL).view(), "tally:18446744073709551615");
}

TEST(Utf8Test, AcceptsWellFormedText) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("Zoë Ångström 東京 🙂"));
}

TEST(Utf8Test, RejectsMalformedText) {
  EXPECT_FALSE(is_valid_utf8("\x80"));              // lone continuation
  EXPECT_FALSE(is_valid_utf8("\xc0\xaf"));          // overlong
  EXPECT_FALSE(is_valid_utf8("\xe0\x80\xaf"));      // overlong
  EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xe6\x9d"));          // truncated
}

TEST(CurrencyCodeTest, ParsesThreeUpperCaseLetters) {
  const auto euro = CurrencyCode::parse("EUR");
  ASSERT_TRUE(euro.has_value());
  EXPECT_EQ(euro->to_string(), "EUR");
  EXPECT_NE(*euro, *CurrencyCode::parse("USD"));
  EXPECT_FALSE(CurrencyCode::parse("Eur"));
  EXPECT_FALSE(CurrencyCode::parse("EU"));
  EXPECT_FALSE(CurrencyCode::parse("EUR1"));
}

}  // namespace
}  // namespace tally
