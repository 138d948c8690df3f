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
#include "tools/load/http_requests.h"
#include "tools/load/http_response_parser.h"

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
  // HTTP mode: the load on the HTTP listener, the checks on the binary port.
  std::string http_ports() const {
    return port() + " --http-port " + std::to_string(server_->http_port());
  }

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

// ---- HTTP mode -----------------------------------------------------------------------------

TEST_F(TallyLoadTest, AnHttpRunAcknowledgesDepositsAndTheBalancesAddUp) {
  const ProgramRun run = run_load(
      "--duration 1.5 --accounts 100 --connections 2 --pipeline 4 --initial-deposit 500 "
      "--json" +
      http_ports());
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("\"protocol\":\"http\""), std::string::npos) << run.output;
  EXPECT_EQ(json_number(run.output, "batch"), 1) << run.output;  // the default over HTTP
  const long long deposits = json_number(run.output, "commands");
  EXPECT_GT(deposits, 0) << run.output;
  EXPECT_EQ(json_number(run.output, "requests"), deposits) << run.output;  // one per request
  EXPECT_EQ(json_number(run.output, "Ok"), deposits) << run.output;
  EXPECT_EQ(json_number(run.output, "http_errors"), 0) << run.output;
  EXPECT_NE(run.output.find("\"first_http_error\":null"), std::string::npos) << run.output;
  EXPECT_GT(json_number(run.output, "p99"), 0);
  // The server's counters moved by exactly the acknowledged deposits, and the reserve (the
  // read side's sum of every balance) by the openings and the deposits.
  EXPECT_NE(run.output.find("\"check\":\"passed\""), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("\"reserve_check\":\"passed\""), std::string::npos) << run.output;

  // And one balance read over the binary protocol agrees with what was deposited into it.
  const ProgramRun one = run_load(
      "--duration 0.5 --accounts 2 --hot-account-ratio 0.5 --hot-selection-rate 1 "
      "--min-amount 7 --max-amount 7 --initial-deposit 100 --account-prefix one- "
      "--connections 1 --json" +
      http_ports());
  ASSERT_EQ(one.exit_code, 0) << one.output;
  const long long one_deposits = json_number(one.output, "commands");
  ASSERT_GT(one_deposits, 0) << one.output;
  client::Client reader(server_->client_options("reader"));
  reader.connect();
  const client::QueryReply balance =
      reader.query(client::Query::balance("one-0").min_sequence(reader.stats().durable_sequence));
  const auto* result = balance.body<protocol::BalanceResult>();
  ASSERT_NE(result, nullptr);
  EXPECT_EQ(result->balance(), 100 + 7 * one_deposits);
}

TEST_F(TallyLoadTest, AnOpenLoopHttpRunSendsAtTheRequestedRate) {
  // Three connections on two threads: one drives two of them.
  const ProgramRun run =
      run_load("--duration 1 --accounts 50 --connections 3 --http-threads 2 --rate 2000 --json" +
               http_ports());
  EXPECT_EQ(run.exit_code, 0) << run.output;
  const long long deposits = json_number(run.output, "commands");
  EXPECT_GE(deposits, 1500) << run.output;  // 2,000 deposits/s for a second, give or take
  EXPECT_LE(deposits, 2100) << run.output;
  EXPECT_EQ(json_number(run.output, "http_errors"), 0) << run.output;
  EXPECT_NE(run.output.find("\"reserve_check\":\"passed\""), std::string::npos) << run.output;
}

TEST_F(TallyLoadTest, HttpErrorsAreCountedAndTheFirstIsShown) {
  // Accounts opened just short of the largest balance: every deposit overflows, and the engine
  // rejects it (422, Overflow).
  const ProgramRun run = run_load(
      "--duration 0.5 --accounts 2 --initial-deposit 9223372036854775000 --min-amount 1000 "
      "--max-amount 1000 --connections 1 --pipeline 2" +
      http_ports());
  // The rejected deposits count as commands with their code, as the server counts them, so
  // the checks hold.
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("results: Overflow "), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("check: server totals match"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("reserve check: ok"), std::string::npos) << run.output;
  EXPECT_EQ(run.output.find("http errors (not 2xx): 0"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("; the first: 422 {\"code\":112,"), std::string::npos) << run.output;
}

TEST_F(TallyLoadTest, HttpModeRefusesBatchesAndReads) {
  const ProgramRun batch = testing::run_program(
      std::string(TALLY_LOAD_PATH) + " --batch 8 --duration 0.1" + http_ports(),
      testing::Capture::kStandardOutputAndError);
  EXPECT_EQ(batch.exit_code, 2) << batch.output;
  EXPECT_NE(batch.output.find("--batch must be 1 with --http-port"), std::string::npos)
      << batch.output;
  EXPECT_EQ(run_load("--read-weight 0.5 --duration 0.1" + http_ports()).exit_code, 2);
  EXPECT_EQ(run_load("--account-prefix a/b --duration 0.1" + http_ports()).exit_code, 2);
  EXPECT_EQ(run_load("--connections 2 --http-threads 3 --duration 0.1" + http_ports()).exit_code,
            2);
  // --batch 1 said out loud is fine.
  EXPECT_EQ(
      run_load("--batch 1 --duration 0.2 --accounts 5 --connections 1" + http_ports()).exit_code,
      0);
}

// ---- The HTTP mode's parts ---------------------------------------------------------------

constexpr std::string_view kTwoAnswers =
    "HTTP/1.1 200 OK\r\nServer: tallyd\r\nContent-Type: application/json\r\n"
    "Content-Length: 59\r\n\r\n"
    "{\"sequence\":12,\"balance\":1000,\"version\":2,\"replayed\":false}"
    "HTTP/1.1 404 Not Found\r\ncontent-length:  10 \r\n\r\n{\"code\":3}";

// Feeds `bytes` to `parser` in pieces of `piece` bytes, taking every answer as it comes.
std::vector<std::pair<unsigned, std::string>> parse_in_pieces(std::string_view bytes,
                                                              size_t piece) {
  load::HttpResponseParser parser;
  std::vector<std::pair<unsigned, std::string>> answers;
  for (size_t at = 0; at < bytes.size(); at += piece) {
    const std::string_view part = bytes.substr(at, piece);
    const std::span<char> room = parser.prepare(part.size());
    std::copy(part.begin(), part.end(), room.begin());
    parser.commit(part.size());
    load::HttpResponse answer;
    load::HttpResponseParser::Next next;
    while ((next = parser.next(answer)) == load::HttpResponseParser::Next::kAnswer) {
      answers.emplace_back(answer.status, std::string(answer.body));
    }
    EXPECT_EQ(next, load::HttpResponseParser::Next::kNeedMore) << parser.problem();
  }
  EXPECT_EQ(parser.buffered(), 0u);
  return answers;
}

TEST(HttpResponseParserTest, TakesAnswersSplitAnywhereAndSeveralInOneRead) {
  for (const size_t piece :
       {size_t{1}, size_t{2}, size_t{3}, size_t{7}, size_t{64}, kTwoAnswers.size()}) {
    const auto answers = parse_in_pieces(kTwoAnswers, piece);
    ASSERT_EQ(answers.size(), 2u) << "pieces of " << piece;
    EXPECT_EQ(answers[0].first, 200u);
    EXPECT_EQ(load::unsigned_field(answers[0].second, "sequence"), 12u);
    EXPECT_EQ(load::unsigned_field(answers[0].second, "version"), 2u);
    EXPECT_EQ(answers[1].first, 404u);
    EXPECT_EQ(answers[1].second, "{\"code\":3}");
  }
  // Many answers in one read, more than the first room held.
  std::string many;
  for (int index = 0; index < 5000; ++index) {
    many.append(kTwoAnswers);
  }
  EXPECT_EQ(parse_in_pieces(many, 100'000).size(), 10'000u);
}

TEST(HttpResponseParserTest, RefusesWhatItCannotRead) {
  for (const std::string_view bytes :
       {std::string_view("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello"),
        std::string_view("HTTP/1.1 200 OK\r\nServer: tallyd\r\n\r\n"),
        std::string_view("SMTP 220 ready\r\n\r\n"),
        std::string_view("HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n"),
        std::string_view("HTTP/1.1 200 OK\r\nContent-Length: 12x\r\n\r\n")}) {
    load::HttpResponseParser parser;
    const std::span<char> room = parser.prepare(bytes.size());
    std::copy(bytes.begin(), bytes.end(), room.begin());
    parser.commit(bytes.size());
    load::HttpResponse answer;
    EXPECT_EQ(parser.next(answer), load::HttpResponseParser::Next::kMalformed) << bytes;
    EXPECT_FALSE(parser.problem().empty());
    EXPECT_EQ(parser.next(answer), load::HttpResponseParser::Next::kMalformed);  // for good
  }
  // A header that never ends.
  load::HttpResponseParser parser;
  const std::string endless = "HTTP/1.1 200 OK\r\n" + std::string(20'000, 'x');
  const std::span<char> room = parser.prepare(endless.size());
  std::copy(endless.begin(), endless.end(), room.begin());
  parser.commit(endless.size());
  load::HttpResponse answer;
  EXPECT_EQ(parser.next(answer), load::HttpResponseParser::Next::kMalformed);
}

TEST(HttpRequestsTest, ADepositIsOneWholeRequest) {
  const load::HttpRequests requests("127.0.0.1", 8080);
  std::string out;
  requests.append_deposit(out, "acc-7", 1000);
  EXPECT_EQ(out,
            "POST /api/accounts/acc-7/deposits HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
            "Content-Type: application/json\r\nContent-Length: 15\r\n\r\n{\"amount\":1000}");
  out.clear();
  requests.append_open_account(out, "acc-7", "EUR", 50);
  const std::string body =
      "{\"accountId\":\"acc-7\",\"ownerId\":\"tally-load\",\"currency\":\"EUR\","
      "\"initialDeposit\":50}";
  EXPECT_EQ(out,
            "POST /api/accounts HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
            "Content-Type: application/json\r\nContent-Length: " +
                std::to_string(body.size()) + "\r\n\r\n" + body);
  EXPECT_TRUE(load::plain_account_text("load-0a1b-17"));
  EXPECT_FALSE(load::plain_account_text("a/b"));
  EXPECT_FALSE(load::plain_account_text("a\"b"));
}

}  // namespace
}  // namespace tally

namespace tally {
namespace {

// Over TLS, with an auth file: the key and the CA reach every connection (setup, load,
// checks).
TEST(TallyLoadSecuredTest, ALoadOverTlsWithAnApiKeyPassesItsChecks) {
  const std::string root = testing::make_temporary_directory("tally-load-tls-test");
  const testing::ProgramRun made = testing::run_program(
      "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost"
      " -addext subjectAltName=IP:127.0.0.1 -keyout " +
          root + "/key.pem -out " + root + "/cert.pem",
      testing::Capture::kStandardOutputAndError);
  ASSERT_EQ(made.exit_code, 0) << made.output;
  const testing::ProgramRun digest = testing::run_program(
      "echo load-secret | " + std::string(TALLY_TALLYD_PATH) + " --hash-api-key",
      testing::Capture::kStandardOutput);
  ASSERT_EQ(digest.exit_code, 0);
  ASSERT_EQ(
      std::system(("echo \"loader admin " + digest.output.substr(0, digest.output.size() - 1) +
                   "\" > " + root + "/keys")
                      .c_str()),
      0);
  {
    testing::TallydProcess server(root + "/data",
                                  {"--tls-cert", root + "/cert.pem", "--tls-key", root + "/key.pem",
                                   "--auth-file", root + "/keys"});
    const ProgramRun run = run_load("--duration 1 --accounts 50 --connections 2 --json --port " +
                                    std::to_string(server.port()) + " --tls-ca " + root +
                                    "/cert.pem --api-key load-secret");
    EXPECT_EQ(run.exit_code, 0) << run.output;
    EXPECT_NE(run.output.find("\"check\":\"passed\""), std::string::npos) << run.output;
    // Without the key nothing runs, and it says why.
    const ProgramRun refused =
        run_load("--duration 1 --accounts 5 --port " + std::to_string(server.port()) +
                 " --tls-ca " + root + "/cert.pem");
    EXPECT_NE(refused.exit_code, 0) << refused.output;
  }
  std::system(("rm -rf " + root).c_str());
}

}  // namespace
}  // namespace tally
