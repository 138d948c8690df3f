#include "tools/export/export_writer.h"

#include <algorithm>
#include <charconv>
#include <limits>

#include "tools/export/export_rows.h"

namespace tally::exporter {

namespace {

// The accounts a batch changed, before they are merged into `accounts`: no constraints, as a
// field the batch did not fix is NULL. Deleted at every commit, created once per session.
constexpr std::string_view kAccountChangesTable = "pg_temp.tally_export_account_changes";

std::string joined(std::initializer_list<std::string_view> parts) {
  std::string text;
  for (const std::string_view part : parts) {
    text.append(part);
  }
  return text;
}

std::string copy_statement(const std::string& table, std::string_view columns) {
  return joined({"COPY ", table, " (", columns, ") FROM STDIN WITH (FORMAT binary)"});
}

// Every field of the accounts' row: the batch's value, or for the fields only an opening fixes,
// the stored one.
std::string upsert_statement(const std::string& accounts) {
  return joined(
      {"INSERT INTO ", accounts, " (", kAccountColumns,
       ") SELECT change.account_id, coalesce(change.owner, stored.owner), "
       "coalesce(change.currency, stored.currency), "
       "coalesce(change.account_type, stored.account_type), "
       "coalesce(change.status, stored.status), change.balance, change.version, "
       "coalesce(change.overdraft_limit, stored.overdraft_limit), "
       "coalesce(change.opened_at, stored.opened_at), change.updated_at, change.last_sequence "
       "FROM ",
       kAccountChangesTable, " AS change LEFT JOIN ", accounts,
       " AS stored USING (account_id) "
       "ON CONFLICT (account_id) DO UPDATE SET owner = excluded.owner, "
       "currency = excluded.currency, account_type = excluded.account_type, "
       "status = excluded.status, balance = excluded.balance, version = excluded.version, "
       "overdraft_limit = excluded.overdraft_limit, opened_at = excluded.opened_at, "
       "updated_at = excluded.updated_at, last_sequence = excluded.last_sequence"});
}

std::string sequence_text(uint64_t sequence) {
  char digits[24];
  return {digits, std::to_chars(digits, digits + sizeof(digits), sequence).ptr};
}

// PostgreSQL's bigint and integer are signed: a value past them (which no tallyd writes, but a
// batch is checked, not trusted) is refused rather than stored as another number.
Status check_columns_hold(const Outcome& event) {
  constexpr auto kBigintMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  constexpr auto kIntegerMax = static_cast<uint64_t>(std::numeric_limits<int32_t>::max());
  if (event.sequence > kBigintMax || event.version > kBigintMax ||
      event.counterparty_version > kBigintMax || event.command_index > kIntegerMax) {
    return Status::invalid_argument(
        joined({"event ", sequence_text(event.sequence),
                " has a sequence, version or command index past PostgreSQL's columns"}));
  }
  return Status::ok();
}

}  // namespace

Status check_batch(uint64_t first_sequence, uint64_t through_sequence,
                   std::span<const Outcome> events) {
  if (first_sequence == 0 || first_sequence > through_sequence) {
    return Status::invalid_argument(
        joined({"a batch covering sequences ", sequence_text(first_sequence), " to ",
                sequence_text(through_sequence)}));
  }
  uint64_t previous = first_sequence - 1;
  for (const Outcome& event : events) {
    if (!event.is_event()) {
      return Status::invalid_argument(
          joined({"a replayed answer (not an event) at sequence ", sequence_text(event.sequence)}));
    }
    if (event.sequence <= previous || event.sequence > through_sequence) {
      return Status::invalid_argument(
          joined({"event ", sequence_text(event.sequence), " out of order, or outside ",
                  sequence_text(first_sequence), " to ", sequence_text(through_sequence)}));
    }
    if (Status status = check_event_type(event); !status.is_ok()) {
      return status;
    }
    if (Status status = check_columns_hold(event); !status.is_ok()) {
      return status;
    }
    previous = event.sequence;
  }
  return Status::ok();
}

ExportWriter::ExportWriter(PostgresConnection& connection, const ExportSchema& schema)
    : connection_(connection),
      select_position_(joined(
          {"SELECT last_sequence FROM ", schema.qualified("export_position"), " FOR UPDATE"})),
      copy_events_(copy_statement(schema.qualified("events"), kEventColumns)),
      create_account_changes_(
          joined({"CREATE TEMP TABLE IF NOT EXISTS ", kAccountChangesTable,
                  " (account_id text, owner text, currency text, account_type text, status text, "
                  "balance bigint, version bigint, overdraft_limit bigint, opened_at timestamptz, "
                  "updated_at timestamptz, last_sequence bigint) ON COMMIT DELETE ROWS"})),
      copy_account_changes_(copy_statement(std::string(kAccountChangesTable), kAccountColumns)),
      upsert_accounts_(upsert_statement(schema.qualified("accounts"))),
      update_position_(joined({"UPDATE ", schema.qualified("export_position"),
                               " SET last_sequence = $1, updated_at = now()"})) {}

Result<uint64_t> ExportWriter::locked_position() {
  const Result<QueryRows> rows = connection_.execute(select_position_);
  if (!rows.is_ok()) {
    return rows.status();
  }
  if (rows->rows() != 1) {
    return Status::corruption("export_position does not hold exactly one row");
  }
  const std::string_view text = rows->value(0, 0);
  uint64_t sequence = 0;
  std::from_chars(text.data(), text.data() + text.size(), sequence);
  return sequence;
}

Result<uint64_t> ExportWriter::resume_sequence() {
  // Outside a transaction the lock of FOR UPDATE ends with the statement.
  return locked_position();
}

Status ExportWriter::write(uint64_t first_sequence, uint64_t through_sequence,
                           std::span<const Outcome> events) {
  if (Status status = check_batch(first_sequence, through_sequence, events); !status.is_ok()) {
    return status;
  }
  Transaction transaction(connection_);
  if (Status status = transaction.begin(); !status.is_ok()) {
    return status;
  }
  const Result<uint64_t> position = locked_position();
  if (!position.is_ok()) {
    return position.status();
  }
  if (through_sequence <= *position) {
    return transaction.commit();  // delivered before: all of it is there
  }
  if (first_sequence > *position + 1) {
    return Status::invalid_argument(
        joined({"a batch from sequence ", sequence_text(first_sequence),
                " would leave a gap: the export is at sequence ", sequence_text(*position)}));
  }
  const auto fresh = std::find_if(events.begin(), events.end(),
                                  [&](const Outcome& event) { return event.sequence > *position; });
  const auto skipped = static_cast<size_t>(fresh - events.begin());
  if (Status status = write_new(through_sequence, events.subspan(skipped)); !status.is_ok()) {
    return status;
  }
  return transaction.commit();
}

Status ExportWriter::write_new(uint64_t through_sequence, std::span<const Outcome> events) {
  event_rows_.clear();
  for (const Outcome& event : events) {
    append_event_row(event_rows_, event);
  }
  if (!event_rows_.empty()) {
    if (Status status = connection_.copy_in(copy_events_, event_rows_.finished());
        !status.is_ok()) {
      return status;
    }
  }
  if (Status status = upsert_accounts(events); !status.is_ok()) {
    return status;
  }
  return connection_.execute(update_position_, {sequence_text(through_sequence)}).status();
}

Status ExportWriter::upsert_accounts(std::span<const Outcome> events) {
  AccountChanges changes;
  for (const Outcome& event : events) {
    changes.apply(event);
  }
  if (changes.size() == 0) {
    return Status::ok();
  }
  account_rows_.clear();
  changes.append_rows(account_rows_);
  if (Status status = connection_.execute_script(create_account_changes_); !status.is_ok()) {
    return status;
  }
  if (Status status = connection_.copy_in(copy_account_changes_, account_rows_.finished());
      !status.is_ok()) {
    return status;
  }
  // An account the batch changes without opening, and the table does not hold, fails here
  // (a NULL owner): the export did not start at the account's opening.
  return connection_.execute(upsert_accounts_).status().with_context("updating accounts");
}

}  // namespace tally::exporter
