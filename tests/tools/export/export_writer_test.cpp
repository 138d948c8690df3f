// tools/export/export_writer.h against a real PostgreSQL, with events from a real ledger: the
// rows of all four tables, exactly once (a batch again, an overlapping batch), gaps refused,
// the position beyond the last event, and a failure in the middle rolling everything back.
#include "tools/export/export_writer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <span>
#include <vector>

#include "engine/base/id_text.h"
#include "support/ledger_harness.h"
#include "tests/tools/export/postgres_test.h"

namespace tally::exporter {
namespace {

using Lines = std::vector<std::string>;
using tally::testing::LedgerHarness;

constexpr std::string_view kUpperCaseUuid = "9F1C6A52-1B3C-4D8E-9A7B-0C1D2E3F4A5B";

// A Unix time as the test's queries print a timestamptz: UTC, to the microsecond (floored).
std::string microseconds_text(int64_t unix_ns) {
  using namespace std::chrono;
  const sys_time<microseconds> time{floor<microseconds>(nanoseconds(unix_ns))};
  const sys_days day = floor<days>(time);
  const year_month_day date{day};
  const hh_mm_ss<microseconds> clock{time - day};
  char text[64];
  std::snprintf(text, sizeof(text), "%04d-%02u-%02u %02lld:%02lld:%02lld.%06lld",
                static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                static_cast<unsigned>(date.day()), static_cast<long long>(clock.hours().count()),
                static_cast<long long>(clock.minutes().count()),
                static_cast<long long>(clock.seconds().count()),
                static_cast<long long>(clock.subseconds().count()));
  return text;
}

// Every kind of event, from a real ledger: openings (with and without a deposit), two commands
// in one request, a text transaction id and an upper-case UUID one given as text, an id given
// without text, a transfer, freeze, a rejection, unfreeze, close, and a rejected opening whose
// owner the ledger cut in the middle of a character.
std::vector<Outcome> mixed_events() {
  LedgerHarness ledger;
  std::vector<Outcome> events;
  const auto add = [&](std::vector<Command> commands) {
    for (const Outcome& outcome : ledger.apply(commands)) {
      events.push_back(outcome);
    }
  };
  add({testing::open_command("alice", "EUR", 10'000, 0, "Zoë O'Neil")});
  Command bob = testing::open_command("bob", "EUR", 0, 0, "Bob");
  bob.account_type = AccountType::Savings;
  add({bob});
  Command invoice = testing::deposit_command("alice", 2'500);
  invoice.transaction_text = "invoice-42";
  invoice.transaction_id = id_of_text(invoice.transaction_text);
  add({invoice, testing::withdraw_command("alice", 1'000)});
  Command transfer = testing::transfer_command("alice", "bob", 3'000);
  transfer.transaction_text = kUpperCaseUuid;
  transfer.transaction_id = id_of_text(kUpperCaseUuid);
  add({transfer});
  Command untold = testing::deposit_command("bob", 500);
  untold.transaction_id = {.low = 1, .high = 2};
  add({untold});
  add({testing::freeze_command("bob", "audit")});
  add({testing::withdraw_command("alice", 1'000'000)});
  add({testing::unfreeze_command("bob")});
  add({testing::withdraw_command("bob", 3'500)});
  add({testing::close_command("bob")});
  std::string long_owner = "a";
  for (int index = 0; index < 64; ++index) {
    long_owner += "é";
  }
  add({testing::open_command("carol", "EUR", 0, 0, long_owner)});
  return events;
}

// The statement entries of mixed_events(), as the history read model has them.
Lines expected_statement(const std::vector<Outcome>& events) {
  const auto at = [&](uint64_t sequence) {
    return microseconds_text(events[sequence - 1].timestamp_ns);
  };
  return {
      "1|alice|AccountOpened|NULL|10000|10000|NULL|" + at(1),
      "2|bob|AccountOpened|NULL|0|0|NULL|" + at(2),
      "3|alice|Deposited|NULL|2500|12500|invoice-42|" + at(3),
      "4|alice|Withdrawn|NULL|-1000|11500|NULL|" + at(4),
      "5|alice|Transferred|bob|-3000|8500|9F1C6A52-1B3C-4D8E-9A7B-0C1D2E3F4A5B|" + at(5),
      "5|bob|Transferred|alice|3000|3000|9F1C6A52-1B3C-4D8E-9A7B-0C1D2E3F4A5B|" + at(5),
      "6|bob|Deposited|NULL|500|3500|00000000-0000-0002-0000-000000000001|" + at(6),
      "10|bob|Withdrawn|NULL|-3500|0|NULL|" + at(10),
  };
}

std::span<const Outcome> sequences(const std::vector<Outcome>& events, uint64_t first,
                                   uint64_t last) {
  return std::span<const Outcome>(events).subspan(first - 1, last - first + 1);
}

class ExportWriterTest : public testing::PostgresTest {
 protected:
  void SetUp() override {
    testing::PostgresTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) {
      return;
    }
    schema_.emplace(schema_name_);
    const Status migrated = schema_->migrate(connection());
    ASSERT_TRUE(migrated.is_ok()) << migrated.message();
    writer_.emplace(connection(), *schema_);
  }

  std::string table(std::string_view name) const { return schema_->qualified(name); }

  Lines events_table() {
    return rows(
        "SELECT sequence, type, command_type, result, request_id, command_index, account_id, "
        "counterparty_id, amount, balance, version, counterparty_balance, counterparty_version, "
        "transaction_id, owner, reason, currency, account_type, overdraft_limit FROM " +
        table("events") + " ORDER BY sequence");
  }
  Lines statement_table() {
    return rows(
        "SELECT sequence, account_id, type, counterparty_id, amount, balance_after, "
        "transaction_id, to_char(timestamp, 'YYYY-MM-DD HH24:MI:SS.US') FROM " +
        table("statement_entries") + " ORDER BY sequence, account_id");
  }
  Lines accounts_table() {
    return rows(
        "SELECT account_id, owner, currency, account_type, status, balance, version, "
        "overdraft_limit, to_char(opened_at, 'YYYY-MM-DD HH24:MI:SS.US'), "
        "to_char(updated_at, 'YYYY-MM-DD HH24:MI:SS.US'), last_sequence FROM " +
        table("accounts") + " ORDER BY account_id");
  }
  Lines position() { return rows("SELECT last_sequence FROM " + table("export_position")); }
  // All four tables, for comparing one state with another.
  Lines everything() {
    Lines lines = events_table();
    for (Lines part : {statement_table(), accounts_table(), position()}) {
      lines.push_back("--");
      lines.insert(lines.end(), part.begin(), part.end());
    }
    return lines;
  }

  void write_ok(uint64_t first, uint64_t through, std::span<const Outcome> events) {
    const Status written = writer_->write(first, through, events);
    ASSERT_TRUE(written.is_ok()) << written.message();
    EXPECT_FALSE(connection().in_transaction());
  }

  std::optional<ExportSchema> schema_;
  std::optional<ExportWriter> writer_;
};

TEST_F(ExportWriterTest, WritesEveryTableAsTheEventsSay) {
  const std::vector<Outcome> events = mixed_events();
  ASSERT_EQ(events.size(), 12u);
  write_ok(1, 12, events);

  const std::string cut_owner = "a" + [] {
    std::string text;
    for (int index = 0; index < 63; ++index) {
      text += "é";
    }
    return text;
  }() + "\xEF\xBF\xBD";
  const Lines expected_events = {
      "1|AccountOpened|OpenAccount|Ok|00000000-0000-7e57-0000-000000000001|0|alice|NULL|10000|"
      "10000|1|NULL|NULL|NULL|Zoë O'Neil|NULL|EUR|Checking|0",
      "2|AccountOpened|OpenAccount|Ok|00000000-0000-7e57-0000-000000000002|0|bob|NULL|0|0|1|NULL|"
      "NULL|NULL|Bob|NULL|EUR|Savings|0",
      "3|Deposited|Deposit|Ok|00000000-0000-7e57-0000-000000000003|0|alice|NULL|2500|12500|2|"
      "NULL|NULL|invoice-42|NULL|NULL|NULL|NULL|NULL",
      "4|Withdrawn|Withdraw|Ok|00000000-0000-7e57-0000-000000000003|1|alice|NULL|1000|11500|3|"
      "NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL",
      "5|Transferred|Transfer|Ok|00000000-0000-7e57-0000-000000000004|0|alice|bob|3000|8500|4|"
      "3000|2|9F1C6A52-1B3C-4D8E-9A7B-0C1D2E3F4A5B|NULL|NULL|NULL|NULL|NULL",
      "6|Deposited|Deposit|Ok|00000000-0000-7e57-0000-000000000005|0|bob|NULL|500|3500|3|NULL|"
      "NULL|00000000-0000-0002-0000-000000000001|NULL|NULL|NULL|NULL|NULL",
      "7|AccountFrozen|FreezeAccount|Ok|00000000-0000-7e57-0000-000000000006|0|bob|NULL|0|3500|4|"
      "NULL|NULL|NULL|NULL|audit|NULL|NULL|NULL",
      "8|CommandRejected|Withdraw|InsufficientFunds|00000000-0000-7e57-0000-000000000007|0|alice|"
      "NULL|1000000|8500|4|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL",
      "9|AccountUnfrozen|UnfreezeAccount|Ok|00000000-0000-7e57-0000-000000000008|0|bob|NULL|0|"
      "3500|5|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL",
      "10|Withdrawn|Withdraw|Ok|00000000-0000-7e57-0000-000000000009|0|bob|NULL|3500|0|6|NULL|"
      "NULL|NULL|NULL|NULL|NULL|NULL|NULL",
      "11|AccountClosed|CloseAccount|Ok|00000000-0000-7e57-0000-00000000000a|0|bob|NULL|0|0|7|"
      "NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL",
      "12|CommandRejected|OpenAccount|InvalidArgument|00000000-0000-7e57-0000-00000000000b|0|"
      "carol|NULL|0|0|0|NULL|NULL|NULL|" +
          cut_owner + "|NULL|NULL|NULL|NULL",
  };
  EXPECT_EQ(events_table(), expected_events);

  // Each event's time, in both columns.
  Lines expected_times;
  for (const Outcome& event : events) {
    expected_times.push_back(std::to_string(event.sequence) + "|" +
                             std::to_string(event.timestamp_ns) + "|" +
                             microseconds_text(event.timestamp_ns));
  }
  EXPECT_EQ(rows("SELECT sequence, timestamp_ns, to_char(timestamp, "
                 "'YYYY-MM-DD HH24:MI:SS.US') FROM " +
                 table("events") + " ORDER BY sequence"),
            expected_times);

  // The history model's statement lines: both openings (bob's moved nothing), credits
  // positive, debits negative, a transfer on both sides; no status change, no rejection.
  EXPECT_EQ(statement_table(), expected_statement(events));

  const auto at = [&](uint64_t sequence) {
    return microseconds_text(events[sequence - 1].timestamp_ns);
  };

  // alice's last change is the transfer (the rejection changed nothing); carol never opened.
  EXPECT_EQ(accounts_table(),
            (Lines{
                "alice|Zoë O'Neil|EUR|Checking|Active|8500|4|0|" + at(1) + "|" + at(5) + "|5",
                "bob|Bob|EUR|Savings|Closed|0|7|0|" + at(2) + "|" + at(11) + "|11",
            }));
  EXPECT_EQ(position(), Lines{"12"});
  const Result<uint64_t> resume = writer_->resume_sequence();
  ASSERT_TRUE(resume.is_ok()) << resume.status().message();
  EXPECT_EQ(*resume, 12u);
}

TEST_F(ExportWriterTest, TheSameBatchWrittenAgainChangesNothing) {
  const std::vector<Outcome> events = mixed_events();
  write_ok(1, 12, events);
  const Lines once = everything();
  const Lines position_time = rows("SELECT updated_at FROM " + table("export_position"));

  write_ok(1, 12, events);
  write_ok(3, 7, sequences(events, 3, 7));  // a part of it, too
  EXPECT_EQ(everything(), once);
  EXPECT_EQ(rows("SELECT updated_at FROM " + table("export_position")), position_time);
}

TEST_F(ExportWriterTest, AnOverlappingBatchWritesOnlyItsNewPart) {
  const std::vector<Outcome> events = mixed_events();
  write_ok(1, 12, events);
  const Lines in_one_batch = everything();
  ASSERT_TRUE(connection().execute_script("DROP SCHEMA " + schema_name_ + " CASCADE; ").is_ok());
  ASSERT_TRUE(schema_->migrate(connection()).is_ok());

  // Accounts opened in one batch and changed in the next keep what their opening fixed.
  write_ok(1, 5, sequences(events, 1, 5));
  EXPECT_EQ(position(), Lines{"5"});
  write_ok(3, 9, sequences(events, 3, 9));
  write_ok(9, 12, sequences(events, 9, 12));
  EXPECT_EQ(everything(), in_one_batch);
}

TEST_F(ExportWriterTest, ABatchWithAGapIsRefusedAndWritesNothing) {
  const std::vector<Outcome> events = mixed_events();
  write_ok(1, 4, sequences(events, 1, 4));
  const Lines before = everything();

  const Status refused = writer_->write(6, 12, sequences(events, 6, 12));
  ASSERT_FALSE(refused.is_ok());
  EXPECT_EQ(refused.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(refused.message(),
            "a batch from sequence 6 would leave a gap: the export is at sequence 4");
  EXPECT_FALSE(connection().in_transaction());
  EXPECT_EQ(everything(), before);
}

TEST_F(ExportWriterTest, ThePositionMayGoBeyondTheLastEvent) {
  const std::vector<Outcome> events = mixed_events();
  write_ok(1, 20, sequences(events, 1, 3));  // 4 to 20: nothing for this subscriber
  EXPECT_EQ(position(), Lines{"20"});
  EXPECT_EQ(*writer_->resume_sequence(), 20u);
  EXPECT_EQ(rows("SELECT count(*) FROM " + table("events")), Lines{"3"});

  write_ok(21, 25, {});  // a range without events
  EXPECT_EQ(position(), Lines{"25"});
  write_ok(10, 22, {});  // wholly behind: nothing
  EXPECT_EQ(position(), Lines{"25"});
}

TEST_F(ExportWriterTest, AFailureInTheMiddleRollsBackEverything) {
  const std::vector<Outcome> events = mixed_events();
  write_ok(1, 2, sequences(events, 1, 2));
  const Lines before = everything();

  // The events are copied, then the accounts fail.
  Result<PostgresConnection> other = connect();
  ASSERT_TRUE(other.is_ok()) << other.status().message();
  ASSERT_TRUE(
      other->execute_script("ALTER TABLE " + table("accounts") + " RENAME TO moved_away").is_ok());
  const Status failed = writer_->write(3, 12, sequences(events, 3, 12));
  ASSERT_FALSE(failed.is_ok());
  EXPECT_NE(failed.message().find("accounts\" does not exist"), std::string::npos)
      << failed.message();
  EXPECT_FALSE(connection().in_transaction());
  ASSERT_TRUE(
      other->execute_script("ALTER TABLE " + schema_name_ + ".moved_away RENAME TO accounts")
          .is_ok());
  EXPECT_EQ(everything(), before);

  // A value PostgreSQL refuses, after the events went in: a deposit to
  // an account the export never saw opened has no owner for its accounts row.
  Outcome ghost = events[2];
  ghost.account_id.assign("ghost");
  const Status refused = writer_->write(3, 3, std::span<const Outcome>(&ghost, 1));
  ASSERT_FALSE(refused.is_ok());
  EXPECT_NE(refused.message().find("updating accounts"), std::string::npos) << refused.message();
  EXPECT_NE(refused.message().find("\"owner\""), std::string::npos) << refused.message();
  EXPECT_EQ(everything(), before);

  // And the writer carries on from where the export is.
  write_ok(3, 12, sequences(events, 3, 12));
  EXPECT_EQ(position(), Lines{"12"});
}

TEST_F(ExportWriterTest, ABatchThatIsNotOneIsRefusedBeforePostgresSeesIt) {
  const std::vector<Outcome> events = mixed_events();
  const auto refused = [&](uint64_t first, uint64_t through, std::vector<Outcome> batch) {
    const Status status = writer_->write(first, through, batch);
    return status.code() == StatusCode::kInvalidArgument;
  };
  EXPECT_TRUE(refused(0, 3, {events[0], events[1], events[2]}));  // sequences start at 1
  EXPECT_TRUE(refused(3, 2, {}));
  EXPECT_TRUE(refused(1, 3, {events[1], events[0]}));  // out of order
  EXPECT_TRUE(refused(1, 3, {events[0], events[0]}));  // twice
  EXPECT_TRUE(refused(2, 3, {events[0]}));             // before the range
  EXPECT_TRUE(refused(1, 2, {events[0], events[2]}));  // after it
  Outcome answer = events[0];
  answer.flags |= kReplayedAnswer;
  EXPECT_TRUE(refused(1, 1, {answer}));
  Outcome unknown = events[0];
  unknown.type = static_cast<EventType>(200);
  EXPECT_TRUE(refused(1, 1, {unknown}));
  EXPECT_EQ(position(), Lines{"0"});
  EXPECT_EQ(rows("SELECT count(*) FROM " + table("events")), Lines{"0"});
}

TEST_F(ExportWriterTest, AVersionOneExportMigratesWithItsRows) {
  // Version 1 kept the statement entries in a table of their own, written beside the events;
  // version 2 derives them from the events (a view). An export made by version 1 keeps every
  // row through the migration, and its statement is the same.
  ASSERT_TRUE(connection().execute_script("DROP SCHEMA \"" + schema_name_ + "\" CASCADE").is_ok());
  ASSERT_TRUE(schema_->migrate(connection(), 1).is_ok());
  EXPECT_EQ(*schema_->installed_version(connection()), 1u);
  const std::vector<Outcome> events = mixed_events();
  write_ok(1, 12, events);  // events and accounts, as version 1 had them
  const Lines statement = expected_statement(events);
  std::string insert = "INSERT INTO " + table("statement_entries") + " VALUES ";
  for (const std::string& line : statement) {  // what version 1's writer put beside them
    std::vector<std::string> fields;
    for (size_t from = 0, bar = 0; bar != std::string::npos; from = bar + 1) {
      bar = line.find('|', from);
      const std::string field = line.substr(from, bar == std::string::npos ? bar : bar - from);
      const std::string zone = bar == std::string::npos ? "+00" : "";  // the timestamp, in UTC
      fields.push_back(field == "NULL" ? "NULL" : "'" + field + zone + "'");
    }
    insert += (&line == &statement.front() ? "(" : ", (");
    for (size_t index = 0; index < fields.size(); ++index) {
      insert += (index == 0 ? "" : ", ") + fields[index];
    }
    insert += ")";
  }
  ASSERT_TRUE(connection().execute_script(insert).is_ok());
  ASSERT_EQ(statement_table(), statement);
  const Lines before = everything();

  const Status migrated = schema_->migrate(connection());
  ASSERT_TRUE(migrated.is_ok()) << migrated.message();
  EXPECT_EQ(*schema_->installed_version(connection()), ExportSchema::kVersion);
  EXPECT_EQ(everything(), before);
  EXPECT_EQ(rows("SELECT table_type FROM information_schema.tables WHERE table_schema = '" +
                 schema_name_ + "' AND table_name = 'statement_entries'"),
            Lines{"VIEW"});
}

}  // namespace
}  // namespace tally::exporter
