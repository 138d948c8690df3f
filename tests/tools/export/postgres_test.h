// PostgresTest: a fixture for tests against a real PostgreSQL server (support/postgres_server.h).
// One server per test process, started before the first suite that needs it and stopped at
// exit; each test gets a fresh connection and a schema name of its own, so tests never see
// each other's tables. rows() renders a query's result as text for comparisons.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "support/postgres_server.h"
#include "tools/export/postgres_connection.h"

namespace tally::testing {

class PostgresTest : public ::testing::Test {
 protected:
  static PostgresServer& server() {
    static PostgresServer shared;  // (stopped by its destructor at exit)
    return shared;
  }
  static void SetUpTestSuite() { server(); }

  void SetUp() override {
    TALLY_REQUIRE_POSTGRES(&server());
    Result<exporter::PostgresConnection> connected = connect();
    ASSERT_TRUE(connected.is_ok()) << connected.status().message();
    connection_.emplace(std::move(connected).value());
    ASSERT_TRUE(connection().execute_script("SET TimeZone = 'UTC'").is_ok());
    static int schemas_made = 0;
    schema_name_ = "test_schema_";
    schema_name_ += std::to_string(++schemas_made);
  }

  // A connection to the server's database (SetUp makes the test's own).
  static Result<exporter::PostgresConnection> connect() {
    return exporter::PostgresConnection::connect(server().conninfo());
  }

  exporter::PostgresConnection& connection() { return *connection_; }

  // Each row of `sql`'s result as its values joined by '|', NULL as "NULL".
  std::vector<std::string> rows(const std::string& sql) {
    const Result<exporter::QueryRows> result = connection().execute(sql);
    EXPECT_TRUE(result.is_ok()) << result.status().message();
    std::vector<std::string> lines;
    if (!result.is_ok()) {
      return lines;
    }
    for (int row = 0; row < result->rows(); ++row) {
      std::string line;
      for (int column = 0; column < result->columns(); ++column) {
        if (column > 0) {
          line += '|';
        }
        line.append(result->is_null(row, column) ? "NULL" : result->value(row, column));
      }
      lines.push_back(std::move(line));
    }
    return lines;
  }

  std::string schema_name_;

 private:
  std::optional<exporter::PostgresConnection> connection_;
};

}  // namespace tally::testing
