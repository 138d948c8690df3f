// tally-export end to end: the real tallyd, the real PostgreSQL, the real program. What
// PostgreSQL holds once the exporter caught up equals the ledger, and stays so however often
// the exporter is killed mid-way (SIGKILL, no shutdown work) and started again, including once
// for certain between its rows and its commit (held there by another session's table lock).
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "engine/base/result.h"
#include "net/client/client.h"
#include "support/program_run.h"
#include "support/tallyd_process.h"
#include "tools/export/postgres_test.h"

extern char** environ;

namespace tally::testing {
namespace {

using client::BatchBuilder;
using client::Client;
using namespace std::chrono_literals;

class TallyExportTest : public PostgresTest {
 protected:
  void SetUp() override {
    PostgresTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) {
      return;
    }
    data_ = make_temporary_directory("tally-export-test") + "/data";
    server_ = std::make_unique<TallydProcess>(data_);
    writer_ = std::make_unique<Client>(server_->client_options("writer"));
    writer_->connect();
  }
  void TearDown() override {
    writer_.reset();
    server_.reset();
    if (!data_.empty()) {
      std::system(("rm -rf " + data_.substr(0, data_.rfind('/'))).c_str());
    }
  }

  std::vector<std::string> export_arguments(const std::string& mode) const {
    return {TALLY_EXPORT_PATH,
            "--port",
            std::to_string(server_->port()),
            "--postgres",
            server().conninfo(),
            "--schema",
            schema_name_,
            "--batch-events",
            "700",
            "--max-wait-ms",
            "5",
            mode};
  }
  // Runs tally-export until it has exported what the server holds; its exit code.
  int export_until_caught_up() {
    std::string command;
    for (const std::string& argument : export_arguments("--until-caught-up")) {
      command += "'" + argument + "' ";
    }
    const ProgramRun run = run_program(command, Capture::kStandardOutputAndError);
    last_output_ = run.output;
    return run.exit_code;
  }
  // Starts tally-export following the server, in the background.
  pid_t start_following() {
    std::vector<std::string> arguments = export_arguments("--json");
    std::vector<char*> argv;
    for (std::string& argument : arguments) {
      argv.push_back(argument.data());
    }
    argv.push_back(nullptr);
    pid_t pid = -1;
    EXPECT_EQ(::posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ), 0);
    return pid;
  }
  static void kill_now(pid_t pid) {
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
  }

  // Opens `accounts` accounts and makes `rounds` requests of mixed movements; the last sequence.
  uint64_t write(int accounts, int rounds, int round_offset = 0) {
    uint64_t last = 0;
    if (round_offset == 0) {
      BatchBuilder opening;
      for (int index = 0; index < accounts; ++index) {
        opening.open_account("acc-" + std::to_string(index), "Owner " + std::to_string(index % 7),
                             "EUR", AccountType::Checking, 0, 10'000);
      }
      last = writer_->execute(opening).results.back().sequence;
    }
    for (int round = round_offset; round < round_offset + rounds; ++round) {
      BatchBuilder moves;
      for (int index = 0; index < 50; ++index) {
        const std::string from = "acc-" + std::to_string((round + index) % accounts);
        const std::string to = "acc-" + std::to_string((round * 7 + index + 1) % accounts);
        if (index % 3 == 0) {
          moves.deposit(from, 1 + index);
        } else if (index % 3 == 1) {
          moves.withdraw(from, 5 + round % 400);  // some are refused: rejections export too
        } else if (from != to) {
          moves.transfer(from, to, 3 + index);
        } else {
          moves.deposit(to, 2);
        }
      }
      last = writer_->execute(moves).results.back().sequence;
    }
    return last;
  }

  std::string one(const std::string& sql) {
    const std::vector<std::string> found = rows(sql);
    return found.empty() ? "" : found.front();
  }
  // Every account's balance and version in PostgreSQL equals what tallyd answers.
  void expect_accounts_match(int accounts, uint64_t last) {
    for (int index = 0; index < accounts; ++index) {
      const std::string id = "acc-" + std::to_string(index);
      const client::QueryReply reply =
          writer_->query(client::Query::account(id).min_sequence(last));
      const protocol::AccountDetails* details = reply.body<protocol::AccountResult>()->account();
      EXPECT_EQ(one("SELECT balance || ' ' || version FROM " + table("accounts") +
                    " WHERE account_id = '" + id + "'"),
                std::to_string(details->balance()) + " " + std::to_string(details->version()))
          << id;
    }
  }
  std::string table(const std::string& name) const { return schema_name_ + "." + name; }

  std::string data_;
  std::unique_ptr<TallydProcess> server_;
  std::unique_ptr<Client> writer_;
  std::string last_output_;
};

TEST_F(TallyExportTest, CopiesTheWholeLedgerAndMatchesIt) {
  const uint64_t last = write(20, 40);
  ASSERT_EQ(export_until_caught_up(), 0) << last_output_;
  EXPECT_EQ(one("SELECT count(*) || ' ' || min(sequence) || ' ' || max(sequence) FROM " +
                table("events")),
            std::to_string(last) + " 1 " + std::to_string(last));
  EXPECT_EQ(one("SELECT last_sequence FROM " + table("export_position")), std::to_string(last));
  EXPECT_EQ(one("SELECT count(*) FROM " + table("accounts")), "20");
  expect_accounts_match(20, last);
  // Each account's statement ends at its balance.
  EXPECT_EQ(one("SELECT count(*) FROM " + table("accounts") + " a WHERE a.balance <> (SELECT " +
                "balance_after FROM " + table("statement_entries") +
                " s WHERE s.account_id = a.account_id ORDER BY sequence DESC LIMIT 1)"),
            "0");
  // Running it again finds nothing new and changes nothing.
  ASSERT_EQ(export_until_caught_up(), 0) << last_output_;
  EXPECT_EQ(one("SELECT count(*) FROM " + table("events")), std::to_string(last));
}

TEST_F(TallyExportTest, KilledAtAnyMomentItStillExportsEveryEventExactlyOnce) {
  std::mt19937 random(GTEST_FLAG_GET(random_seed) + 7);
  uint64_t last = write(30, 20);
  for (int life = 0; life < 8; ++life) {
    const pid_t exporter = start_following();
    // Writes go on while it runs; it dies at a random moment, mid-transaction or not.
    last = write(30, 10, 20 + life * 10);
    std::this_thread::sleep_for(std::chrono::milliseconds(random() % 120));
    kill_now(exporter);
  }
  ASSERT_EQ(export_until_caught_up(), 0) << last_output_;
  EXPECT_EQ(one("SELECT count(*) || ' ' || max(sequence) FROM " + table("events")),
            std::to_string(last) + " " + std::to_string(last));
  expect_accounts_match(30, last);
  EXPECT_EQ(one("SELECT count(*) FROM (SELECT sequence, account_id FROM " +
                table("statement_entries") + " GROUP BY 1, 2 HAVING count(*) > 1) d"),
            "0");
}

TEST_F(TallyExportTest, KilledBetweenItsRowsAndItsCommitItLeavesNothingOfThem) {
  uint64_t last = write(30, 10);
  ASSERT_EQ(export_until_caught_up(), 0) << last_output_;
  const std::string exported = std::to_string(last);
  // Another session holds the accounts table: the exporter's next transaction copies its
  // events, then waits at the account upsert, and is killed there, before its commit.
  Result<exporter::PostgresConnection> blocker = connect();
  ASSERT_TRUE(blocker.is_ok()) << blocker.status().message();
  ASSERT_TRUE(
      blocker->execute_script("BEGIN; LOCK TABLE " + table("accounts") + " IN EXCLUSIVE MODE")
          .is_ok());
  last = write(30, 10, 10);
  const pid_t exporter = start_following();
  const std::string waiting_upsert =
      "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE "
      "'INSERT INTO \"" +
      schema_name_ + "\".accounts%'";
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (one(waiting_upsert) != "1" && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_EQ(one(waiting_upsert), "1") << "the exporter never reached the account upsert";
  kill_now(exporter);
  // Its events went in before it waited, in a transaction that never committed: none is seen.
  EXPECT_EQ(one("SELECT count(*) || ' ' || max(sequence) FROM " + table("events")),
            exported + " " + exported);
  EXPECT_EQ(one("SELECT last_sequence FROM " + table("export_position")), exported);
  ASSERT_TRUE(blocker->execute_script("ROLLBACK").is_ok());

  ASSERT_EQ(export_until_caught_up(), 0) << last_output_;
  EXPECT_EQ(one("SELECT count(*) || ' ' || max(sequence) FROM " + table("events")),
            std::to_string(last) + " " + std::to_string(last));
  expect_accounts_match(30, last);
}

TEST_F(TallyExportTest, FollowsAServerThatIsKilledAndComesBack) {
  uint64_t last = write(10, 10);
  const pid_t exporter = start_following();
  const uint16_t port = server_->port();
  server_->kill();  // SIGKILL: the exporter loses its subscription and retries
  writer_.reset();
  server_ = std::make_unique<TallydProcess>(
      data_, std::vector<std::string>{"--port", std::to_string(port)});
  writer_ = std::make_unique<Client>(server_->client_options("writer"));
  writer_->connect();
  last = write(10, 10, 10);
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (one("SELECT last_sequence FROM " + table("export_position")) != std::to_string(last) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
  }
  ::kill(exporter, SIGTERM);
  int status = 0;
  ::waitpid(exporter, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_EQ(one("SELECT count(*) FROM " + table("events")), std::to_string(last));
  expect_accounts_match(10, last);
}

TEST_F(TallyExportTest, AnEmptyLedgerIsCaughtUpAtOnce) {
  ASSERT_EQ(export_until_caught_up(), 0) << last_output_;
  EXPECT_EQ(one("SELECT count(*) FROM " + table("events")), "0");
  EXPECT_EQ(one("SELECT count(*) FROM " + table("export_position")), "1");
}

TEST_F(TallyExportTest, AnUnreachableServerFailsWithUntilCaughtUp) {
  const uint16_t port = server_->port();
  writer_.reset();
  server_.reset();
  const ProgramRun run = run_program(
      std::string(TALLY_EXPORT_PATH) + " --port " + std::to_string(port) + " --postgres '" +
          server().conninfo() + "' --schema " + schema_name_ + " --until-caught-up",
      Capture::kStandardOutputAndError);
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_NE(run.output.find("last failure"), std::string::npos) << run.output;
}

}  // namespace
}  // namespace tally::testing
