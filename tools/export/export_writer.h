// ExportWriter: writes batches of events into the export schema's tables (export_schema.h),
// exactly once.
//
// A batch covers the sequences [first_sequence, through_sequence] and holds the events among
// them in sequence order (a subscription with a filter, or a range where nothing happened,
// leaves sequences without events). write() does everything in ONE transaction: it locks the
// export position, skips the events at or below it (a batch delivered again after a crash
// between COMMIT and the caller's bookkeeping doubles nothing), COPYs the new events (the
// statement entries are a view over them), upserts the accounts they changed, and sets the position
// to through_sequence. So the position always says exactly which rows are in the tables, and a
// failure anywhere leaves all of them, position included, as they were.
//
// Batches must follow the position: one starting past last_sequence + 1 would leave a gap, and
// is refused with nothing written; one wholly at or below the position is a no-op; one that
// overlaps it writes only its new part.
//
// The accounts rows: each account's final state after the batch, computed here from its events
// in order and sent as one row per account (COPY into a temporary table, then one INSERT ...
// ON CONFLICT). An account's opening fixes its owner, currency, type and overdraft limit;
// later events change its balance, version and status. Rejections change no account and make
// no statement entry: they go into `events` only.
//
// Threads: one thread uses a writer and its connection at a time.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "engine/base/result.h"
#include "engine/base/status.h"
#include "engine/wire/outcome.h"
#include "tools/export/copy_rows.h"
#include "tools/export/export_schema.h"
#include "tools/export/postgres_connection.h"

namespace tally::exporter {

class ExportWriter {
 public:
  // The schema must be migrated (ExportSchema::migrate) before the first write.
  ExportWriter(PostgresConnection& connection, const ExportSchema& schema);

  // The last sequence exported (0: none yet): where the subscription resumes, after it.
  Result<uint64_t> resume_sequence();

  // Writes the batch covering [first_sequence, through_sequence]. `events` are events
  // (Outcome::is_event()), in strictly increasing sequence order, within the range; anything
  // else is refused (invalid argument) before PostgreSQL is asked anything.
  Status write(uint64_t first_sequence, uint64_t through_sequence, std::span<const Outcome> events);

 private:
  // The position, locked until the transaction ends.
  Result<uint64_t> locked_position();
  Status write_new(uint64_t through_sequence, std::span<const Outcome> events);
  Status upsert_accounts(std::span<const Outcome> events);

  PostgresConnection& connection_;
  // The statements, built once with the schema's name.
  std::string select_position_;
  std::string copy_events_;
  std::string create_account_changes_;
  std::string copy_account_changes_;
  std::string upsert_accounts_;
  std::string update_position_;
  // Reused between batches: their memory stays.
  CopyRows event_rows_;
  CopyRows account_rows_;
};

// Checks what write() requires of a batch; ok, or why not.
Status check_batch(uint64_t first_sequence, uint64_t through_sequence,
                   std::span<const Outcome> events);

}  // namespace tally::exporter
