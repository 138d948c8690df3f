// tally-load, run as a program against the real tallyd.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

#include "net/client/client.h"
#include "support/program_run.h"
#include "support/tallyd_process.h"

namespace tally {
namespace {

using testing::ProgramRun;

ProgramRun run_load(const std::string& arguments) {
  return testing::run_program(std::string(TALLY_LOAD_PATH) + " " + arguments,
                              testing::Capture::kStandardOutput);
}

// The unsigned number after "\"key\":" in a JSON object, or -1.
long long json_number(const std::string& json, const std::string& key) {
  const size_t at = json.find("\"" + key + "\":");
  return at == std::string::npos ? -1 : std::atoll(json.c_str() + at + key.size() + 3);
}

class TallyLoadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = testing::make_temporary_directory("tally-load-test");
    server_ = std::make_unique<testing::TallydProcess>(root_ + "/data");
  }
  void TearDown() override {
    server_.reset();
    std::system(("rm -rf " + root_).c_str());
  }
  std::string port() const { return " --port " + std::to_string(server_->port()); }

  std::string root_;
  std::unique_ptr<testing::TallydProcess> server_;
};

TEST_F(TallyLoadTest, AClosedLoopRunIsAcknowledgedAndMatchesTheServerTotals) {
  const ProgramRun run = run_load(
      "--duration 1 --accounts 200 --connections 2 --batch 8 "
      "--pipeline 4 --min-amount 1 --max-amount 5000 "
      "--initial-deposit 1000 --json" +
      port());
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("\"check\":\"passed\""), std::string::npos) << run.output;
  EXPECT_GT(json_number(run.output, "commands"), 0);
  EXPECT_EQ(json_number(run.output, "commands") % 8, 0);  // whole batches only
  // Small balances and large withdrawals: some must be refused for funds.
  EXPECT_GT(json_number(run.output, "InsufficientFunds"), 0) << run.output;
  EXPECT_GT(json_number(run.output, "p99"), 0);
}

TEST_F(TallyLoadTest, AnOpenLoopRunSendsAtTheRequestedRate) {
  const ProgramRun run = run_load(
      "--duration 1 --accounts 100 --connections 2 --batch 10 --rate 20000 --json" + port());
  EXPECT_EQ(run.exit_code, 0) << run.output;
  const long long commands = json_number(run.output, "commands");
  EXPECT_GE(commands, 15000) << run.output;  // 20,000 commands/s for a second, give or take
  EXPECT_LE(commands, 21000) << run.output;
  EXPECT_NE(run.output.find("\"check\":\"passed\""), std::string::npos);
}

TEST_F(TallyLoadTest, TheTextReportHasThroughputLatencyResultsAndTheCheck) {
  const ProgramRun run =
      run_load("--duration 0.5 --accounts 50 --connections 1 --echo-baseline 200" + port());
  EXPECT_EQ(run.exit_code, 0) << run.output;
  for (const char* line : {"throughput:", "latency per request (ms): p50", "results: Ok",
                           "bare TCP echo", "check: server totals match"}) {
    EXPECT_NE(run.output.find(line), std::string::npos) << line << "\n" << run.output;
  }
}

TEST_F(TallyLoadTest, TheDiskFloorIsMeasuredInTheGivenDirectoryAndComparedWithTallyd) {
  const ProgramRun run = run_load(
      "--duration 0.5 --accounts 50 --connections 1 --batch 1 --pipeline 1 --echo-baseline 100 "
      "--sync-baseline 20 --sync-baseline-dir " +
      root_ + port());
  EXPECT_EQ(run.exit_code, 0) << run.output;
  for (const char* line : {"disk floor, append of 128 B + fdatasync (ms): p50",
                           "tallyd p50 / (echo p50 + disk floor p50) = "}) {
    EXPECT_NE(run.output.find(line), std::string::npos) << line << "\n" << run.output;
  }
  const ProgramRun json = run_load(
      "--duration 0.2 --accounts 5 --connections 1 --json "
      "--sync-baseline 5 --sync-baseline-dir " +
      root_ + port());
  EXPECT_EQ(json.exit_code, 0) << json.output;
  EXPECT_NE(json.output.find("\"sync_latency_ns\":{\"p50\":"), std::string::npos) << json.output;
  const ProgramRun nowhere = testing::run_program(
      std::string(TALLY_LOAD_PATH) + " --duration 0.2 --accounts 5 --sync-baseline 5 " +
          "--sync-baseline-dir " + root_ + "/missing" + port(),
      testing::Capture::kStandardOutputAndError);
  EXPECT_NE(nowhere.exit_code, 0);
  EXPECT_NE(nowhere.output.find("sync baseline: cannot create a file in"), std::string::npos)
      << nowhere.output;
}

TEST_F(TallyLoadTest, AMixedRunAnswersQueriesWithoutErrorsAndTheReserveMoves) {
  const ProgramRun run = run_load(
      "--duration 1 --accounts 200 --connections 2 --batch 8 --pipeline 4 "
      "--read-weight 0.5 --json" +
      port());
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_GT(json_number(run.output, "commands"), 0) << run.output;
  EXPECT_GT(json_number(run.output, "queries_answered"), 0) << run.output;
  EXPECT_GT(json_number(run.output, "account_queries"), 0) << run.output;
  EXPECT_GT(json_number(run.output, "history_queries"), 0) << run.output;
  EXPECT_EQ(json_number(run.output, "query_errors"), 0) << run.output;
  EXPECT_EQ(json_number(run.output, "query_unexpected_answers"), 0) << run.output;
  EXPECT_NE(run.output.find("\"query_latency_ns\":{\"p50\":"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("\"check\":\"passed\""), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("\"reserve_check\":\"passed\""), std::string::npos) << run.output;
}

TEST_F(TallyLoadTest, AnOpenLoopShareOfReadsTakesRequestSlotsFromBatches) {
  // 2,000 requests a second (--rate 20,000 / batch 10), a quarter of them queries.
  const ProgramRun run = run_load(
      "--duration 1 --accounts 100 --connections 2 --batch 10 --rate 20000 --read-weight 0.25 "
      "--json" +
      port());
  EXPECT_EQ(run.exit_code, 0) << run.output;
  const long long requests = json_number(run.output, "requests");
  const long long queries = json_number(run.output, "queries_answered");
  EXPECT_GE(requests + queries, 1500) << run.output;
  EXPECT_LE(requests + queries, 2100) << run.output;
  EXPECT_GT(queries, (requests + queries) / 8) << run.output;
  EXPECT_LT(queries, (requests + queries) / 2) << run.output;
  EXPECT_EQ(json_number(run.output, "query_errors"), 0) << run.output;
  EXPECT_NE(run.output.find("\"reserve_check\":\"passed\""), std::string::npos) << run.output;
}

TEST_F(TallyLoadTest, AReadOnlyRunOpensItsAccountsThenOnlyReads) {
  // An earlier run leaves money in the server: the reserve check counts only this run's.
  ASSERT_EQ(run_load("--duration 0.3 --accounts 50 --connections 1 --json" + port()).exit_code, 0);
  const ProgramRun run = run_load(
      "--duration 1 --accounts 100 --connections 2 --read-weight 1 --initial-deposit 700 "
      "--json" +
      port());
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(json_number(run.output, "commands"), 0) << run.output;
  EXPECT_EQ(json_number(run.output, "requests"), 0) << run.output;
  EXPECT_GT(json_number(run.output, "queries_answered"), 0) << run.output;
  EXPECT_EQ(json_number(run.output, "query_errors"), 0) << run.output;
  EXPECT_NE(run.output.find("\"reserve_check\":\"passed\""), std::string::npos) << run.output;
  // The reserve moved by the openings alone: 100 accounts of 700.
  EXPECT_NE(run.output.find("acknowledged net money in 70000\""), std::string::npos) << run.output;
}

TEST_F(TallyLoadTest, TheTextReportShowsQueriesAndTheReserveCheck) {
  const ProgramRun run =
      run_load("--duration 0.5 --accounts 50 --connections 1 --read-weight 0.3" + port());
  EXPECT_EQ(run.exit_code, 0) << run.output;
  for (const char* line : {"read weight 0.30", "queries: ", "latency per query (ms): p50",
                           "query errors: 0; unexpected answers 0", "reserve check: ok"}) {
    EXPECT_NE(run.output.find(line), std::string::npos) << line << "\n" << run.output;
  }
}

TEST_F(TallyLoadTest, TheReserveCheckIsSkippedWhenAnotherClientWritesMeanwhile) {
  client::Client other(server_->client_options("other"));
  other.connect();
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    client::BatchBuilder open;
    open.open_account("other-1", "Other", "EUR", AccountType::Checking, 0, 100);
    other.execute(open);
    while (!stop.load()) {
      client::BatchBuilder deposit;
      deposit.deposit("other-1", 5);
      other.execute(deposit);
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  const ProgramRun run = run_load("--duration 1 --accounts 50 --connections 1 --json" + port());
  stop.store(true);
  writer.join();
  // The server totals moved by more than this run's own: that check fails, the reserve check
  // says it cannot tell.
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_NE(run.output.find("\"reserve_check\":\"skipped\""), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("other clients changed the server meanwhile"), std::string::npos)
      << run.output;
}

TEST_F(TallyLoadTest, BadOptionsExitTwoAndAnAbsentServerExitsFour) {
  EXPECT_EQ(run_load("--accounts 1" + port()).exit_code, 2);
  EXPECT_EQ(run_load("--min-amount 10 --max-amount 5" + port()).exit_code, 2);
  EXPECT_EQ(run_load("--read-weight 1.5" + port()).exit_code, 2);
  EXPECT_EQ(run_load("--read-weight -0.1" + port()).exit_code, 2);
  // What CLI11 refuses is bad options too (not CLI11's own numbers); --help succeeds.
  EXPECT_EQ(run_load("--no-such-flag" + port()).exit_code, 2);
  EXPECT_EQ(run_load("--duration soon" + port()).exit_code, 2);
  EXPECT_EQ(run_load("--help").exit_code, 0);
  server_->kill();
  EXPECT_EQ(run_load("--duration 0.1" + port()).exit_code, 4);
}

}  // namespace
}  // namespace tally
