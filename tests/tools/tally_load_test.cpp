// tally-load, run as a program against the real tallyd.
#include <gtest/gtest.h>
#include <cstdlib>
#include <string>

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

TEST_F(TallyLoadTest, BadOptionsExitTwoAndAnAbsentServerExitsFour) {
  EXPECT_EQ(run_load("--accounts 1" + port()).exit_code, 2);
  EXPECT_EQ(run_load("--min-amount 10 --max-amount 5" + port()).exit_code, 2);
  server_->kill();
  EXPECT_EQ(run_load("--duration 0.1" + port()).exit_code, 4);
}

}  // namespace
}  // namespace tally
