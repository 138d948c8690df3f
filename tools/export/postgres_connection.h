// PostgresConnection: one connection to PostgreSQL through libpq, owned (closed on
// destruction), for tally-export. Statements run with text parameters; COPY FROM STDIN takes
// rows already in COPY's format (CopyRows: binary); transactions are explicit, and Transaction
// rolls one back unless it was committed. Nothing throws: every failure is a Status whose
// message is PostgreSQL's own (with its SQLSTATE), behind what was being done.
//
// The session speaks UTF-8 whatever the connection string says, and PostgreSQL's notices (e.g.
// "already exists, skipping") are dropped rather than printed to standard error.
//
// Threads: one thread uses a connection at a time, as libpq requires.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/base/result.h"
#include "engine/base/status.h"

struct pg_conn;
struct pg_result;

namespace tally::exporter {

// The rows a statement returned, as text (owned; freed on destruction).
class QueryRows {
 public:
  explicit QueryRows(pg_result* result) : result_(result) {}
  QueryRows(QueryRows&& other) noexcept : result_(std::exchange(other.result_, nullptr)) {}
  QueryRows& operator=(QueryRows&& other) noexcept;
  QueryRows(const QueryRows&) = delete;
  QueryRows& operator=(const QueryRows&) = delete;
  ~QueryRows();

  int rows() const;
  int columns() const;
  bool is_null(int row, int column) const;
  // The value's text ("" for NULL); valid while this object lives.
  std::string_view value(int row, int column) const;

 private:
  friend class PostgresConnection;
  const pg_result* result_for_status() const { return result_; }

  pg_result* result_ = nullptr;
};

// A statement's parameters: text in PostgreSQL's input syntax, nullopt for NULL.
using Parameters = std::vector<std::optional<std::string>>;

class PostgresConnection {
 public:
  // Connects with a libpq connection string ("host=/tmp port=5432 user=tally dbname=x").
  static Result<PostgresConnection> connect(const std::string& conninfo);

  PostgresConnection(PostgresConnection&& other) noexcept
      : connection_(std::exchange(other.connection_, nullptr)) {}
  PostgresConnection& operator=(PostgresConnection&& other) noexcept;
  PostgresConnection(const PostgresConnection&) = delete;
  PostgresConnection& operator=(const PostgresConnection&) = delete;
  ~PostgresConnection();

  // Runs one statement with `parameters` ($1, $2, ...) and returns its rows (none for a
  // statement that returns none).
  Result<QueryRows> execute(const std::string& sql, const Parameters& parameters = {});
  // Runs statements separated by semicolons, without parameters (schema scripts).
  Status execute_script(const std::string& sql);

  Status begin() { return execute_script("BEGIN"); }
  Status commit() { return execute_script("COMMIT"); }
  Status rollback() { return execute_script("ROLLBACK"); }
  // True inside a transaction block, including one a failed statement has aborted.
  bool in_transaction() const;

  // Runs `copy_statement` ("COPY t (a, b) FROM STDIN ...") and sends `rows`, in the format
  // the statement names (CopyRows::finished() for FORMAT binary).
  Status copy_in(const std::string& copy_statement, std::string_view rows);

 private:
  explicit PostgresConnection(pg_conn* connection) : connection_(connection) {}
  // PostgreSQL's message for the last failure, with `what` in front.
  Status failure(std::string_view what, const pg_result* result) const;

  pg_conn* connection_ = nullptr;
};

// Rolls back on destruction unless commit() succeeded, so an early return leaves no
// transaction open on the connection.
class Transaction {
 public:
  explicit Transaction(PostgresConnection& connection) : connection_(connection) {}
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();

  Status begin();
  Status commit();

 private:
  PostgresConnection& connection_;
  bool open_ = false;
};

}  // namespace tally::exporter
