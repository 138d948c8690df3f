#include "tools/export/postgres_connection.h"

#include <libpq-fe.h>

#include <algorithm>

namespace tally::exporter {

namespace {

// COPY data goes to libpq in pieces of this size, so a large batch is not one huge send.
constexpr size_t kCopyChunkBytes = 1 << 20;

void ignore_notice(void* /*argument*/, const PGresult* /*notice*/) {}

// A statement's beginning, to say in a message which one failed without quoting all of it
// (a COPY names twenty columns).
std::string statement_head(std::string_view sql) {
  constexpr size_t kHeadBytes = 60;
  sql.remove_prefix(std::min(sql.find_first_not_of(" \n"), sql.size()));
  const size_t end = std::min({sql.find(" ("), sql.find('\n'), kHeadBytes, sql.size()});
  std::string head(sql.substr(0, end));
  if (end < sql.size()) {
    head += " ...";
  }
  return head;
}

// libpq's messages end with a newline; a Status's do not.
std::string trimmed(const char* message) {
  std::string text(message != nullptr ? message : "");
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

}  // namespace

QueryRows& QueryRows::operator=(QueryRows&& other) noexcept {
  if (this != &other) {
    PQclear(result_);
    result_ = std::exchange(other.result_, nullptr);
  }
  return *this;
}

QueryRows::~QueryRows() {
  PQclear(result_);
}

int QueryRows::rows() const {
  return result_ == nullptr ? 0 : PQntuples(result_);
}

int QueryRows::columns() const {
  return result_ == nullptr ? 0 : PQnfields(result_);
}

bool QueryRows::is_null(int row, int column) const {
  return PQgetisnull(result_, row, column) != 0;
}

std::string_view QueryRows::value(int row, int column) const {
  return {PQgetvalue(result_, row, column), static_cast<size_t>(PQgetlength(result_, row, column))};
}

Result<PostgresConnection> PostgresConnection::connect(const std::string& conninfo) {
  // Rows are sent as UTF-8 whatever the connection string says (a later keyword wins).
  const char* keywords[] = {"dbname", "client_encoding", nullptr};
  const char* values[] = {conninfo.c_str(), "UTF8", nullptr};
  PostgresConnection connection(PQconnectdbParams(keywords, values, /*expand_dbname=*/1));
  if (connection.connection_ == nullptr) {
    return Status(StatusCode::kIoError, "PostgreSQL: out of memory for a connection");
  }
  if (PQstatus(connection.connection_) != CONNECTION_OK) {
    return Status(StatusCode::kIoError, "cannot connect to PostgreSQL: " +
                                            trimmed(PQerrorMessage(connection.connection_)));
  }
  PQsetNoticeProcessor(connection.connection_, nullptr, nullptr);
  PQsetNoticeReceiver(connection.connection_, ignore_notice, nullptr);
  return connection;
}

PostgresConnection& PostgresConnection::operator=(PostgresConnection&& other) noexcept {
  if (this != &other) {
    PQfinish(connection_);
    connection_ = std::exchange(other.connection_, nullptr);
  }
  return *this;
}

PostgresConnection::~PostgresConnection() {
  PQfinish(connection_);
}

Status PostgresConnection::failure(std::string_view what, const pg_result* result) const {
  std::string message(what);
  message += ": ";
  const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  const char* text = result != nullptr ? PQresultErrorMessage(result) : nullptr;
  message += trimmed(text != nullptr && *text != '\0' ? text : PQerrorMessage(connection_));
  if (state != nullptr) {
    message += " (SQLSTATE ";
    message += state;
    message += ')';
  }
  return {StatusCode::kIoError, std::move(message)};
}

Result<QueryRows> PostgresConnection::execute(const std::string& sql,
                                              const Parameters& parameters) {
  std::vector<const char*> values;
  values.reserve(parameters.size());
  for (const std::optional<std::string>& parameter : parameters) {
    values.push_back(parameter ? parameter->c_str() : nullptr);
  }
  QueryRows rows(PQexecParams(connection_, sql.c_str(), static_cast<int>(values.size()),
                              /*paramTypes=*/nullptr, values.data(), /*paramLengths=*/nullptr,
                              /*paramFormats=*/nullptr, /*resultFormat=*/0));
  // (QueryRows owns the result from here, whatever happens.)
  const pg_result* result = rows.result_for_status();
  const ExecStatusType status = PQresultStatus(result);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    return failure(statement_head(sql), result);
  }
  return rows;
}

Status PostgresConnection::execute_script(const std::string& sql) {
  const QueryRows rows(PQexec(connection_, sql.c_str()));
  const pg_result* result = rows.result_for_status();
  const ExecStatusType status = PQresultStatus(result);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    return failure(statement_head(sql), result);
  }
  return Status::ok();
}

bool PostgresConnection::in_transaction() const {
  return PQtransactionStatus(connection_) != PQTRANS_IDLE;
}

Status PostgresConnection::copy_in(const std::string& copy_statement, std::string_view rows) {
  {
    const QueryRows started(PQexec(connection_, copy_statement.c_str()));
    if (PQresultStatus(started.result_for_status()) != PGRES_COPY_IN) {
      return failure(statement_head(copy_statement), started.result_for_status());
    }
  }
  bool sent = true;
  for (size_t offset = 0; offset < rows.size() && sent; offset += kCopyChunkBytes) {
    const std::string_view chunk = rows.substr(offset, kCopyChunkBytes);
    sent = PQputCopyData(connection_, chunk.data(), static_cast<int>(chunk.size())) == 1;
  }
  // On a failed send, ending the COPY with an error message makes the server abort it.
  const bool ended = PQputCopyEnd(connection_, sent ? nullptr : "tally-export: send failed") == 1;
  // The COPY's own result, then nullptr; every result is read so the connection is ready again.
  Status outcome = ended ? Status::ok() : failure(statement_head(copy_statement), nullptr);
  while (pg_result* raw = PQgetResult(connection_)) {
    const QueryRows result(raw);
    if (outcome.is_ok() && PQresultStatus(raw) != PGRES_COMMAND_OK) {
      outcome = failure(statement_head(copy_statement), raw);
    }
  }
  return outcome;
}

Transaction::~Transaction() {
  if (open_) {
    // A failure here leaves nothing to undo: the server rolls back when the connection ends.
    (void)connection_.rollback();
  }
}

Status Transaction::begin() {
  Status status = connection_.begin();
  open_ = status.is_ok();
  return status;
}

Status Transaction::commit() {
  Status status = connection_.commit();
  // A failed COMMIT has ended the transaction all the same (PostgreSQL rolled it back).
  open_ = connection_.in_transaction();
  return status;
}

}  // namespace tally::exporter
