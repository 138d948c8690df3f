// ExportSchema: the tables tally-export writes, inside one PostgreSQL schema of a configurable
// name (default "tally"), created and migrated by version.
//
// `<schema>.schema_version` holds one row per migration applied (version, when, what). The
// migrations are an ordered list; migrate() applies each one the database lacks in a
// transaction of its own together with its version row, so a crash leaves the database at a
// whole version. A transaction-scoped advisory lock serializes exporters migrating at once.
// A database at a version newer than this program knows is refused (with both versions):
// an older exporter must not write into tables it does not understand.
//
// The tables (version 2; docs/export.md):
//   events             every event, one row each, keyed by sequence
//   accounts           each account's current state
//   statement_entries  a view over events: the money movements as the history read model has
//                      them, one row per account an event moves (version 1 kept them in a
//                      table: derived rows, dropped by the migration to 2)
//   export_position    one row: the last sequence exported, written with the rows it covers
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/base/result.h"
#include "engine/base/status.h"
#include "tools/export/postgres_connection.h"

namespace tally::exporter {

class ExportSchema {
 public:
  // The newest version this program knows: the number of migrations.
  static const uint32_t kVersion;
  static constexpr std::string_view kDefaultName = "tally";

  // `name`: a PostgreSQL identifier of [a-z_][a-z0-9_]* up to 63 bytes (checked by
  // check_name(); the other functions assume it), used quoted.
  explicit ExportSchema(std::string name = std::string(kDefaultName));

  // Why `name` cannot be a schema's name here, or ok.
  static Status check_name(std::string_view name);

  // Creates the schema if it is missing and applies the migrations the database lacks, up to
  // `target` (an earlier version only for tests of the migrations); does nothing to a database
  // at the target; refuses one at a version newer than kVersion.
  Status migrate(PostgresConnection& connection, uint32_t target = kVersion) const;
  // The version the database is at (0: none applied, or no schema at all).
  Result<uint32_t> installed_version(PostgresConnection& connection) const;

  const std::string& name() const { return name_; }
  // `table` qualified by the schema: "tally"."events".
  std::string qualified(std::string_view table) const;

 private:
  Status create_version_table(PostgresConnection& connection) const;
  Status apply(PostgresConnection& connection, uint32_t version) const;
  // Locks against other migrators until the transaction ends.
  Status lock(PostgresConnection& connection) const;
  // The version, read inside the current transaction.
  Result<uint32_t> current_version(PostgresConnection& connection) const;

  std::string name_;
};

}  // namespace tally::exporter
