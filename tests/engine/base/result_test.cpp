#include "engine/base/result.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace tally {
namespace {

Result<int> parse_digit(char character) {
  if (character < '0' || character > '9')
    return Status::invalid_argument("not a digit");
  return character - '0';
}

TEST(ResultTest, HoldsTheValueWhenOk) {
  const Result<int> result = parse_digit('7');
  ASSERT_TRUE(result.is_ok());
  EXPECT_TRUE(result.status().is_ok());
  EXPECT_EQ(*result, 7);
}

TEST(ResultTest, HoldsTheFailureWhenNot) {
  const Result<int> result = parse_digit('x');
  EXPECT_FALSE(result.is_ok());
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(result.status().message(), "not a digit");
}

TEST(ResultTest, MovesAValueOut) {
  Result<std::unique_ptr<std::string>> result = std::make_unique<std::string>("journal");
  ASSERT_TRUE(result.is_ok());
  const std::unique_ptr<std::string> taken = std::move(result).value();
  EXPECT_EQ(*taken, "journal");
}

TEST(ResultDeathTest, AnOkStatusIsNotAFailure) {
  EXPECT_DEATH({ Result<int> result{Status::ok()}; }, "invariant failed");
}

TEST(ResultDeathTest, ReadingAFailedResultStops) {
  EXPECT_DEATH(
      {
        const Result<int> result = parse_digit('x');
        (void)result.value();
      },
      "invariant failed");
}

TEST(StatusTest, WithContextPutsWhereInFrontAndKeepsTheCode) {
  const Status status =
      Status::corruption("checksum mismatch").with_context("000002.seg offset 4096");
  EXPECT_EQ(status.code(), StatusCode::kCorruption);
  EXPECT_EQ(status.message(), "000002.seg offset 4096: checksum mismatch");
  EXPECT_TRUE(Status::ok().with_context("anything").is_ok());
}

}  // namespace
}  // namespace tally
