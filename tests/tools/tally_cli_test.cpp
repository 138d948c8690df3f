// tally, the command-line client, run as a program against the real tallyd: what it prints,
// its exit codes, and what reached the ledger (checked with tally::client on the side).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/json/src.hpp>  // header-only Boost.JSON: a real parser for the --json output

#include "engine/base/id_text.h"
#include "engine/read/query_support.h"
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

// Every line of a query's text output, each split into its words (the header too).
std::vector<Row> rows_of(const std::string& output) {
  std::vector<Row> rows;
  for (const std::string& line : lines_of(output)) {
    std::istringstream words(line);
    Row row;
    for (std::string word; words >> word;) {
      row.push_back(word);
    }
    rows.push_back(row);
  }
  return rows;
}

// `rows` without the cells at `column` (the times, which the tests cannot know in advance);
// the header row included, and rows too short to have one left as they are.
std::vector<Row> without_column(std::vector<Row> rows, size_t column) {
  for (Row& row : rows) {
    if (row.size() > column) {
      row.erase(row.begin() + static_cast<std::ptrdiff_t>(column));
    }
  }
  return rows;
}

// A "name  value" listing (tally account, summary, balance-at) as name -> the value's words
// joined by single spaces.
std::map<std::string, std::string> listing_of(const std::string& output) {
  std::map<std::string, std::string> listing;
  for (const Row& row : rows_of(output)) {
    std::string value;
    for (size_t index = 1; index < row.size(); ++index) {
      value += (index > 1 ? " " : "") + row[index];
    }
    if (!row.empty()) {
      listing[row.front()] = value;
    }
  }
  return listing;
}

// YYYY-MM-DD of a Unix time in nanoseconds, worked out apart from tally's own code.
std::string date_of(int64_t timestamp_ns) {
  const std::chrono::year_month_day date{
      std::chrono::sys_days{std::chrono::days{read::day_of(timestamp_ns)}}};
  char text[16];
  std::snprintf(text, sizeof(text), "%04d-%02u-%02u", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
  return text;
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

  // The story the query tests read back, told through tally itself: 11 events, two of them
  // rejections. Queries then pass --min-sequence 11 to see all of it.
  void tell_the_story() {
    const std::vector<std::pair<std::string, int>> commands = {
        {"open alice --owner Alice --currency EUR --initial-deposit 10 --overdraft 5", 0},  // 1
        {"open bob --owner Bob --currency EUR --type savings", 0},                          // 2
        {"open yen --owner Alice --currency JPY --initial-deposit 1000", 0},                // 3
        {"deposit alice 2.50", 0},                                                          // 4
        {"withdraw alice 1", 0},                                                            // 5
        {"transfer alice bob 4 --transaction-id 1f", 0},                                    // 6
        {"withdraw bob 100", 1},                     // 7: InsufficientFunds
        {"freeze bob --reason 'routine audit'", 0},  // 8
        {"deposit bob 1", 1},                        // 9: AccountFrozen
        {"unfreeze bob", 0},                         // 10
        {"open dinar --owner D --currency KWD --initial-deposit 1.005", 0}};  // 11
    for (const auto& [command, exit_code] : commands) {
      const TallyRun run = tally(command);
      ASSERT_EQ(run.exit_code, exit_code) << command << ": " << run.output << run.errors;
    }
  }

  // `tally <arguments> --min-sequence 11`: a query that sees the whole story (or later, if the
  // arguments name a --min-sequence of their own).
  TallyRun query(const std::string& arguments) {
    const bool own = arguments.find("--min-sequence") != std::string::npos;
    return tally(own ? arguments : arguments + " --min-sequence 11");
  }

  // A query that must be answered: its output.
  std::string answered(const std::string& arguments) {
    const TallyRun run = query(arguments);
    EXPECT_EQ(run.exit_code, 0) << arguments << ": " << run.errors;
    EXPECT_EQ(run.errors, "") << arguments;
    return run.output;
  }

  // A --json query that must be answered: its one object.
  boost::json::object answered_json(const std::string& arguments) {
    const std::string output = answered("--json " + arguments);
    const std::vector<std::string> lines = lines_of(output);
    EXPECT_EQ(lines.size(), 1u) << arguments << ": " << output;
    return lines.empty() ? boost::json::object() : boost::json::parse(lines[0]).as_object();
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

TEST_F(TallyCliTest, AmountsAreReadInTheCurrencyOfTheirAccountAskedOfTheServer) {
  ASSERT_EQ(tally("open yen --owner Y --currency JPY").exit_code, 0);                        // 1
  ASSERT_EQ(tally("open yen2 --owner Y --currency JPY").exit_code, 0);                       // 2
  ASSERT_EQ(tally("open dinar --owner D --currency KWD --initial-deposit 2").exit_code, 0);  // 3
  // `deposit yen 1000` is a thousand yen, not 100,000: no --currency needed.
  const TallyRun yen = tally("--json deposit yen 1000");
  ASSERT_EQ(yen.exit_code, 0) << yen.errors;
  EXPECT_EQ(json_lines(yen.output).at(0).at("balance_minor").as_int64(), 1000);
  EXPECT_EQ(text_of(json_lines(yen.output).at(0), "balance"), "1000");
  // A transfer: the paying account's currency; a status change prints the balance in it.
  EXPECT_EQ(table_rows(tally("transfer yen yen2 250").output),
            (std::vector<Row>{{"Ok", "5", "750", "3", "yen"}}));
  EXPECT_EQ(table_rows(tally("withdraw dinar 0.005").output),
            (std::vector<Row>{{"Ok", "6", "1.995", "2", "dinar"}}));
  EXPECT_EQ(table_rows(tally("freeze dinar --reason audit").output),
            (std::vector<Row>{{"Ok", "7", "1.995", "3", "dinar"}}));
  const TallyRun too_precise = tally("deposit yen 1.5");
  EXPECT_EQ(too_precise.exit_code, 2);
  EXPECT_NE(too_precise.errors.find("amount \"1.5\" has too many decimal places: JPY has 0"),
            std::string::npos)
      << too_precise.errors;

  // A batch follows the same rule, line by line: the server's currency for the accounts it
  // knows (so an opening of one it has, in another currency, changes nothing), an opening's
  // earlier in the batch for the others.
  const TallyRun batch = tally("batch --json",
                               "deposit yen 7\n"
                               "transfer yen yen2 3\n"
                               "open yen --owner Y --currency EUR\n"
                               "deposit yen 2\n"
                               "open kw --owner K --currency KWD\n"
                               "deposit kw 1.234\n"
                               "withdraw kw 0.2 --currency KWD\n");
  EXPECT_EQ(batch.exit_code, 1) << batch.errors;  // the opening of yen: it exists
  const std::vector<boost::json::object> results = json_lines(batch.output);
  ASSERT_EQ(results.size(), 7u) << batch.output;
  EXPECT_EQ(results[0].at("balance_minor").as_int64(), 757);
  EXPECT_EQ(results[1].at("balance_minor").as_int64(), 754);
  EXPECT_EQ(text_of(results[2], "result"), "AccountExists");
  EXPECT_EQ(text_of(results[3], "balance"), "756");
  EXPECT_EQ(text_of(results[5], "balance"), "1.234");
  EXPECT_EQ(results[6].at("balance_minor").as_int64(), 1034);
  EXPECT_EQ(stats_after(8).money_in, 2000 + 1000 + 7 + 2 + 1234);

  // An account the server does not know: the ledger says so (nothing can apply with a guess).
  const TallyRun missing = tally("deposit nobody 5");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(table_rows(missing.output).at(0).at(0), "AccountNotFound");
}

TEST_F(TallyCliTest, ACurrencyThatIsNotTheAccountsIsRefusedAndNothingIsSent) {
  open_eur("alice", "10");
  open_eur("bob");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"deposit alice 1 --currency JPY",
       "--currency JPY is not the currency of account \"alice\", which is EUR"},
      {"withdraw alice 1 --currency USD", "--currency USD is not the currency"},
      {"transfer alice bob 1 --currency JPY", "account \"alice\", which is EUR"},
      {"freeze alice --reason audit --currency GBP", "--currency GBP is not the currency"},
      {"batch", "line 2: --currency JPY is not the currency of account \"alice\", which is EUR"},
      {"batch", "line 2: --currency JPY is not the currency of account \"carol\", which is EUR"}};
  const std::vector<std::string> inputs = {
      "",
      "",
      "",
      "",
      "deposit alice 1\ndeposit alice 2 --currency JPY\n",
      "open carol --owner C --currency EUR\ndeposit carol 5 --currency JPY\n"};
  for (size_t index = 0; index < cases.size(); ++index) {
    const auto& [arguments, message] = cases[index];
    const TallyRun run = tally(arguments, inputs[index]);
    EXPECT_EQ(run.exit_code, 2) << arguments;
    EXPECT_EQ(run.output, "") << arguments;
    EXPECT_NE(run.errors.find(message), std::string::npos) << arguments << ": " << run.errors;
  }
  // The account's own currency is accepted, and nothing of the above reached the ledger.
  EXPECT_EQ(table_rows(tally("deposit alice 1 --currency EUR").output),
            (std::vector<Row>{{"Ok", "3", "11.00", "2", "alice"}}));
  const net::ServerStats stats = stats_after(3);
  EXPECT_EQ(stats.requests, 3u);
  EXPECT_EQ(stats.commands, 3u);
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

TEST_F(TallyCliTest, StatsPrintTheLatencyOfEveryStage) {
  open_eur("alice", "1");  // the first request is always sampled
  stats_after(1);
  // Its answer's write may be recorded just after tally read the answer: ask until it is.
  const auto answers_written = [this](TallyRun& run) {
    run = tally("stats --json");
    const boost::json::array stages = json_lines(run.output).at(0).at("stage_latencies").as_array();
    for (const boost::json::value& stage : stages) {
      if (text_of(stage.as_object(), "stage") == "answer_write") {
        return stage.at("count").as_int64();
      }
    }
    return int64_t{0};
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  TallyRun json;
  while (answers_written(json) == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(json.exit_code, 0) << json.errors;
  const boost::json::array stages = json_lines(json.output).at(0).at("stage_latencies").as_array();
  std::vector<std::string> names;
  for (const boost::json::value& value : stages) {
    const boost::json::object& stage = value.as_object();
    names.push_back(text_of(stage, "stage"));
    EXPECT_GE(stage.at("count").as_int64(), 1) << json.output;
    EXPECT_LE(stage.at("p50_ns").as_int64(), stage.at("p90_ns").as_int64());
    EXPECT_LE(stage.at("p90_ns").as_int64(), stage.at("p99_ns").as_int64());
    EXPECT_LE(stage.at("p99_ns").as_int64(), stage.at("p999_ns").as_int64());
    EXPECT_LE(stage.at("p999_ns").as_int64(), stage.at("max_ns").as_int64());
  }
  const std::vector<std::string> expected = {"ingress_wait", "logic_apply",   "durable_wait",
                                             "answer_write", "request_total", "journal_sync"};
  EXPECT_EQ(names, expected);

  // Text: a table of its own, one row per stage, microseconds with one decimal.
  const TallyRun text = tally("stats");
  ASSERT_EQ(text.exit_code, 0) << text.errors;
  EXPECT_NE(text.output.find("\nlatency by stage, sampled requests, microseconds\n"),
            std::string::npos)
      << text.output;
  const std::vector<Row> rows = table_rows(text.output);
  EXPECT_NE(std::find(rows.begin(), rows.end(),
                      Row{"stage", "samples", "p50", "p90", "p99", "p99.9", "max"}),
            rows.end())
      << text.output;
  for (const std::string& stage : expected) {
    const auto row = std::find_if(rows.begin(), rows.end(),
                                  [&](const Row& candidate) { return candidate[0] == stage; });
    ASSERT_NE(row, rows.end()) << stage << "\n" << text.output;
    ASSERT_EQ(row->size(), 7u) << text.output;
    EXPECT_NE(row->at(6).find('.'), std::string::npos) << "max in microseconds: " << row->at(6);
  }
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
  for (const char* counter : {"uptime_ms",
                              "requests",
                              "commands",
                              "rejections",
                              "replayed_answers",
                              "requests_refused",
                              "connections_open",
                              "connections_accepted",
                              "connections_refused",
                              "connections_dropped",
                              "ingress_depth",
                              "ring_backlog",
                              "journal_lag",
                              "durable_sequence",
                              "snapshots_written",
                              "money_in",
                              "money_out",
                              "read_pauses",
                              "memory_budget_bytes",
                              "memory_in_use_bytes",
                              "memory_peak_bytes",
                              "memory_pauses"}) {
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
  EXPECT_EQ(stats.at("memory_budget_bytes").as_int64(), 256 << 20);  // the default budget
  EXPECT_GT(stats.at("memory_peak_bytes").as_int64(), 0);
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
  EXPECT_EQ(results[1].at("balance_minor").as_int64(), 501);  // 1 yen: the account's currency
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
      {"deposit alice 12.505", "has too many decimal places: EUR has 2 decimal places"},
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

// ---- Queries ------------------------------------------------------------------------------

TEST_F(TallyCliTest, AccountBalanceAndAccountsQueries) {
  tell_the_story();
  const std::map<std::string, std::string> alice = listing_of(answered("account alice"));
  EXPECT_EQ(alice.at("account"), "alice");
  EXPECT_EQ(alice.at("owner"), "Alice");
  EXPECT_EQ(alice.at("type"), "Checking");
  EXPECT_EQ(alice.at("currency"), "EUR");
  EXPECT_EQ(alice.at("status"), "Active");
  EXPECT_EQ(alice.at("balance"), "7.50");  // 10 + 2.50 - 1 - 4
  EXPECT_EQ(alice.at("overdraft_limit"), "5.00");
  EXPECT_EQ(alice.at("version"), "4");
  EXPECT_EQ(alice.at("opened_sequence"), "1");
  EXPECT_EQ(alice.count("freeze_reason"), 0u);  // only while frozen

  const boost::json::object bob = answered_json("account bob").at("account").as_object();
  EXPECT_EQ(text_of(bob, "type"), "Savings");
  EXPECT_EQ(bob.at("balance_minor").as_int64(), 400);
  EXPECT_EQ(text_of(bob, "balance"), "4.00");
  EXPECT_EQ(bob.at("version").as_int64(), 4);  // opened, transfer in, freeze, unfreeze
  EXPECT_GT(bob.at("created_ns").as_int64(), 0);
  EXPECT_EQ(text_of(bob, "created").substr(0, 10), date_of(bob.at("created_ns").as_int64()));

  EXPECT_EQ(rows_of(answered("balance dinar")),
            (std::vector<Row>{{"account", "balance", "currency", "version", "status"},
                              {"dinar", "1.005", "KWD", "1", "Active"}}));
  const boost::json::object yen = answered_json("balance yen");
  EXPECT_EQ(text_of(yen, "query"), "balance");
  EXPECT_GE(yen.at("read_sequence").as_int64(), 11);
  EXPECT_EQ(text_of(yen, "balance"), "1000");  // JPY: no decimals
  EXPECT_EQ(text_of(yen, "currency"), "JPY");

  // Two a page: the first page names the cursor of the second, which is the last.
  const std::vector<Row> first = rows_of(answered("accounts --limit 2"));
  EXPECT_EQ(first, (std::vector<Row>{
                       {"account", "owner", "type", "currency", "status", "balance", "version"},
                       {"alice", "Alice", "Checking", "EUR", "Active", "7.50", "4"},
                       {"bob", "Bob", "Savings", "EUR", "Active", "4.00", "4"},
                       {"total:", "4"},
                       {"next:", "--cursor", "2"}}));
  const std::vector<Row> second = rows_of(answered("accounts --limit 2 --cursor 2"));
  EXPECT_EQ(second, (std::vector<Row>{
                        {"account", "owner", "type", "currency", "status", "balance", "version"},
                        {"yen", "Alice", "Checking", "JPY", "Active", "1000", "1"},
                        {"dinar", "D", "Checking", "KWD", "Active", "1.005", "1"},
                        {"total:", "4"}}));
  const boost::json::object owned = answered_json("accounts --owner Alice");
  ASSERT_EQ(owned.at("accounts").as_array().size(), 2u);
  EXPECT_EQ(text_of(owned.at("accounts").as_array()[1].as_object(), "account_id"), "yen");
  EXPECT_EQ(owned.at("total").as_int64(), 2);
  EXPECT_EQ(owned.at("next_cursor").as_int64(), 0);

  // While frozen, an account says why.
  ASSERT_EQ(tally("freeze yen --reason 'a KYC check'").exit_code, 0);  // 12
  const std::map<std::string, std::string> frozen =
      listing_of(answered("account yen --min-sequence 12"));
  EXPECT_EQ(frozen.at("status"), "Frozen");
  EXPECT_EQ(frozen.at("freeze_reason"), "a KYC check");
  EXPECT_EQ(rows_of(answered("reserve JPY --min-sequence 12")).at(1),
            (Row{"JPY", "1000", "1", "0", "1", "0"}));
}

TEST_F(TallyCliTest, HistoryIsAStatementWithTheRunningBalance) {
  tell_the_story();
  const std::vector<Row> newest = without_column(rows_of(answered("history alice")), 1);
  EXPECT_EQ(newest, (std::vector<Row>{
                        {"sequence", "type", "amount", "balance", "counterparty", "transaction"},
                        {"6", "Transferred", "-4.00", "7.50", "bob", "1f"},
                        {"5", "Withdrawn", "-1.00", "11.50"},
                        {"4", "Deposited", "2.50", "12.50"},
                        {"1", "AccountOpened", "10.00", "10.00"}}));
  // The receiving side of the transfer.
  EXPECT_EQ(without_column(rows_of(answered("history bob")), 1),
            (std::vector<Row>{
                {"sequence", "type", "amount", "balance", "counterparty", "transaction"},
                {"6", "Transferred", "4.00", "4.00", "alice", "1f"},
                {"2", "AccountOpened", "0.00", "0.00"}}));  // an opening is a line, if empty

  // Oldest first, two a page, then the rest from the cursor it printed.
  const std::vector<Row> page = rows_of(answered("history alice --oldest-first --limit 2"));
  ASSERT_EQ(page.size(), 4u) << answered("history alice --oldest-first --limit 2");
  EXPECT_EQ(page[1].at(0), "1");
  EXPECT_EQ(page[2].at(0), "4");
  ASSERT_EQ(page[3], (Row{"next:", "--cursor", "2"}));
  const std::vector<Row> rest =
      without_column(rows_of(answered("history alice --oldest-first --limit 2 --cursor 2")), 1);
  EXPECT_EQ(rest, (std::vector<Row>{
                      {"sequence", "type", "amount", "balance", "counterparty", "transaction"},
                      {"5", "Withdrawn", "-1.00", "11.50"},
                      {"6", "Transferred", "-4.00", "7.50", "bob", "1f"}}));

  const boost::json::object history = answered_json("history alice --limit 1");
  EXPECT_EQ(text_of(history, "account_id"), "alice");
  EXPECT_EQ(text_of(history, "currency"), "EUR");
  EXPECT_NE(history.at("next_cursor").as_int64(), 0);
  const boost::json::object transfer = history.at("entries").as_array().at(0).as_object();
  EXPECT_EQ(transfer.at("sequence").as_int64(), 6);
  EXPECT_EQ(text_of(transfer, "type"), "Transferred");
  EXPECT_EQ(transfer.at("amount_minor").as_int64(), -400);
  EXPECT_EQ(text_of(transfer, "amount"), "-4.00");
  EXPECT_EQ(transfer.at("balance_minor").as_int64(), 750);
  EXPECT_EQ(text_of(transfer, "counterparty_id"), "bob");
  EXPECT_EQ(text_of(transfer, "transaction_id"), "1f");

  // A time window holding only the deposit: from its printed time (RFC 3339) up to the
  // withdrawal's, given as Unix nanoseconds.
  const boost::json::array all = answered_json("history alice").at("entries").as_array();
  const boost::json::object& deposit = all.at(2).as_object();
  const boost::json::object& withdrawal = all.at(1).as_object();
  ASSERT_EQ(deposit.at("sequence").as_int64(), 4);
  EXPECT_EQ(text_of(deposit, "timestamp").substr(0, 10),
            date_of(deposit.at("timestamp_ns").as_int64()));
  if (withdrawal.at("timestamp_ns").as_int64() > deposit.at("timestamp_ns").as_int64()) {
    const std::string window = "history alice --from " + text_of(deposit, "timestamp") + " --to " +
                               std::to_string(withdrawal.at("timestamp_ns").as_int64());
    const std::vector<Row> rows = rows_of(answered(window));
    ASSERT_EQ(rows.size(), 2u) << window;
    EXPECT_EQ(rows[1].at(0), "4");
    EXPECT_EQ(rows[1].at(1), text_of(deposit, "timestamp"));
  }
}

TEST_F(TallyCliTest, ATransactionGivenAsTextIsShownAsGiven) {
  ASSERT_EQ(tally("open t --owner T --currency EUR --initial-deposit 10").exit_code, 0);
  const TallyRun deposit = tally("deposit t 1 --transaction txn-9");
  ASSERT_EQ(deposit.exit_code, 0) << deposit.output << deposit.errors;
  // The same text is the same transaction, however it is sent.
  EXPECT_EQ(tally("deposit t 1 --transaction txn-9").exit_code, 1);
  const TallyRun both = tally("deposit t 1 --transaction txn-8 --transaction-id 1f");
  EXPECT_EQ(both.exit_code, 2) << both.output;
  EXPECT_NE(both.errors.find("--transaction"), std::string::npos) << both.errors;
  EXPECT_EQ(tally("deposit t 1 --transaction " + std::string(65, 'x')).exit_code, 2);
  ASSERT_EQ(tally("deposit t 2 --transaction-id 2e").exit_code, 0);

  const std::vector<Row> rows =
      without_column(rows_of(answered("history t --oldest-first --min-sequence 4")), 1);
  EXPECT_EQ(rows, (std::vector<Row>{
                      {"sequence", "type", "amount", "balance", "counterparty", "transaction"},
                      {"1", "AccountOpened", "10.00", "10.00"},
                      {"2", "Deposited", "1.00", "11.00", "txn-9"},
                      {"4", "Deposited", "2.00", "13.00", "2e"}}));
  const boost::json::object history = answered_json("history t --min-sequence 4");
  const boost::json::object& text = history.at("entries").as_array().at(1).as_object();
  EXPECT_EQ(text_of(text, "transaction_text"), "txn-9");
  std::string hex = hex_of(id_of_text("txn-9"));
  hex.erase(0, std::min(hex.find_first_not_of('0'), hex.size() - 1));
  EXPECT_EQ(text_of(text, "transaction_id"), hex);
  const boost::json::object& bits = history.at("entries").as_array().at(0).as_object();
  EXPECT_EQ(text_of(bits, "transaction_text"), "");
  EXPECT_EQ(text_of(bits, "transaction_id"), "2e");
}

TEST_F(TallyCliTest, TailPrintsTheDurableEventsFromASequenceWithFilters) {
  ASSERT_EQ(tally("open t --owner T --currency EUR --initial-deposit 10").exit_code, 0);
  ASSERT_EQ(tally("open u --owner U --currency JPY").exit_code, 0);
  ASSERT_EQ(tally("deposit t 2.50 --transaction inv-3").exit_code, 0);
  ASSERT_EQ(tally("deposit u 700").exit_code, 0);
  ASSERT_EQ(tally("withdraw t 99").exit_code, 1);  // a rejection is an event too

  const TallyRun all = tally("tail --from 1 --count 5 --json");
  ASSERT_EQ(all.exit_code, 0) << all.errors;
  std::vector<boost::json::object> events;
  std::istringstream lines(all.output);
  for (std::string line; std::getline(lines, line);) {
    events.push_back(boost::json::parse(line).as_object());
  }
  ASSERT_EQ(events.size(), 5u) << all.output;
  for (size_t index = 0; index < events.size(); ++index) {
    EXPECT_EQ(events[index].at("sequence").as_int64(), static_cast<int64_t>(index + 1));
  }
  EXPECT_EQ(text_of(events[2], "transaction_text"), "inv-3");
  EXPECT_EQ(text_of(events[2], "amount"), "2.50");
  EXPECT_EQ(text_of(events[3], "amount"), "700");  // in the account's currency (yen)
  EXPECT_EQ(text_of(events[4], "type"), "CommandRejected");
  EXPECT_EQ(text_of(events[4], "result"), "InsufficientFunds");

  // One account's deposits, starting later: the text lines name them.
  const TallyRun deposits = tally("tail --from 2 --account t --type Deposited --count 1");
  ASSERT_EQ(deposits.exit_code, 0) << deposits.errors;
  EXPECT_EQ(deposits.output.rfind("3  ", 0), 0u) << deposits.output;
  EXPECT_NE(deposits.output.find("2.50 EUR"), std::string::npos) << deposits.output;
  EXPECT_NE(deposits.output.find("inv-3"), std::string::npos) << deposits.output;

  const TallyRun unknown = tally("tail --type Spent --count 1");
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.errors.find("unknown event type"), std::string::npos) << unknown.errors;
  const TallyRun beyond = tally("tail --from 1000 --count 1");
  EXPECT_EQ(beyond.exit_code, 3) << beyond.output;
  EXPECT_NE(beyond.errors.find("SequenceUnavailable"), std::string::npos) << beyond.errors;
}

TEST_F(TallyCliTest, TrailShowsEveryEventWithTheReasonsOfRejections) {
  tell_the_story();
  EXPECT_EQ(
      without_column(rows_of(answered("trail bob")), 1),
      (std::vector<Row>{
          {"sequence", "event", "command", "result", "account", "counterparty", "amount", "balance",
           "version", "detail"},
          {"2", "AccountOpened", "OpenAccount", "Ok", "bob", "0.00", "1", "Savings", "EUR,",
           "overdraft", "0.00,", "owner", "Bob"},
          {"6", "Transferred", "Transfer", "Ok", "alice", "bob", "4.00", "4.00", "2"},
          {"7", "CommandRejected", "Withdraw", "InsufficientFunds", "bob", "100.00", "4.00", "2"},
          {"8", "AccountFrozen", "FreezeAccount", "Ok", "bob", "4.00", "3", "routine", "audit"},
          {"9", "CommandRejected", "Deposit", "AccountFrozen", "bob", "1.00", "4.00", "3"},
          {"10", "AccountUnfrozen", "UnfreezeAccount", "Ok", "bob", "4.00", "4"}}));

  const boost::json::object page = answered_json("trail bob --cursor 2 --limit 2");
  EXPECT_EQ(text_of(page, "currency"), "EUR");
  const boost::json::array& events = page.at("events").as_array();
  ASSERT_EQ(events.size(), 2u);
  const boost::json::object& rejected = events[0].as_object();
  EXPECT_EQ(rejected.at("sequence").as_int64(), 7);
  EXPECT_EQ(text_of(rejected, "type"), "CommandRejected");
  EXPECT_EQ(text_of(rejected, "command"), "Withdraw");
  EXPECT_EQ(text_of(rejected, "result"), "InsufficientFunds");
  EXPECT_EQ(rejected.at("code").as_int64(), 104);
  EXPECT_EQ(rejected.at("amount_minor").as_int64(), 10000);
  EXPECT_EQ(text_of(rejected, "amount"), "100.00");
  EXPECT_EQ(text_of(rejected, "request_id").size(), 32u);
  EXPECT_EQ(text_of(events[1].as_object(), "text"), "routine audit");
  EXPECT_EQ(page.at("next_cursor").as_int64(), 4);
  const std::vector<Row> first = rows_of(answered("trail bob --limit 3"));
  ASSERT_EQ(first.size(), 5u);  // the header, three events, the cursor
  EXPECT_EQ(first.back(), (Row{"next:", "--cursor", "3"}));
  const std::vector<Row> rest = rows_of(answered("trail bob --cursor 3"));
  ASSERT_EQ(rest.size(), 4u);  // the header and the last three: no cursor
  EXPECT_EQ(rest[1].at(0), "8");
  EXPECT_EQ(rest[3].at(0), "10");
}

TEST_F(TallyCliTest, TrailOnEitherSideOfARejectedTransferShowsTheAccountsOwnValues) {
  const std::vector<std::pair<std::string, int>> commands = {
      {"open alice --owner A --currency EUR --initial-deposit 10", 0},  // 1
      {"open bob --owner B --currency EUR --initial-deposit 3", 0},     // 2
      {"open yen --owner Y --currency JPY --initial-deposit 1000", 0},  // 3
      {"transfer alice bob 100", 1},                                    // 4: InsufficientFunds
      {"transfer alice bob 1", 0},                                      // 5
      {"transfer alice yen 1", 1},                                      // 6: CurrencyMismatch
      {"transfer bob alice 50", 1},                                     // 7: InsufficientFunds
      {"transfer yen alice 5 --currency JPY", 1}};                      // 8: CurrencyMismatch
  for (const auto& [command, exit_code] : commands) {
    const TallyRun run = tally(command);
    ASSERT_EQ(run.exit_code, exit_code) << command << ": " << run.output << run.errors;
  }
  // Each row: the balance and version of the account asked about, as they were after the event
  // (a rejection leaves them as they were), in its currency; an amount in another currency (a
  // transfer refused for it) says which.
  EXPECT_EQ(
      without_column(rows_of(answered("trail bob --min-sequence 8")), 1),
      (std::vector<Row>{{"sequence", "event", "command", "result", "account", "counterparty",
                         "amount", "balance", "version", "detail"},
                        {"2", "AccountOpened", "OpenAccount", "Ok", "bob", "3.00", "3.00", "1",
                         "Checking", "EUR,", "overdraft", "0.00,", "owner", "B"},
                        {"4", "CommandRejected", "Transfer", "InsufficientFunds", "alice", "bob",
                         "100.00", "3.00", "1"},
                        {"5", "Transferred", "Transfer", "Ok", "alice", "bob", "1.00", "4.00", "2"},
                        {"7", "CommandRejected", "Transfer", "InsufficientFunds", "bob", "alice",
                         "50.00", "4.00", "2"}}));
  EXPECT_EQ(without_column(rows_of(answered("trail yen --min-sequence 8")), 1),
            (std::vector<Row>{{"sequence", "event", "command", "result", "account", "counterparty",
                               "amount", "balance", "version", "detail"},
                              {"3", "AccountOpened", "OpenAccount", "Ok", "yen", "1000", "1000",
                               "1", "Checking", "JPY,", "overdraft", "0,", "owner", "Y"},
                              {"6", "CommandRejected", "Transfer", "CurrencyMismatch", "alice",
                               "yen", "1.00", "1000", "1", "amount", "in", "EUR"},
                              {"8", "CommandRejected", "Transfer", "CurrencyMismatch", "yen",
                               "alice", "5", "1000", "1"}}));
  EXPECT_EQ(without_column(rows_of(answered("trail alice --min-sequence 8 --cursor 3")), 1),
            (std::vector<Row>{{"sequence", "event", "command", "result", "account", "counterparty",
                               "amount", "balance", "version", "detail"},
                              {"6", "CommandRejected", "Transfer", "CurrencyMismatch", "alice",
                               "yen", "1.00", "9.00", "2"},
                              {"7", "CommandRejected", "Transfer", "InsufficientFunds", "bob",
                               "alice", "50.00", "9.00", "2"},
                              {"8", "CommandRejected", "Transfer", "CurrencyMismatch", "yen",
                               "alice", "5", "9.00", "2", "amount", "in", "JPY"}}));

  // JSON: every field of the event, each amount in the currency of the account it belongs to;
  // the receiving side's balance and version are there for a rejection too.
  const boost::json::object trail = answered_json("trail yen --min-sequence 8");
  EXPECT_EQ(text_of(trail, "currency"), "JPY");
  const boost::json::object& refused = trail.at("events").as_array().at(1).as_object();
  EXPECT_EQ(refused.at("sequence").as_int64(), 6);
  EXPECT_EQ(text_of(refused, "currency"), "EUR");  // of amount and balance: alice's
  EXPECT_EQ(text_of(refused, "amount"), "1.00");
  EXPECT_EQ(text_of(refused, "balance"), "9.00");
  EXPECT_EQ(refused.at("version").as_int64(), 2);
  EXPECT_EQ(text_of(refused, "counterparty_currency"), "JPY");
  EXPECT_EQ(text_of(refused, "counterparty_balance"), "1000");
  EXPECT_EQ(refused.at("counterparty_version").as_int64(), 1);
  const boost::json::object bob_trail = answered_json("trail bob --min-sequence 8");
  const boost::json::object& bob_refused = bob_trail.at("events").as_array().at(1).as_object();
  EXPECT_EQ(bob_refused.at("sequence").as_int64(), 4);
  EXPECT_EQ(bob_refused.at("counterparty_balance_minor").as_int64(), 300);
  EXPECT_EQ(bob_refused.at("counterparty_version").as_int64(), 1);
}

TEST_F(TallyCliTest, ReserveTopSummaryAndDailyBalances) {
  tell_the_story();
  EXPECT_EQ(
      rows_of(answered("reserve")),
      (std::vector<Row>{{"currency", "total_balance", "accounts", "active", "frozen", "closed"},
                        {"EUR", "11.50", "2", "2", "0", "0"},  // 7.50 + 4.00
                        {"JPY", "1000", "1", "1", "0", "0"},
                        {"KWD", "1.005", "1", "1", "0", "0"}}));
  const boost::json::object euro = answered_json("reserve EUR");
  ASSERT_EQ(euro.at("currencies").as_array().size(), 1u);
  EXPECT_EQ(euro.at("currencies").as_array()[0].at("total_balance_minor").as_int64(), 1150);
  EXPECT_EQ(text_of(euro.at("currencies").as_array()[0].as_object(), "total_balance"), "11.50");

  EXPECT_EQ(rows_of(answered("top EUR")), (std::vector<Row>{{"rank", "account", "owner", "balance"},
                                                            {"1", "alice", "Alice", "7.50"},
                                                            {"2", "bob", "Bob", "4.00"}}));
  const boost::json::object top = answered_json("top EUR --limit 1");
  ASSERT_EQ(top.at("accounts").as_array().size(), 1u);
  EXPECT_EQ(text_of(top.at("accounts").as_array()[0].as_object(), "account_id"), "alice");

  const std::map<std::string, std::string> alice = listing_of(answered("summary alice"));
  EXPECT_EQ(alice.at("currency"), "EUR");
  EXPECT_EQ(alice.at("deposited"), "12.50");  // the opening 10 and 2.50
  EXPECT_EQ(alice.at("deposits"), "2");
  EXPECT_EQ(alice.at("withdrawn"), "1.00");
  EXPECT_EQ(alice.at("withdrawals"), "1");
  EXPECT_EQ(alice.at("transferred_in"), "0.00");
  EXPECT_EQ(alice.at("transfers_in"), "0");
  EXPECT_EQ(alice.at("transferred_out"), "4.00");
  EXPECT_EQ(alice.at("transfers_out"), "1");
  EXPECT_EQ(alice.at("rejections"), "0");
  const boost::json::object bob = answered_json("summary bob");
  EXPECT_EQ(bob.at("transferred_in_minor").as_int64(), 400);
  EXPECT_EQ(text_of(bob, "transferred_in"), "4.00");
  EXPECT_EQ(bob.at("transfers_in").as_int64(), 1);
  EXPECT_EQ(bob.at("rejections").as_int64(), 2);
  EXPECT_LE(bob.at("first_activity_ns").as_int64(), bob.at("last_activity_ns").as_int64());

  // The story happened today (UTC): a window around today has one day, alice's balance at its
  // end; the days to come are not known yet. (Alice's last event is the transfer, 6.)
  const int64_t last_ns =
      answered_json("balance-at alice --sequence 11").at("timestamp_ns").as_int64();
  const int64_t day_ns = 86'400'000'000'000;
  const std::string yesterday = date_of(last_ns - day_ns);
  const std::string today = date_of(last_ns);
  const std::string tomorrow = date_of(last_ns + day_ns);
  EXPECT_EQ(rows_of(answered("daily alice " + yesterday + " " + tomorrow)),
            (std::vector<Row>{{"date", "balance"}, {today, "7.50"}}));
  const int64_t opened_ns =
      answered_json("balance-at dinar --sequence 11").at("timestamp_ns").as_int64();
  const std::string opened = date_of(opened_ns);
  const boost::json::object daily = answered_json("daily dinar " + opened + " " + opened);
  ASSERT_EQ(daily.at("days").as_array().size(), 1u);
  EXPECT_EQ(text_of(daily.at("days").as_array()[0].as_object(), "date"), opened);
  EXPECT_EQ(daily.at("days").as_array()[0].at("day").as_int64(), read::day_of(opened_ns));
  EXPECT_EQ(text_of(daily.at("days").as_array()[0].as_object(), "balance"), "1.005");
  EXPECT_EQ(rows_of(answered("daily alice 2020-01-01 2020-01-31")).size(), 1u);  // before it
}

TEST_F(TallyCliTest, SearchAndBalanceAt) {
  tell_the_story();
  // Without --account the amounts are minor units: 300 is 3.00 EUR, and 300 yen, 0.300 KWD.
  EXPECT_EQ(without_column(rows_of(answered("search --min 300")), 1),
            (std::vector<Row>{
                {"sequence", "type", "account", "counterparty", "amount", "balance", "transaction"},
                {"1", "AccountOpened", "alice", "10.00", "10.00"},
                {"3", "AccountOpened", "yen", "1000", "1000"},
                {"6", "Transferred", "alice", "bob", "4.00", "7.50", "1f"},
                {"11", "AccountOpened", "dinar", "1.005", "1.005"}}));
  // With --account they are decimals in its currency.
  EXPECT_EQ(without_column(rows_of(answered("search --account alice --min 3 --max 5")), 1),
            (std::vector<Row>{
                {"sequence", "type", "account", "counterparty", "amount", "balance", "transaction"},
                {"6", "Transferred", "alice", "bob", "4.00", "7.50", "1f"}}));
  const boost::json::object withdrawals = answered_json("search --type withdrawn");
  const boost::json::array& found = withdrawals.at("events").as_array();
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].at("sequence").as_int64(), 5);
  EXPECT_EQ(text_of(found[0].as_object(), "amount"), "1.00");
  EXPECT_EQ(text_of(found[0].as_object(), "currency"), "EUR");  // looked up: not on the wire
  EXPECT_EQ(withdrawals.at("next_cursor").as_int64(), 0);

  const std::vector<Row> first = rows_of(answered("search --type opened --limit 1"));
  ASSERT_EQ(first.size(), 3u);
  EXPECT_EQ(first[1].at(0), "1");
  ASSERT_EQ(first[2].at(0), "next:");
  const std::vector<Row> next =
      rows_of(answered("search --type opened --limit 5 --cursor " + first[2].at(2)));
  ASSERT_EQ(next.size(), 3u);  // yen and dinar; bob opened with nothing: no money moved
  EXPECT_EQ(next[1].at(0), "3");
  EXPECT_EQ(next[2].at(0), "11");

  const std::map<std::string, std::string> at_five =
      listing_of(answered("balance-at alice --sequence 5"));
  EXPECT_EQ(at_five.at("currency"), "EUR");
  EXPECT_EQ(at_five.at("existed"), "yes");
  EXPECT_EQ(at_five.at("balance"), "11.50");
  EXPECT_EQ(at_five.at("version"), "3");
  EXPECT_EQ(at_five.at("sequence"), "5");
  const boost::json::object before = answered_json("balance-at bob --sequence 1");
  EXPECT_FALSE(before.at("existed").as_bool());
  EXPECT_EQ(text_of(before, "balance"), "0.00");
  EXPECT_FALSE(answered_json("balance-at bob --time 1970-01-01T00:00:01Z").at("existed").as_bool());
  // At the transfer's own time (as printed), bob has received it.
  const boost::json::object transfer = answered_json("balance-at alice --sequence 6");
  const boost::json::object received =
      answered_json("balance-at bob --time " + text_of(transfer, "timestamp"));
  EXPECT_EQ(received.at("balance_minor").as_int64(), 400);
  EXPECT_EQ(received.at("sequence").as_int64(), 6);
  // The same instant written in a zone an hour ahead of UTC; and a nanosecond before it, as
  // Unix nanoseconds, when bob still had what he opened with.
  const int64_t transfer_ns = transfer.at("timestamp_ns").as_int64();
  const int64_t local_ns = transfer_ns + 3'600'000'000'000;
  const int64_t second_of_day = local_ns / 1'000'000'000 % 86'400;
  char local[64];
  std::snprintf(
      local, sizeof(local), "%sT%02lld:%02lld:%02lld.%09lld+01:00", date_of(local_ns).c_str(),
      static_cast<long long>(second_of_day / 3600), static_cast<long long>(second_of_day / 60 % 60),
      static_cast<long long>(second_of_day % 60), static_cast<long long>(local_ns % 1'000'000'000));
  EXPECT_EQ(answered_json(std::string("balance-at bob --time ") + local).at("sequence").as_int64(),
            6)
      << local;
  const boost::json::object earlier =
      answered_json("balance-at bob --time " + std::to_string(transfer_ns - 1));
  EXPECT_TRUE(earlier.at("existed").as_bool());
  EXPECT_EQ(text_of(earlier, "balance"), "0.00");
  EXPECT_EQ(earlier.at("sequence").as_int64(), 2);
}

TEST_F(TallyCliTest, RefusedQueriesExitThreeWithTheServersMessage) {
  tell_the_story();
  const std::vector<std::pair<std::string, std::string>> refused = {
      {"account nobody", "refused the request: AccountNotFound: no account 'nobody'"},
      {"trail nobody", "AccountNotFound"},
      {"search --account nobody --min 1", "AccountNotFound"},
      {"history alice --limit 5000", "LimitExceeded: limit 5000 is over the maximum of 1000"},
      {"top EUR --limit 101", "LimitExceeded"},
      {"history alice --from 2026-11-24T00:00:00Z --to 2026-11-23T00:00:00Z", "InvalidArgument"},
      {"daily alice 2026-03-02 2026-03-01", "InvalidArgument"},
      {"daily alice 2000-01-01 2026-03-01", "LimitExceeded"},
      {"search --min 10 --max 5", "InvalidArgument"},
      {"balance-at alice --sequence 999", "InvalidArgument"}};
  for (const auto& [arguments, message] : refused) {
    const TallyRun run = query(arguments);
    EXPECT_EQ(run.exit_code, 3) << arguments;
    EXPECT_EQ(run.output, "") << arguments;
    EXPECT_NE(run.errors.find(message), std::string::npos) << arguments << ": " << run.errors;
  }

  // What tally cannot read is a usage error, and nothing is sent.
  const std::vector<std::pair<std::string, std::string>> unusable = {
      {"daily alice 2026-02-30 2026-03-01", "from-date \"2026-02-30\" is not a date"},
      {"daily alice 2026-03-01 tomorrow", "to-date \"tomorrow\" is not a date"},
      {"history alice --from yesterday", "--from \"yesterday\" is not a time"},
      {"history alice --to 1969-12-31T23:59:59Z", "is before 1970-01-01T00:00:00Z"},
      {"search --min 1.50", "--min \"1.50\" is not a whole number of minor units"},
      {"search --account alice --min 1.234", "has too many decimal places: EUR has 2"},
      {"search --max 0", "--max must be above 0"},
      {"search --type frozen", "--type"},
      {"balance-at alice", "one of --time TIME and --sequence N"},
      {"balance-at alice --time 2026-11-23T10:00:00Z --sequence 3", "excludes"},
      {"--request-id 0123456789abcdef0123456789abcdef balance alice",
       "--request-id is for commands; balance is a query"},
      {"history", "account is required"}};
  for (const auto& [arguments, message] : unusable) {
    const TallyRun run = query(arguments);
    EXPECT_EQ(run.exit_code, 2) << arguments;
    EXPECT_EQ(run.output, "") << arguments;
    EXPECT_NE(run.errors.find(message), std::string::npos) << arguments << ": " << run.errors;
  }
}

TEST_F(TallyCliTest, GlobalOptionsWorkBeforeTheCommandAsDocumented) {
  const std::string port = std::to_string(server_->port());
  ASSERT_EQ(run_tally("--port " + port + " open alice --owner A --currency EUR").exit_code, 0);
  // The README's own example, and the same with the option after the query.
  for (const std::string& arguments :
       {"--port " + port + " --min-sequence 1 balance alice",
        "--port " + port + " balance alice --min-sequence 1", "balance alice --port " + port}) {
    const TallyRun run = run_tally(arguments);
    EXPECT_EQ(run.exit_code, 0) << arguments << ": " << run.errors;
    EXPECT_EQ(rows_of(run.output).at(1).at(0), "alice") << arguments << ": " << run.output;
  }
  // Every global option, before the command and after it.
  const std::string all_before = "--host 127.0.0.1 --port " + port +
                                 " --timeout-ms 5000 --json --min-sequence 1 balance alice";
  const std::string all_after = "balance alice --host 127.0.0.1 --port " + port +
                                " --timeout-ms 5000 --json --min-sequence 1";
  for (const std::string& arguments : {all_before, all_after}) {
    const TallyRun run = run_tally(arguments);
    ASSERT_EQ(run.exit_code, 0) << arguments << ": " << run.errors;
    EXPECT_EQ(text_of(json_lines(run.output).at(0), "query"), "balance") << arguments;
  }
  const std::string id = " --request-id 0123456789abcdef0123456789abcdef";
  const TallyRun first = run_tally("--host 127.0.0.1 --port " + port + " --timeout-ms 5000" + id +
                                   " --json deposit alice 1");
  ASSERT_EQ(first.exit_code, 0) << first.errors;
  const TallyRun again = run_tally("deposit alice 1 --host 127.0.0.1 --port " + port +
                                   " --timeout-ms 5000" + id + " --json");
  ASSERT_EQ(again.exit_code, 0) << again.errors;
  EXPECT_EQ(json_lines(again.output).at(0).at("replayed").as_bool(), true);  // the same request
  for (const std::string& arguments :
       {"--json --port " + port + " stats", "stats --json --port " + port,
        "--json --port " + port + " projections", "projections --json --port " + port,
        "--json --port " + port + " batch --atomic", "batch --atomic --json --port " + port}) {
    const TallyRun run = run_tally(arguments, "deposit alice 1\n");
    EXPECT_EQ(run.exit_code, 0) << arguments << ": " << run.errors;
    EXPECT_NO_THROW(json_lines(run.output)) << arguments << ": " << run.output;
  }
  // Each where it means something: refused elsewhere, never ignored.
  const TallyRun command = tally("--min-sequence 1 deposit alice 1");
  EXPECT_EQ(command.exit_code, 2);
  EXPECT_NE(command.errors.find("--min-sequence is for queries"), std::string::npos)
      << command.errors;
  EXPECT_EQ(tally("batch --min-sequence 1", "deposit alice 1\n").exit_code, 2);
  EXPECT_EQ(tally("stats --min-sequence 1").exit_code, 2);
}

TEST_F(TallyCliTest, VersionPrintsTallyAndTheProjectVersion) {
  const TallyRun version = run_tally("--version");
  EXPECT_EQ(version.exit_code, 0) << version.errors;
  client::Client client(server_->client_options());
  client.connect();
  // tallyd tells its version, the project's, in its handshake.
  EXPECT_EQ(version.output, "tally " + client.server().server_version + "\n");
  EXPECT_EQ(tally("--version").output, version.output);
}

TEST_F(TallyCliTest, MinSequenceReadsYourOwnWritesOrTimesOut) {
  TallydProcess impatient(directory_ + "/impatient", {"--read-wait-ms", "200"});
  const std::string port = "--port " + std::to_string(impatient.port()) + " ";
  ASSERT_EQ(run_tally(port + "open alice --owner A --currency EUR").exit_code, 0);
  const TallyRun deposit = run_tally(port + "--json deposit alice 12.50");
  ASSERT_EQ(deposit.exit_code, 0) << deposit.errors;
  const int64_t sequence = json_lines(deposit.output).at(0).at("sequence").as_int64();
  const TallyRun read =
      run_tally(port + "balance alice --json --min-sequence " + std::to_string(sequence));
  ASSERT_EQ(read.exit_code, 0) << read.errors;
  EXPECT_EQ(json_lines(read.output).at(0).at("balance_minor").as_int64(), 1250);
  EXPECT_GE(json_lines(read.output).at(0).at("read_sequence").as_int64(), sequence);

  const auto started = std::chrono::steady_clock::now();
  const TallyRun future = run_tally(port + "balance alice --min-sequence 1000000");
  EXPECT_EQ(future.exit_code, 3);
  EXPECT_EQ(future.output, "");
  EXPECT_NE(future.errors.find("the server refused the request: Timeout: "), std::string::npos)
      << future.errors;
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(200));
  const TallyRun history = run_tally(port + "history alice --min-sequence 1000000");
  EXPECT_EQ(history.exit_code, 3);
  EXPECT_NE(history.errors.find("Timeout"), std::string::npos) << history.errors;

  const TallyRun status = run_tally(port + "projections --json");
  ASSERT_EQ(status.exit_code, 0) << status.errors;
  const boost::json::object report = json_lines(status.output).at(0);
  const boost::json::array& projectors = report.at("projectors").as_array();
  ASSERT_EQ(projectors.size(), 2u);
  EXPECT_EQ(text_of(projectors[0].as_object(), "name"), "accounts");
  EXPECT_EQ(projectors[0].at("queries_timed_out").as_int64(), 1);
  EXPECT_EQ(text_of(projectors[1].as_object(), "name"), "history");
  EXPECT_EQ(projectors[1].at("queries_timed_out").as_int64(), 1);
}

TEST_F(TallyCliTest, ProjectionsShowTheirProgressAndRebuild) {
  tell_the_story();
  // The status is answered at once, not by the projectors: a query to each of them first
  // waits until it has applied the story.
  answered("balance alice");
  answered("history alice");
  const std::vector<Row> status = rows_of(answered("projections"));
  ASSERT_EQ(status.size(), 4u) << answered("projections");
  EXPECT_EQ(status[0], (Row{"durable_sequence", "11"}));
  EXPECT_EQ(status[1], (Row{"projector", "applied", "lag", "events", "answered", "waiting",
                            "timed_out", "rebuilds", "state"}));
  EXPECT_EQ(status[2].at(0), "accounts");
  EXPECT_EQ(status[3].at(0), "history");
  for (const Row& row : {status[2], status[3]}) {
    EXPECT_EQ(row.at(1), "11") << row.at(0);  // applied
    EXPECT_EQ(row.at(2), "0") << row.at(0);   // lag
    EXPECT_EQ(row.at(3), "11") << row.at(0);  // events
    EXPECT_EQ(row.at(6), "0") << row.at(0);   // timed out
    EXPECT_EQ(row.at(7), "0") << row.at(0);   // rebuilds
    EXPECT_EQ(row.at(8), "ok") << row.at(0);
  }

  const TallyRun rebuild = tally("projections rebuild");
  EXPECT_EQ(rebuild.exit_code, 0) << rebuild.errors;
  EXPECT_EQ(rebuild.output.find("rebuild started"), 0u) << rebuild.output;
  // Once rebuilt, each projector counts one rebuild and has applied the story again.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  boost::json::object report;
  for (;;) {
    report = answered_json("projections");
    const boost::json::array& projectors = report.at("projectors").as_array();
    const bool done = std::all_of(projectors.begin(), projectors.end(), [](const auto& projector) {
      return projector.at("rebuilds").as_int64() == 1 &&
             projector.at("applied_sequence").as_int64() == 11;
    });
    if (done || std::chrono::steady_clock::now() > deadline) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(report.at("durable_sequence").as_int64(), 11);
  for (const boost::json::value& projector : report.at("projectors").as_array()) {
    EXPECT_EQ(projector.at("rebuilds").as_int64(), 1) << boost::json::serialize(projector);
    EXPECT_EQ(projector.at("events_applied").as_int64(), 11) << boost::json::serialize(projector);
    EXPECT_FALSE(projector.at("failed").as_bool());
  }
  // The rebuilt read models answer as before.
  EXPECT_EQ(listing_of(answered("account alice")).at("balance"), "7.50");
  EXPECT_EQ(rows_of(answered("history bob")).size(), 3u);  // the header, transfer, opening
  const boost::json::object json_rebuild = answered_json("projections rebuild");
  EXPECT_EQ(text_of(json_rebuild, "query"), "projections rebuild");
  EXPECT_TRUE(json_rebuild.at("rebuild_started").as_bool());
}

}  // namespace
}  // namespace tally
