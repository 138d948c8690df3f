// tally, the command-line client, run as a program against the real tallyd: what it prints,
// its exit codes, and what reached the ledger (checked with tally::client on the side).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/json/src.hpp>  // header-only Boost.JSON: a real parser for the --json output

#include "net/client/client.h"
#include "support/program_run.h"
#include "support/tallyd_process.h"

namespace tally {
namespace {

using testing::TallydProcess;
using Row = std::vector<std::string>;

// What tally printed: standard output and standard error apart, the tests read both.
struct TallyRun {
  int exit_code = -1;
  std::string output;
  std::string errors;
};

std::string read_file(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream stream(text);
  for (std::string line; std::getline(stream, line);) {
    lines.push_back(line);
  }
  return lines;
}

// The rows of a results table, header left out, each split into its cells.
std::vector<Row> table_rows(const std::string& output) {
  std::vector<Row> rows;
  for (const std::string& line : lines_of(output)) {
    std::istringstream words(line);
    Row row;
    for (std::string word; words >> word;) {
      row.push_back(word);
    }
    if (!row.empty() && row.front() != "result") {
      rows.push_back(row);
    }
  }
  return rows;
}

std::vector<boost::json::object> json_lines(const std::string& output) {
  std::vector<boost::json::object> objects;
  for (const std::string& line : lines_of(output)) {
    objects.push_back(boost::json::parse(line).as_object());
  }
  return objects;
}

std::string text_of(const boost::json::object& object, const char* field) {
  return std::string(object.at(field).as_string());
}

class TallyCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = testing::make_temporary_directory("tally-cli-test");
    server_ = std::make_unique<TallydProcess>(directory_ + "/data");
  }
  void TearDown() override {
    server_.reset();
    std::system(("rm -rf " + directory_).c_str());
  }

  // Runs `tally --port <the server's> <arguments>`, with `input` on standard input.
  TallyRun tally(const std::string& arguments, const std::string& input = "") {
    return run_tally("--port " + std::to_string(server_->port()) + " " + arguments, input);
  }

  TallyRun run_tally(const std::string& arguments, const std::string& input = "") {
    const std::string input_path = directory_ + "/input";
    const std::string errors_path = directory_ + "/errors";
    std::ofstream(input_path) << input;
    // The runner merges or discards standard error; in a group, tally's goes to a file first.
    const testing::ProgramRun run =
        testing::run_program("{ " + std::string(TALLY_CLI_PATH) + " " + arguments + " <" +
                                 input_path + " 2>" + errors_path + "; }",
                             testing::Capture::kStandardOutput);
    return {.exit_code = run.exit_code, .output = run.output, .errors = read_file(errors_path)};
  }

  // The server's counters (read with the client library, not with tally) once they count
  // `requests` answered requests. Each counter is exact but a set of them is not one instant
  // (net/server/server_counters.h), so the test waits for its own requests to be counted.
  net::ServerStats stats_after(uint64_t requests) {
    client::Client client(server_->client_options());
    client.connect();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    net::ServerStats stats = client.stats();
    while (stats.requests < requests && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      stats = client.stats();
    }
    return stats;
  }

  // Opens `account` in EUR with `initial_deposit`, and checks that it worked.
  void open_eur(const std::string& account, const std::string& initial_deposit = "0") {
    const TallyRun opened = tally("open " + account + " --owner Someone --currency EUR " +
                                  "--initial-deposit " + initial_deposit);
    ASSERT_EQ(opened.exit_code, 0) << opened.output << opened.errors;
  }

  std::string directory_;
  std::unique_ptr<TallydProcess> server_;
};

TEST_F(TallyCliTest, OpensAccountsWithAGivenOrAGeneratedId) {
  const TallyRun given =
      tally("open alice --owner 'Alice Smith' --currency EUR --initial-deposit 10.50");
  EXPECT_EQ(given.exit_code, 0) << given.errors;
  EXPECT_EQ(lines_of(given.output).at(0).find("result"), 0u) << given.output;
  EXPECT_EQ(table_rows(given.output), (std::vector<Row>{{"Ok", "1", "10.50", "1", "alice"}}));

  const TallyRun dash = tally("open - --owner Generated --currency EUR --type savings");
  EXPECT_EQ(dash.exit_code, 0) << dash.errors;
  EXPECT_EQ(table_rows(dash.output), (std::vector<Row>{{"Ok", "2", "0.00", "1", "tally:2"}}));

  const TallyRun empty = tally("--json open '' --owner Generated --currency JPY");
  ASSERT_EQ(empty.exit_code, 0) << empty.errors;
  const boost::json::object result = json_lines(empty.output).at(0);
  EXPECT_EQ(text_of(result, "account_id"), "tally:3");
  EXPECT_EQ(text_of(result, "balance"), "0");  // JPY has no decimals
}

TEST_F(TallyCliTest, MovesMoneyWithDecimalAmountsAndPrintsTheBalances) {
  open_eur("alice");
  open_eur("bob");
  EXPECT_EQ(table_rows(tally("deposit alice 12.50").output),
            (std::vector<Row>{{"Ok", "3", "12.50", "2", "alice"}}));
  EXPECT_EQ(table_rows(tally("withdraw alice 0.05").output),
            (std::vector<Row>{{"Ok", "4", "12.45", "3", "alice"}}));
  EXPECT_EQ(table_rows(tally("transfer alice bob 2").output),
            (std::vector<Row>{{"Ok", "5", "10.45", "4", "alice"}}));
  EXPECT_EQ(table_rows(tally("withdraw bob 2").output),
            (std::vector<Row>{{"Ok", "6", "0.00", "3", "bob"}}));

  // Other currencies: --currency gives the decimal places (JPY none, KWD three).
  ASSERT_EQ(tally("open yen --owner Y --currency JPY --initial-deposit 1000").exit_code, 0);
  const TallyRun yen = tally("--json deposit yen 500 --currency JPY");
  EXPECT_EQ(yen.exit_code, 0) << yen.errors;
  EXPECT_EQ(json_lines(yen.output).at(0).at("balance_minor").as_int64(), 1500);
  EXPECT_EQ(text_of(json_lines(yen.output).at(0), "balance"), "1500");
  const TallyRun dinar =
      tally("--json open dinar --owner D --currency KWD --initial-deposit 1.005");
  EXPECT_EQ(json_lines(dinar.output).at(0).at("balance_minor").as_int64(), 1005);
  EXPECT_EQ(text_of(json_lines(dinar.output).at(0), "balance"), "1.005");
  EXPECT_EQ(stats_after(9).money_in, 1250 + 1000 + 500 + 1005);  // deposits and openings
}

TEST_F(TallyCliTest, ARejectionExitsOneAndPrintsItsReason) {
  open_eur("alice", "5");
  const TallyRun rejected = tally("withdraw alice 5.01");
  EXPECT_EQ(rejected.exit_code, 1);
  EXPECT_EQ(table_rows(rejected.output),
            (std::vector<Row>{{"InsufficientFunds", "2", "5.00", "1", "alice"}}));
  EXPECT_NE(rejected.errors.find("1 of 1 commands rejected"), std::string::npos) << rejected.errors;
  const TallyRun missing = tally("--json deposit nobody 1");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(text_of(json_lines(missing.output).at(0), "result"), "AccountNotFound");
  EXPECT_EQ(json_lines(missing.output).at(0).at("code").as_int64(), 102);
}

TEST_F(TallyCliTest, FreezeUnfreezeAndClose) {
  open_eur("alice", "3");
  const TallyRun frozen = tally("freeze alice --reason 'a routine audit'");
  EXPECT_EQ(frozen.exit_code, 0) << frozen.errors;
  EXPECT_EQ(table_rows(frozen.output).at(0).at(0), "Ok");
  EXPECT_EQ(table_rows(tally("deposit alice 1").output).at(0).at(0), "AccountFrozen");
  EXPECT_EQ(table_rows(tally("unfreeze alice --expected-version 2").output),
            (std::vector<Row>{{"Ok", "4", "3.00", "3", "alice"}}));
  const TallyRun not_empty = tally("close alice");
  EXPECT_EQ(not_empty.exit_code, 1);
  EXPECT_EQ(table_rows(not_empty.output).at(0).at(0), "BalanceNotZero");
  ASSERT_EQ(tally("withdraw alice 3").exit_code, 0);
  const TallyRun closed = tally("close alice");
  EXPECT_EQ(closed.exit_code, 0) << closed.errors;
  EXPECT_EQ(table_rows(closed.output), (std::vector<Row>{{"Ok", "7", "0.00", "5", "alice"}}));
  EXPECT_EQ(table_rows(tally("deposit alice 1").output).at(0).at(0), "AccountClosed");
}

TEST_F(TallyCliTest, JsonGivesEveryFieldOfAResultWithStringsEscaped) {
  open_eur("alice", "7.25");
  const TallyRun deposit = tally("deposit alice 0.75 --json --expected-version 1");
  ASSERT_EQ(deposit.exit_code, 0) << deposit.errors;
  ASSERT_EQ(lines_of(deposit.output).size(), 1u) << deposit.output;
  const boost::json::object result = json_lines(deposit.output).at(0);
  EXPECT_EQ(text_of(result, "command"), "deposit");
  EXPECT_EQ(result.at("code").as_int64(), 0);
  EXPECT_EQ(text_of(result, "result"), "Ok");
  EXPECT_EQ(result.at("sequence").as_int64(), 2);
  EXPECT_EQ(result.at("balance_minor").as_int64(), 800);
  EXPECT_EQ(text_of(result, "balance"), "8.00");
  EXPECT_EQ(result.at("version").as_int64(), 2);
  EXPECT_EQ(text_of(result, "account_id"), "alice");

  // An id the server will refuse, printed back as typed: quotes and backslashes escaped.
  const TallyRun odd = tally("--json open 'we\"ird\\id' --owner X --currency EUR");
  EXPECT_EQ(odd.exit_code, 1);
  const boost::json::object refused = json_lines(odd.output).at(0);
  EXPECT_EQ(text_of(refused, "result"), "InvalidArgument");
  EXPECT_EQ(text_of(refused, "account_id"), "we\"ird\\id") << odd.output;
}

TEST_F(TallyCliTest, StatsPrintEveryCounterAndTheRejectionsByName) {
  open_eur("alice", "1");
  tally("withdraw alice 2");
  tally("withdraw alice 3");
  tally("deposit nobody 1");
  stats_after(4);  // so that tally stats counts them all
  const TallyRun text = tally("stats");
  EXPECT_EQ(text.exit_code, 0) << text.errors;
  EXPECT_NE(text.output.find("server tallyd"), std::string::npos) << text.output;
  for (const char* counter :
       {"uptime_ms", "requests", "commands", "rejections", "replayed_answers", "requests_refused",
        "connections_open", "connections_accepted", "connections_refused", "connections_dropped",
        "ingress_depth", "ring_backlog", "journal_lag", "durable_sequence", "snapshots_written",
        "money_in", "money_out", "read_pauses"}) {
    EXPECT_NE(text.output.find(std::string("\n") + counter + " "), std::string::npos) << counter;
  }
  const std::vector<Row> rows = table_rows(text.output);
  EXPECT_NE(std::find(rows.begin(), rows.end(), Row{"InsufficientFunds", "2", "code", "104"}),
            rows.end())
      << text.output;
  EXPECT_NE(std::find(rows.begin(), rows.end(), Row{"AccountNotFound", "1", "code", "102"}),
            rows.end())
      << text.output;

  const TallyRun json = tally("stats --json");
  ASSERT_EQ(json.exit_code, 0) << json.errors;
  const boost::json::object stats = json_lines(json.output).at(0);
  EXPECT_EQ(stats.at("commands").as_int64(), 4);
  EXPECT_EQ(stats.at("rejections").as_int64(), 3);
  EXPECT_EQ(stats.at("money_in").as_int64(), 100);
  EXPECT_EQ(stats.at("durable_sequence").as_int64(), 4);
  const boost::json::array& reasons = stats.at("rejections_by_reason").as_array();
  ASSERT_EQ(reasons.size(), 2u);
  EXPECT_EQ(text_of(reasons[0].as_object(), "result"), "AccountNotFound");
  EXPECT_EQ(reasons[0].at("count").as_int64(), 1);
  EXPECT_EQ(text_of(reasons[1].as_object(), "result"), "InsufficientFunds");
  EXPECT_EQ(reasons[1].at("code").as_int64(), 104);
  EXPECT_EQ(reasons[1].at("count").as_int64(), 2);
  EXPECT_EQ(text_of(stats.at("server").as_object(), "name"), "tallyd");
  EXPECT_EQ(stats.at("server").at("limits").at("max_batch_commands").as_int64(), 8190);
}

TEST_F(TallyCliTest, ABatchFromStandardInputIsOneRequestWithOneResultPerLine) {
  const std::string input =
      "# opening\n"
      "open alice --owner 'Alice A' --currency EUR --initial-deposit 10\n"
      "\n"
      "open yen --owner \"Y \\\"san\\\"\" --currency JPY   # yen: no decimals\n"
      "deposit yen 500\n"
      "transfer alice yen 1 --currency EUR\n"
      "  withdraw alice 2.50\n";
  const TallyRun batch = tally("batch", input);
  EXPECT_EQ(batch.exit_code, 1) << batch.errors;  // the transfer: EUR to JPY
  EXPECT_EQ(table_rows(batch.output),
            (std::vector<Row>{{"Ok", "1", "10.00", "1", "alice"},
                              {"Ok", "2", "0", "1", "yen"},
                              {"Ok", "3", "500", "2", "yen"},
                              {"CurrencyMismatch", "4", "10.00", "1", "alice"},
                              {"Ok", "5", "7.50", "2", "alice"}}));
  const net::ServerStats stats = stats_after(1);
  EXPECT_EQ(stats.requests, 1u);  // one request for the five commands
  EXPECT_EQ(stats.commands, 5u);

  const TallyRun json = tally("batch --json", "deposit alice 0.50\ndeposit yen 1\n");
  EXPECT_EQ(json.exit_code, 0) << json.errors;
  const std::vector<boost::json::object> results = json_lines(json.output);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(text_of(results[0], "balance"), "8.00");
  EXPECT_EQ(results[1].at("balance_minor").as_int64(), 600);  // 1.00 without --currency
}

TEST_F(TallyCliTest, AnAtomicBatchAppliesNothingWhenOneCommandFails) {
  open_eur("alice", "5");
  const TallyRun atomic =
      tally("batch --atomic", "deposit alice 1\nwithdraw alice 100\ndeposit alice 2\n");
  EXPECT_EQ(atomic.exit_code, 1);
  const std::vector<Row> rows = table_rows(atomic.output);
  ASSERT_EQ(rows.size(), 3u) << atomic.output;
  EXPECT_EQ(rows[0].at(0), "LinkedCommandFailed");
  EXPECT_EQ(rows[1].at(0), "InsufficientFunds");
  EXPECT_EQ(rows[2].at(0), "LinkedCommandFailed");
  EXPECT_NE(atomic.errors.find("3 of 3 commands rejected"), std::string::npos);
  EXPECT_EQ(table_rows(tally("deposit alice 0.01").output).at(0).at(2), "5.01");

  const TallyRun applied = tally("batch --atomic", "deposit alice 1\ndeposit alice 2\n");
  EXPECT_EQ(applied.exit_code, 0) << applied.errors;
  EXPECT_EQ(table_rows(applied.output).at(1).at(2), "8.01");
}

TEST_F(TallyCliTest, ABadBatchLineIsReportedWithItsNumberAndNothingIsSent) {
  open_eur("alice");
  const TallyRun bad_amount =
      tally("batch", "deposit alice 1\n# fine so far\ndeposit alice 1.234\n");
  EXPECT_EQ(bad_amount.exit_code, 2);
  EXPECT_EQ(bad_amount.output, "");
  EXPECT_NE(bad_amount.errors.find("line 3: amount \"1.234\" has too many decimal places"),
            std::string::npos)
      << bad_amount.errors;
  const TallyRun unknown = tally("batch", "deposit alice 1\nrefund alice 1\n");
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.errors.find("line 2: unknown command \"refund\""), std::string::npos)
      << unknown.errors;
  const TallyRun bad_flag = tally("batch", "deposit alice 1 --bogus\n");
  EXPECT_EQ(bad_flag.exit_code, 2);
  EXPECT_NE(bad_flag.errors.find("line 1: "), std::string::npos) << bad_flag.errors;
  const TallyRun quote = tally("batch", "freeze alice --reason 'unclosed\n");
  EXPECT_EQ(quote.exit_code, 2);
  EXPECT_NE(quote.errors.find("line 1: a ' quote is not closed"), std::string::npos);
  EXPECT_EQ(tally("batch", "\n# nothing but comments\n").exit_code, 2);
  // Nothing reached the ledger: the next command is its second event, the second request.
  EXPECT_EQ(table_rows(tally("deposit alice 1").output).at(0).at(1), "2");
  const net::ServerStats stats = stats_after(2);
  EXPECT_EQ(stats.requests, 2u);
  EXPECT_EQ(stats.requests_refused, 0u);
}

TEST_F(TallyCliTest, BadAmountsExitTwoAndSendNothing) {
  open_eur("alice");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"deposit alice 12.505", "has too many decimal places: 2 decimal places are assumed"},
      {"deposit alice 1.5 --currency JPY", "JPY has 0 decimal places"},
      {"withdraw alice -5", "is negative"},
      {"deposit alice abc", "is not a decimal amount"},
      {"deposit alice 1e3", "is not a decimal amount"},
      {"deposit alice 12.", "is not a decimal amount"},
      {"transfer alice bob 99999999999999999.99", "is too large"},
      {"open b --owner B --currency EUR --overdraft 1.001", "--overdraft \"1.001\""},
      {"open b --owner B --currency euro", "is not an ISO 4217 code"},
      {"deposit alice 1 --transaction-id xyz", "--transaction-id \"xyz\""},
      {"--request-id 1234 deposit alice 1", "--request-id \"1234\""}};
  for (const auto& [arguments, message] : cases) {
    const TallyRun run = tally(arguments);
    EXPECT_EQ(run.exit_code, 2) << arguments;
    EXPECT_EQ(run.output, "") << arguments;
    EXPECT_NE(run.errors.find(message), std::string::npos) << arguments << ": " << run.errors;
  }
  EXPECT_EQ(tally("deposit alice").exit_code, 2);
  EXPECT_EQ(tally("frobnicate").exit_code, 2);
  // Nothing reached the ledger: the next command is its second event, the second request.
  EXPECT_EQ(table_rows(tally("deposit alice 1").output).at(0).at(1), "2");
  const net::ServerStats stats = stats_after(2);
  EXPECT_EQ(stats.requests, 2u);
  EXPECT_EQ(stats.commands, 2u);
  EXPECT_EQ(stats.requests_refused, 0u);

  const TallyRun help = tally("--help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.output.find("Exit codes:"), std::string::npos) << help.output;
}

TEST_F(TallyCliTest, AServerThatIsNotRunningExitsFour) {
  const uint16_t port = server_->port();
  server_->kill();
  const TallyRun run = run_tally("--port " + std::to_string(port) + " deposit alice 1");
  EXPECT_EQ(run.exit_code, 4);
  EXPECT_EQ(run.output, "");
  EXPECT_NE(run.errors.find("cannot connect to 127.0.0.1:" + std::to_string(port)),
            std::string::npos)
      << run.errors;
  EXPECT_EQ(run_tally("--port " + std::to_string(port) + " stats").exit_code, 4);
}

TEST_F(TallyCliTest, ARetryWithTheSameRequestIdAnswersTheSameAndAppliesOnce) {
  open_eur("alice");
  const std::string request_id = "--request-id 0123456789abcdef0123456789ABCDEF ";
  const TallyRun first = tally(request_id + "deposit alice 4.20");
  EXPECT_EQ(first.exit_code, 0) << first.errors;
  EXPECT_EQ(table_rows(first.output), (std::vector<Row>{{"Ok", "2", "4.20", "2", "alice"}}));
  const TallyRun retry = tally(request_id + "deposit alice 4.20");
  EXPECT_EQ(retry.exit_code, 0) << retry.errors;
  EXPECT_EQ(retry.output, first.output);
  const net::ServerStats stats = stats_after(3);  // the open, the deposit, its retry
  EXPECT_EQ(stats.replayed_answers, 1u);
  EXPECT_EQ(stats.commands, 2u);  // the open and the deposit, once
  EXPECT_EQ(stats.money_in, 420);

  const TallyRun again = tally(request_id + "--json deposit alice 4.20");
  EXPECT_NE(again.output.find("\"replayed\":true"), std::string::npos) << again.output;

  const TallyRun other = tally(request_id + "deposit alice 5");
  EXPECT_EQ(other.exit_code, 1);
  EXPECT_EQ(table_rows(other.output).at(0).at(0), "RequestIdReused");
  EXPECT_EQ(table_rows(tally("deposit alice 0.80").output).at(0).at(2), "5.00");
}

TEST_F(TallyCliTest, RequestsTheServerWouldRefuseExitTwoOrThree) {
  TallydProcess strict(directory_ + "/strict", {"--max-batch", "8", "--max-frame-bytes", "1024"});
  const std::string port = "--port " + std::to_string(strict.port()) + " ";
  std::string opens;
  for (int index = 0; index < 8; ++index) {
    opens += "open " + std::string(60, 'a') + std::to_string(index) + " --owner " +
             std::string(120, 'o') + " --currency EUR\n";
  }
  // Over max-batch: known from the handshake, so nothing is sent.
  const TallyRun too_many = run_tally(port + "batch", opens + "deposit x 1\n");
  EXPECT_EQ(too_many.exit_code, 2);
  EXPECT_NE(too_many.errors.find("the server takes at most 8"), std::string::npos)
      << too_many.errors;
  // Over max-frame-bytes: the server refuses the request whole.
  const TallyRun too_large = run_tally(port + "batch", opens);
  EXPECT_EQ(too_large.exit_code, 3);
  EXPECT_NE(too_large.errors.find("refused the request: LimitExceeded"), std::string::npos)
      << too_large.errors;
  client::Client client(strict.client_options());
  client.connect();
  EXPECT_EQ(client.stats().commands, 0u);
}

}  // namespace
}  // namespace tally
