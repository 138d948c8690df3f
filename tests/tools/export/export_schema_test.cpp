// tools/export/export_schema.h against a real PostgreSQL: created from nothing, migrating again
// changes nothing, a newer database is refused, names are checked.
#include "tools/export/export_schema.h"

#include <gtest/gtest.h>

#include "tests/tools/export/postgres_test.h"

namespace tally::exporter {
namespace {

using Lines = std::vector<std::string>;

class ExportSchemaTest : public testing::PostgresTest {
 protected:
  Lines tables() {
    return rows("SELECT table_name FROM information_schema.tables WHERE table_schema = '" +
                schema_name_ + "' ORDER BY table_name");
  }
};

TEST_F(ExportSchemaTest, IsCreatedFromAnEmptyDatabase) {
  const ExportSchema schema(schema_name_);
  const Result<uint32_t> before = schema.installed_version(connection());
  ASSERT_TRUE(before.is_ok()) << before.status().message();
  EXPECT_EQ(*before, 0u);

  const Status migrated = schema.migrate(connection());
  ASSERT_TRUE(migrated.is_ok()) << migrated.message();
  EXPECT_EQ(tables(), (Lines{"accounts", "events", "export_position", "schema_version",
                             "statement_entries"}));
  EXPECT_EQ(*schema.installed_version(connection()), ExportSchema::kVersion);
  EXPECT_EQ(rows("SELECT last_sequence FROM " + schema.qualified("export_position")), Lines{"0"});
  // The indexes the documented queries use.
  EXPECT_EQ(rows("SELECT indexname FROM pg_indexes WHERE schemaname = '" + schema_name_ +
                 "' AND indexname NOT LIKE '%pkey' ORDER BY indexname"),
            (Lines{"accounts_by_owner", "events_by_account", "events_by_counterparty",
                   "events_by_time"}));
  // The statement entries are a view over the events (version 2).
  EXPECT_EQ(rows("SELECT table_name, table_type FROM information_schema.tables WHERE "
                 "table_schema = '" +
                 schema_name_ + "' AND table_type <> 'BASE TABLE'"),
            Lines{"statement_entries|VIEW"});
  EXPECT_FALSE(connection().in_transaction());
}

TEST_F(ExportSchemaTest, MigratingAgainChangesNothing) {
  const ExportSchema schema(schema_name_);
  ASSERT_TRUE(schema.migrate(connection()).is_ok());
  ASSERT_TRUE(connection()
                  .execute_script("UPDATE " + schema.qualified("export_position") +
                                  " SET last_sequence = 42")
                  .is_ok());
  const Lines versions = rows("SELECT version, description FROM " +
                              schema.qualified("schema_version") + " ORDER BY version");

  const Status again = schema.migrate(connection());
  ASSERT_TRUE(again.is_ok()) << again.message();
  EXPECT_EQ(rows("SELECT version, description FROM " + schema.qualified("schema_version") +
                 " ORDER BY version"),
            versions);
  EXPECT_EQ(versions.size(), ExportSchema::kVersion);
  EXPECT_EQ(rows("SELECT last_sequence FROM " + schema.qualified("export_position")), Lines{"42"});
}

TEST_F(ExportSchemaTest, ADatabaseOfANewerVersionIsRefused) {
  const ExportSchema schema(schema_name_);
  ASSERT_TRUE(schema.migrate(connection()).is_ok());
  const std::string newer = std::to_string(ExportSchema::kVersion + 1);
  ASSERT_TRUE(connection()
                  .execute_script("INSERT INTO " + schema.qualified("schema_version") +
                                  " (version, description) VALUES (" + newer + ", 'future')")
                  .is_ok());

  const Status refused = schema.migrate(connection());
  ASSERT_FALSE(refused.is_ok());
  EXPECT_EQ(refused.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(
      refused.message().find("at version " + newer + ", newer than this tally-export knows (" +
                             std::to_string(ExportSchema::kVersion) + ")"),
      std::string::npos)
      << refused.message();
  EXPECT_EQ(*schema.installed_version(connection()), ExportSchema::kVersion + 1);
}

TEST_F(ExportSchemaTest, SchemasOfDifferentNamesAreIndependent) {
  const ExportSchema first(schema_name_);
  const ExportSchema second(schema_name_ + "_other");
  ASSERT_TRUE(first.migrate(connection()).is_ok());
  EXPECT_EQ(*second.installed_version(connection()), 0u);
  ASSERT_TRUE(second.migrate(connection()).is_ok());
  EXPECT_EQ(*second.installed_version(connection()), ExportSchema::kVersion);
}

TEST(ExportSchemaNameTest, OnlyPlainLowerCaseIdentifiers) {
  for (const std::string& name : Lines{"tally", "ledger_2", "_private", std::string(63, 'a')}) {
    EXPECT_TRUE(ExportSchema::check_name(name).is_ok()) << name;
  }
  for (const std::string& name :
       Lines{"", "Tally", "2nd", "a-b", "a\"b", "pg_catalog", "has space", std::string(64, 'a')}) {
    EXPECT_EQ(ExportSchema::check_name(name).code(), StatusCode::kInvalidArgument) << name;
  }
}

}  // namespace
}  // namespace tally::exporter
