// tools/export/copy_rows.h and postgres_connection.h: COPY's binary format, on its own and
// through a real PostgreSQL (every byte arrives as it was, or as U+FFFD where
// PostgreSQL could not hold it), and PostgreSQL's errors as Statuses.
#include <gtest/gtest.h>

#include "tests/tools/export/postgres_test.h"
#include "tools/export/copy_rows.h"

namespace tally::exporter {
namespace {

using testing::PostgresTest;

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

std::string replaced(int count) {
  std::string text;
  for (int index = 0; index < count; ++index) {
    text.append(kReplacement);
  }
  return text;
}

// The bytes of a binary COPY: the header, then each row, then the trailer.
std::string copy_data(std::string_view rows) {
  std::string data("PGCOPY\n\xFF\r\n\0\0\0\0\0\0\0\0\0", 19);
  data.append(rows);
  data.append("\xFF\xFF");
  return data;
}

TEST(CopyRowsTest, WritesPostgresBinaryLayout) {
  CopyRows rows;
  rows.add_text("a\tb");
  rows.add_null();
  rows.add_bigint(-5);
  rows.end_row();
  rows.add_text_or_null("");
  rows.add_integer(258);
  rows.add_unsigned(9'223'372'036'854'775'807u);
  rows.add_timestamp(946'684'800'000'001'999);  // 2000-01-01 00:00:00.000001 UTC
  rows.end_row();
  EXPECT_EQ(rows.row_count(), 2u);
  const std::string first_row(
      "\0\3"
      "\0\0\0\3a\tb"
      "\xFF\xFF\xFF\xFF"
      "\0\0\0\x08\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFB",
      2 + 7 + 4 + 12);
  const std::string second_row(
      "\0\4"
      "\xFF\xFF\xFF\xFF"
      "\0\0\0\x04\0\0\x01\x02"
      "\0\0\0\x08\x7F\xFF\xFF\xFF\xFF\xFF\xFF\xFF"
      "\0\0\0\x08\0\0\0\0\0\0\0\x01",
      2 + 4 + 8 + 12 + 12);
  EXPECT_EQ(rows.finished(), copy_data(first_row + second_row));
  rows.clear();
  EXPECT_EQ(rows.finished(), copy_data(""));
}

TEST(CopyRowsTest, KeepsValidUtf8AndReplacesWhatPostgresCannotHold) {
  const auto copied = [](std::string_view text) {
    CopyRows rows;
    rows.add_text(text);
    rows.end_row();
    const std::string_view data = rows.finished();
    return std::string(data.substr(19 + 2 + 4, data.size() - 19 - 2 - 4 - 2));
  };
  EXPECT_EQ(copied("Zoë 日本 \xF0\x9F\x92\xB6"), "Zoë 日本 \xF0\x9F\x92\xB6");
  EXPECT_EQ(copied("cut \xC3"), "cut " + replaced(1));                      // cut mid-character
  EXPECT_EQ(copied(std::string_view("a\0b", 3)), "a" + replaced(1) + "b");  // NUL
  EXPECT_EQ(copied("\xC0\xAF"), replaced(2));                               // overlong '/'
  EXPECT_EQ(copied("\xED\xA0\x80"), replaced(3));                           // a surrogate
  EXPECT_EQ(copied("\xF4\x90\x80\x80"), replaced(4));                       // above U+10FFFF
}

using PostgresConnectionTest = PostgresTest;

TEST_F(PostgresConnectionTest, CopyDeliversEveryTextAsItWas) {
  ASSERT_TRUE(connection()
                  .execute_script("CREATE TEMP TABLE copied (id bigint, value text, at "
                                  "timestamptz, number bigint, small integer, key uuid)")
                  .is_ok());
  const std::vector<std::string> texts = {
      "plain", "tab\there", "new\nline", "back\\slash", "\\N", "\\.", "cr\r", "Zoë 日本", ""};
  CopyRows rows;
  for (size_t index = 0; index < texts.size(); ++index) {
    rows.add_bigint(static_cast<int64_t>(index));
    rows.add_text(texts[index]);
    rows.add_timestamp(1'700'000'000'123'456'789);
    rows.add_bigint(-9'223'372'036'854'775'807 - 1);
    rows.add_integer(-2'147'483'647 - 1);
    rows.add_uuid({0x9f, 0x1c, 0x6a, 0x52, 0x1b, 0x3c, 0x4d, 0x8e, 0x9a, 0x7b, 0x0c, 0x1d, 0x2e,
                   0x3f, 0x4a, 0x5b});
    rows.end_row();
  }
  rows.add_bigint(100);
  rows.add_text("cut \xC3");
  rows.add_null();
  rows.add_null();
  rows.add_null();
  rows.add_null();
  rows.end_row();
  rows.add_bigint(101);
  rows.add_text("before 1970");
  rows.add_timestamp(-1);  // floored to the microsecond before
  rows.add_bigint(0);
  rows.add_integer(0);
  rows.add_null();
  rows.end_row();
  ASSERT_TRUE(
      connection().copy_in("COPY copied FROM STDIN WITH (FORMAT binary)", rows.finished()).is_ok());

  const Result<QueryRows> back =
      connection().execute("SELECT value, at, number, small, key FROM copied ORDER BY id");
  ASSERT_TRUE(back.is_ok()) << back.status().message();
  ASSERT_EQ(back->rows(), static_cast<int>(texts.size()) + 2);
  for (size_t index = 0; index < texts.size(); ++index) {
    const int row = static_cast<int>(index);
    EXPECT_EQ(back->value(row, 0), texts[index]);
    EXPECT_FALSE(back->is_null(row, 0)) << "an empty text is not NULL";
    EXPECT_EQ(back->value(row, 1), "2023-11-14 22:13:20.123456+00");
    EXPECT_EQ(back->value(row, 2), "-9223372036854775808");
    EXPECT_EQ(back->value(row, 3), "-2147483648");
    EXPECT_EQ(back->value(row, 4), "9f1c6a52-1b3c-4d8e-9a7b-0c1d2e3f4a5b");
  }
  const int last = static_cast<int>(texts.size());
  EXPECT_EQ(back->value(last, 0), "cut " + replaced(1));
  EXPECT_TRUE(back->is_null(last, 1));
  EXPECT_EQ(back->value(last + 1, 1), "1969-12-31 23:59:59.999999+00");
}

TEST_F(PostgresConnectionTest, ParametersArePassedAsTextAndNull) {
  const Result<QueryRows> rows =
      connection().execute("SELECT $1::text || '!', $2::text IS NULL", {"it's", std::nullopt});
  ASSERT_TRUE(rows.is_ok()) << rows.status().message();
  EXPECT_EQ(rows->value(0, 0), "it's!");
  EXPECT_EQ(rows->value(0, 1), "t");
}

TEST_F(PostgresConnectionTest, FailuresCarryPostgresMessageAndState) {
  const Result<QueryRows> bad = connection().execute("SELEC 1");
  ASSERT_FALSE(bad.is_ok());
  EXPECT_NE(bad.status().message().find("syntax error"), std::string::npos)
      << bad.status().message();
  EXPECT_NE(bad.status().message().find("SQLSTATE 42601"), std::string::npos);

  // A COPY whose data does not fit fails with the line PostgreSQL stopped at, and the
  // connection is usable afterwards.
  ASSERT_TRUE(connection().execute_script("CREATE TEMP TABLE numbers (n bigint)").is_ok());
  const Status copy = connection().copy_in("COPY numbers FROM STDIN", "1\nnot a number\n");
  ASSERT_FALSE(copy.is_ok());
  EXPECT_NE(copy.message().find("invalid input syntax for type bigint"), std::string::npos)
      << copy.message();
  EXPECT_EQ(rows("SELECT count(*) FROM numbers"), std::vector<std::string>{"0"});

  const Result<PostgresConnection> nowhere =
      PostgresConnection::connect("host=/nonexistent port=1 user=tally connect_timeout=2");
  ASSERT_FALSE(nowhere.is_ok());
  EXPECT_NE(nowhere.status().message().find("cannot connect to PostgreSQL"), std::string::npos)
      << nowhere.status().message();
}

TEST_F(PostgresConnectionTest, ATransactionNotCommittedIsRolledBack) {
  ASSERT_TRUE(connection().execute_script("CREATE TABLE kept (n int)").is_ok());
  {
    Transaction transaction(connection());
    ASSERT_TRUE(transaction.begin().is_ok());
    ASSERT_TRUE(connection().execute_script("INSERT INTO kept VALUES (1)").is_ok());
    EXPECT_TRUE(connection().in_transaction());
  }
  EXPECT_FALSE(connection().in_transaction());
  EXPECT_EQ(rows("SELECT count(*) FROM kept"), std::vector<std::string>{"0"});
  {
    Transaction transaction(connection());
    ASSERT_TRUE(transaction.begin().is_ok());
    ASSERT_TRUE(connection().execute_script("INSERT INTO kept VALUES (2)").is_ok());
    ASSERT_TRUE(transaction.commit().is_ok());
  }
  EXPECT_EQ(rows("SELECT n FROM kept"), std::vector<std::string>{"2"});
  ASSERT_TRUE(connection().execute_script("DROP TABLE kept").is_ok());
}

}  // namespace
}  // namespace tally::exporter
