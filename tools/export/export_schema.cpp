#include "tools/export/export_schema.h"

#include <algorithm>
#include <charconv>
#include <iterator>

namespace tally::exporter {

namespace {

struct Migration {
  std::string_view description;
  std::string_view sql;  // statements; @schema@ stands for the quoted schema name
};

// Append only: a released migration is never edited, a change is a new one. Version N is
// kMigrations[N - 1].
constexpr Migration kMigrations[] = {
    {"events, accounts, statement entries and the export position", R"sql(
CREATE TABLE @schema@.events (
  sequence bigint PRIMARY KEY,
  timestamp timestamptz NOT NULL,
  timestamp_ns bigint NOT NULL,
  type text NOT NULL,
  command_type text NOT NULL,
  result text NOT NULL,
  request_id uuid NOT NULL,
  command_index integer NOT NULL,
  account_id text NOT NULL,
  counterparty_id text,
  amount bigint NOT NULL,
  balance bigint NOT NULL,
  version bigint NOT NULL,
  counterparty_balance bigint,
  counterparty_version bigint,
  transaction_id text,
  owner text,
  reason text,
  currency text,
  account_type text,
  overdraft_limit bigint
);
CREATE INDEX events_by_account ON @schema@.events (account_id, sequence);
CREATE INDEX events_by_counterparty ON @schema@.events (counterparty_id, sequence)
  WHERE counterparty_id IS NOT NULL;

CREATE TABLE @schema@.accounts (
  account_id text PRIMARY KEY,
  owner text NOT NULL,
  currency text NOT NULL,
  account_type text NOT NULL,
  status text NOT NULL,
  balance bigint NOT NULL,
  version bigint NOT NULL,
  overdraft_limit bigint NOT NULL,
  opened_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  last_sequence bigint NOT NULL
);
CREATE INDEX accounts_by_owner ON @schema@.accounts (owner);
CREATE INDEX accounts_by_currency_and_balance ON @schema@.accounts (currency, balance DESC);

CREATE TABLE @schema@.statement_entries (
  sequence bigint NOT NULL,
  account_id text NOT NULL,
  type text NOT NULL,
  counterparty_id text,
  amount bigint NOT NULL,
  balance_after bigint NOT NULL,
  transaction_id text,
  timestamp timestamptz NOT NULL,
  PRIMARY KEY (sequence, account_id)
);
CREATE INDEX statement_entries_by_account_and_time
  ON @schema@.statement_entries (account_id, timestamp);

CREATE TABLE @schema@.export_position (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  last_sequence bigint NOT NULL,
  updated_at timestamptz NOT NULL
);
INSERT INTO @schema@.export_position (last_sequence, updated_at) VALUES (0, now());
)sql"},
    // Version 1 wrote about 2.25 rows and over five B-tree entries per event (most in random
    // places of text-keyed indexes), and PostgreSQL's one backend, inserting them, held the
    // export under ~40,000 events/s (docs/performance.md). The statement entries are derived
    // from `events`, so they become a view over it; events are found by account through hash
    // indexes (an insert is one bucket, not a descent through string comparisons; nothing
    // needs them ordered by account); the events' timestamps get a BRIN index (they arrive in
    // order) for date-range searches. The accounts lose their (currency, balance) index, which
    // every balance change had to update: without it, and with room left in each page, a
    // change is a HOT update that touches no index.
    {"statement_entries as a view over events; hash indexes by account; BRIN by time", R"sql(
DROP TABLE @schema@.statement_entries;
DROP INDEX @schema@.events_by_account;
DROP INDEX @schema@.events_by_counterparty;
CREATE INDEX events_by_account ON @schema@.events USING hash (account_id);
CREATE INDEX events_by_counterparty ON @schema@.events USING hash (counterparty_id)
  WHERE counterparty_id IS NOT NULL;
CREATE INDEX events_by_time ON @schema@.events USING brin (timestamp);
DROP INDEX @schema@.accounts_by_currency_and_balance;
ALTER TABLE @schema@.accounts SET (fillfactor = 50);

CREATE VIEW @schema@.statement_entries AS
SELECT sequence, account_id, type, counterparty_id,
       CASE WHEN type IN ('Withdrawn', 'Transferred') THEN -amount ELSE amount END AS amount,
       balance AS balance_after, transaction_id, timestamp
  FROM @schema@.events
  WHERE type IN ('AccountOpened', 'Deposited', 'Withdrawn', 'Transferred')
UNION ALL
SELECT sequence, counterparty_id, type, account_id, amount, counterparty_balance,
       transaction_id, timestamp
  FROM @schema@.events
  WHERE type = 'Transferred';
)sql"},
};

std::string with_schema(std::string_view sql, const std::string& quoted_schema) {
  constexpr std::string_view kPlaceholder = "@schema@";
  std::string text;
  text.reserve(sql.size() + 256);
  size_t from = 0;
  for (size_t found = sql.find(kPlaceholder); found != std::string_view::npos;
       found = sql.find(kPlaceholder, from)) {
    text.append(sql.substr(from, found - from));
    text.append(quoted_schema);
    from = found + kPlaceholder.size();
  }
  text.append(sql.substr(from));
  return text;
}

std::string quoted(std::string_view identifier) {
  std::string text = "\"";
  text.append(identifier);
  text += '"';
  return text;
}

}  // namespace

const uint32_t ExportSchema::kVersion = static_cast<uint32_t>(std::size(kMigrations));

ExportSchema::ExportSchema(std::string name) : name_(std::move(name)) {}

Status ExportSchema::check_name(std::string_view name) {
  const auto allowed = [](char character, bool first) {
    return (character >= 'a' && character <= 'z') || character == '_' ||
           (!first && character >= '0' && character <= '9');
  };
  bool valid = !name.empty() && name.size() <= 63 && !name.starts_with("pg_");
  for (size_t index = 0; valid && index < name.size(); ++index) {
    valid = allowed(name[index], index == 0);
  }
  if (valid) {
    return Status::ok();
  }
  std::string message = "schema name \"";
  message.append(name);
  message += "\": 1 to 63 of [a-z0-9_], not starting with a digit or pg_";
  return Status::invalid_argument(std::move(message));
}

std::string ExportSchema::qualified(std::string_view table) const {
  std::string text = quoted(name_);
  text += '.';
  text.append(table);
  return text;
}

Status ExportSchema::lock(PostgresConnection& connection) const {
  std::string key = "tally-export schema ";
  key += name_;
  return connection.execute("SELECT pg_advisory_xact_lock(hashtext($1))", {key}).status();
}

Result<uint32_t> ExportSchema::current_version(PostgresConnection& connection) const {
  Result<QueryRows> rows =
      connection.execute("SELECT to_regclass($1) IS NOT NULL", {qualified("schema_version")});
  if (!rows.is_ok()) {
    return rows.status();
  }
  if (rows->value(0, 0) != "t") {
    return 0u;
  }
  rows = connection.execute("SELECT coalesce(max(version), 0) FROM " + qualified("schema_version"));
  if (!rows.is_ok()) {
    return rows.status();
  }
  const std::string_view text = rows->value(0, 0);
  uint32_t version = 0;
  std::from_chars(text.data(), text.data() + text.size(), version);
  return version;
}

Result<uint32_t> ExportSchema::installed_version(PostgresConnection& connection) const {
  return current_version(connection);
}

Status ExportSchema::create_version_table(PostgresConnection& connection) const {
  Transaction transaction(connection);
  Status status = transaction.begin();
  if (status.is_ok()) {
    status = lock(connection);
  }
  if (status.is_ok()) {
    std::string sql = "CREATE SCHEMA IF NOT EXISTS " + quoted(name_) + ";";
    sql += "CREATE TABLE IF NOT EXISTS " + qualified("schema_version") +
           " (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now(),"
           " description text NOT NULL)";
    status = connection.execute_script(sql);
  }
  return status.is_ok() ? transaction.commit() : status;
}

Status ExportSchema::apply(PostgresConnection& connection, uint32_t version) const {
  const Migration& migration = kMigrations[version - 1];
  Transaction transaction(connection);
  if (Status status = transaction.begin(); !status.is_ok()) {
    return status;
  }
  if (Status status = lock(connection); !status.is_ok()) {
    return status;
  }
  // Another exporter may have applied it while this one waited for the lock.
  const Result<uint32_t> current = current_version(connection);
  if (!current.is_ok()) {
    return current.status();
  }
  if (*current >= version) {
    return transaction.commit();
  }
  if (Status status = connection.execute_script(with_schema(migration.sql, quoted(name_)));
      !status.is_ok()) {
    return status.with_context("schema migration to version " + std::to_string(version));
  }
  const Result<QueryRows> recorded = connection.execute(
      "INSERT INTO " + qualified("schema_version") + " (version, description) VALUES ($1, $2)",
      {std::to_string(version), std::string(migration.description)});
  return recorded.is_ok() ? transaction.commit() : recorded.status();
}

Status ExportSchema::migrate(PostgresConnection& connection, uint32_t target) const {
  if (Status status = create_version_table(connection); !status.is_ok()) {
    return status;
  }
  const Result<uint32_t> installed = current_version(connection);
  if (!installed.is_ok()) {
    return installed.status();
  }
  if (*installed > kVersion) {
    return Status::invalid_argument("PostgreSQL schema \"" + name_ + "\" is at version " +
                                    std::to_string(*installed) +
                                    ", newer than this tally-export knows (" +
                                    std::to_string(kVersion) + "): use a newer tally-export");
  }
  for (uint32_t version = *installed + 1; version <= std::min(target, kVersion); ++version) {
    if (Status status = apply(connection, version); !status.is_ok()) {
      return status;
    }
  }
  return Status::ok();
}

}  // namespace tally::exporter
