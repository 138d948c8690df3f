// The HTTP/JSON listener end to end: the real tallyd, driven by the real curl (as the NestJS
// service's clients and scripts drive it) and by a raw socket where a client must misbehave.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "net/client/client.h"
#include "support/program_run.h"
#include "support/raw_socket.h"
#include "support/tallyd_process.h"

namespace tally {
namespace {

namespace json = boost::json;
using testing::TallydProcess;

struct CurlAnswer {
  int status = 0;
  std::string body;
  std::string headers;
  json::value json() const {
    boost::system::error_code error;
    json::value value = json::parse(body, error);
    EXPECT_FALSE(error) << "not JSON: " << body;
    return value;
  }
};

// Single-quoted for /bin/sh.
std::string quoted(const std::string& text) {
  std::string result = "'";
  for (const char character : text) {
    result += character == '\'' ? std::string("'\\''") : std::string(1, character);
  }
  return result + "'";
}

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override { data_ = testing::make_temporary_directory("http-test") + "/data"; }
  void TearDown() override {
    server_.reset();
    std::system(("rm -rf " + data_.substr(0, data_.rfind('/'))).c_str());
  }
  TallydProcess& start(std::vector<std::string> arguments = {}) {
    server_ = std::make_unique<TallydProcess>(data_, std::move(arguments));
    base_ = "http://127.0.0.1:" + std::to_string(server_->http_port());
    return *server_;
  }

  // curl METHOD PATH [BODY] [headers]: the status, headers and body it got.
  CurlAnswer curl(const std::string& method, const std::string& path, const std::string& body = "",
                  const std::vector<std::string>& headers = {}) {
    const std::string header_file = data_ + ".headers";
    std::string command = "curl -s -S --max-time 20 -D " + header_file + " -X " + method;
    for (const std::string& header : headers) {
      command += " -H " + quoted(header);
    }
    if (!body.empty()) {
      command += " -H 'Content-Type: application/json' --data-binary " + quoted(body);
    }
    command += " -w '\\n%{http_code}' " + quoted(base_ + path);
    const testing::ProgramRun run =
        testing::run_program(command, testing::Capture::kStandardOutput);
    EXPECT_EQ(run.exit_code, 0) << command << "\n" << run.output;
    CurlAnswer answer;
    const size_t newline = run.output.rfind('\n');
    if (newline != std::string::npos) {
      answer.body = run.output.substr(0, newline);
      answer.status = std::atoi(run.output.c_str() + newline + 1);
    }
    const testing::ProgramRun headers_read =
        testing::run_program("cat " + header_file, testing::Capture::kStandardOutput);
    answer.headers = headers_read.output;
    return answer;
  }

  // What an event stream sent within `seconds` (curl stops reading then), headers included.
  std::string stream(const std::string& path, double seconds,
                     const std::vector<std::string>& headers = {}) {
    std::string command = "curl -s -N -i --max-time " + std::to_string(seconds);
    for (const std::string& header : headers) {
      command += " -H " + quoted(header);
    }
    command += " " + quoted(base_ + path);
    return testing::run_program(command, testing::Capture::kStandardOutput).output;
  }

  std::string data_;
  std::string base_;
  std::unique_ptr<TallydProcess> server_;
};

int64_t integer(const json::value& value, const char* name) {
  return value.as_object().at(name).to_number<int64_t>();
}

TEST_F(HttpServerTest, TheNestJsCoreBankingFlowWorksUnchanged) {
  start();
  // The NestJS service's README, command for command.
  CurlAnswer opened =
      curl("POST", "/api/accounts", R"({"accountId":"acc-1","ownerId":"user-1","currency":"USD"})",
           {"Idempotency-Key: 2d3c5e2f-54fc-42b1-98d0-65f5fd4d6448"});
  ASSERT_EQ(opened.status, 201) << opened.body;
  EXPECT_EQ(opened.json().at("accountId").as_string(), "acc-1");
  EXPECT_NE(opened.headers.find("Content-Type: application/json"), std::string::npos);

  CurlAnswer deposit = curl("POST", "/api/accounts/acc-1/deposits",
                            R"({"amount":1000,"currency":"USD","transactionId":"txn-1"})",
                            {"Idempotency-Key: 4e8cb2bc-e8cf-4407-979d-b1e8ac25fe65"});
  ASSERT_EQ(deposit.status, 200) << deposit.body;
  EXPECT_EQ(integer(deposit.json(), "balance"), 1000);
  EXPECT_EQ(deposit.json().at("transactionId").as_string(), "txn-1");

  CurlAnswer withdrawal = curl("POST", "/api/accounts/acc-1/withdrawals",
                               R"({"amount":200,"currency":"USD","transactionId":"txn-2"})",
                               {"Idempotency-Key: cbcf3754-2e55-4ab2-b788-0ef2bbac7776"});
  ASSERT_EQ(withdrawal.status, 200) << withdrawal.body;
  EXPECT_EQ(integer(withdrawal.json(), "balance"), 800);

  ASSERT_EQ(
      curl("POST", "/api/accounts", R"({"accountId":"acc-2","ownerId":"u2","currency":"USD"})")
          .status,
      201);
  CurlAnswer transfer = curl("POST", "/api/transfers",
                             R"({"sourceAccountId":"acc-1","destinationAccountId":"acc-2",)"
                             R"("amount":150,"currency":"USD",)"
                             R"("transactionId":"3F2504E0-4F89-11D3-9A0C-0305E82C3301"})");
  ASSERT_EQ(transfer.status, 200) << transfer.body;
  EXPECT_EQ(integer(transfer.json(), "balance"), 650);

  CurlAnswer frozen =
      curl("POST", "/api/accounts/acc-1/freeze", R"({"reason":"compliance review"})",
           {"Idempotency-Key: 197f5140-4516-4eb4-b10f-cf2cdfa4c906"});
  ASSERT_EQ(frozen.status, 200) << frozen.body;
  const int64_t last_write = integer(frozen.json(), "sequence");

  // Reads wait for the writes they follow (read your own writes).
  const std::string floor = "?minSequence=" + std::to_string(last_write);
  CurlAnswer account = curl("GET", "/api/accounts/acc-1" + floor);
  ASSERT_EQ(account.status, 200) << account.body;
  const json::value account_json = account.json();
  const json::object& details = account_json.as_object();
  EXPECT_EQ(details.at("ownerId").as_string(), "user-1");
  EXPECT_EQ(details.at("currency").as_string(), "USD");
  EXPECT_EQ(details.at("status").as_string(), "FROZEN");
  EXPECT_EQ(details.at("balance").to_number<int64_t>(), 650);
  EXPECT_EQ(details.at("balanceDecimal").as_string(), "6.50");
  EXPECT_EQ(details.at("version").to_number<int64_t>(), 5);
  EXPECT_EQ(details.at("freezeReason").as_string(), "compliance review");

  CurlAnswer balance = curl("GET", "/api/accounts/acc-1/balance" + floor);
  ASSERT_EQ(balance.status, 200) << balance.body;
  EXPECT_EQ(integer(balance.json(), "balance"), 650);

  CurlAnswer history = curl("GET", "/api/accounts/acc-1/history?limit=50&offset=0&minSequence=" +
                                       std::to_string(last_write));
  ASSERT_EQ(history.status, 200) << history.body;
  const json::value history_json = history.json();
  const json::array& entries = history_json.at("entries").as_array();
  ASSERT_EQ(entries.size(), 4u) << history.body;  // opened, deposit, withdrawal, transfer
  EXPECT_EQ(entries[0].at("eventType").as_string(), "AccountCreated");
  EXPECT_EQ(entries[1].at("eventType").as_string(), "MoneyDeposited");
  EXPECT_EQ(entries[1].at("amount").to_number<int64_t>(), 1000);
  EXPECT_EQ(entries[2].at("eventType").as_string(), "MoneyWithdrawn");
  EXPECT_EQ(entries[3].at("eventType").as_string(), "TransferSent");
  EXPECT_EQ(entries[3].at("balance").to_number<int64_t>(), 650);
  EXPECT_EQ(entries[3].at("amountDecimal").as_string(), "-1.50");
  // Transaction ids as the client gave them, an upper-case UUID included.
  EXPECT_EQ(entries[1].at("transactionId").as_string(), "txn-1");
  EXPECT_EQ(entries[2].at("transactionId").as_string(), "txn-2");
  EXPECT_EQ(entries[3].at("transactionId").as_string(), "3F2504E0-4F89-11D3-9A0C-0305E82C3301");

  CurlAnswer unfrozen = curl("POST", "/api/accounts/acc-1/unfreeze");
  EXPECT_EQ(unfrozen.status, 200) << unfrozen.body;
  EXPECT_EQ(curl("POST", "/api/admin/projections/accounts/acc-1/rebuild").status, 202);
  EXPECT_EQ(curl("POST", "/api/admin/projections/accounts/rebuild-all").status, 202);
}

TEST_F(HttpServerTest, BatchesAndEveryOtherQueryTallyAnswers) {
  start();
  CurlAnswer batch = curl(
      "POST", "/api/batches",
      R"({"atomic":true,"commands":[)"
      R"({"type":"open","accountId":"a","ownerId":"o1","currency":"EUR","initialDeposit":1000},)"
      R"({"type":"open","accountId":"b","ownerId":"o1","currency":"EUR"},)"
      R"({"type":"transfer","accountId":"a","destinationAccountId":"b","amount":250}]})");
  ASSERT_EQ(batch.status, 200) << batch.body;
  const json::value batch_json = batch.json();
  ASSERT_EQ(batch_json.at("results").as_array().size(), 3u);
  // An atomic batch that fails applies nothing and says why, command by command.
  CurlAnswer refused =
      curl("POST", "/api/batches",
           R"({"atomic":true,"commands":[{"type":"withdrawal","accountId":"a","amount":5},)"
           R"({"type":"withdrawal","accountId":"b","amount":99999}]})");
  EXPECT_EQ(refused.status, 422) << refused.body;
  const json::value refused_json = refused.json();
  const json::array& results = refused_json.at("results").as_array();
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].at("result").as_string(), "LinkedCommandFailed");
  EXPECT_EQ(results[1].at("result").as_string(), "InsufficientFunds");
  const std::string floor = "minSequence=" + std::to_string(integer(results[1], "sequence"));

  const json::value listed = curl("GET", "/api/accounts?ownerId=o1&" + floor).json();
  EXPECT_EQ(integer(listed, "total"), 2);
  const json::value summary = curl("GET", "/api/accounts/a/summary?" + floor).json();
  EXPECT_EQ(summary.at("transferredOut").as_string(), "250");
  EXPECT_EQ(summary.at("transferredOutDecimal").as_string(), "2.50");
  const json::value trail = curl("GET", "/api/accounts/a/events?" + floor).json();
  ASSERT_EQ(trail.at("events").as_array().size(), 3u);  // opened, transferred, rejected
  EXPECT_EQ(trail.at("events").as_array()[2].at("reason").as_string(), "LinkedCommandFailed");
  const json::value first = curl("GET", "/api/accounts/a/balance-at?sequence=1&" + floor).json();
  EXPECT_EQ(integer(first, "balance"), 1000);
  const json::value reserve = curl("GET", "/api/reserve?currency=EUR&" + floor).json();
  EXPECT_EQ(reserve.at("currencies").as_array()[0].at("totalBalance").as_string(), "1000");
  const json::value top = curl("GET", "/api/top-accounts?currency=EUR&limit=1&" + floor).json();
  ASSERT_EQ(top.at("accounts").as_array().size(), 1u);
  EXPECT_EQ(top.at("accounts").as_array()[0].at("accountId").as_string(), "a");
  const json::value found = curl("GET", "/api/transactions?accountId=b&" + floor).json();
  EXPECT_EQ(found.at("events").as_array().size(), 1u);  // the transfer in (opened empty)
  CurlAnswer daily =
      curl("GET", "/api/accounts/a/daily-balances?from=2020-01-01&to=2030-01-01&" + floor);
  EXPECT_EQ(daily.status, 200) << daily.body;
  EXPECT_EQ(daily.json().at("days").as_array().size(), 1u);
  EXPECT_EQ(curl("GET", "/api/accounts/a/daily-balances?from=yesterday&to=2030-01-01").status, 400);
  EXPECT_EQ(curl("GET", "/api/accounts/a/balance-at").status, 400);
  EXPECT_EQ(curl("GET", "/api/top-accounts").status, 400);
}

TEST_F(HttpServerTest, RetriesWithTheSameKeyGetTheOriginalAnswerAndOtherBodiesAConflict) {
  start();
  const std::string key = "Idempotency-Key: order-42/attempt";
  ASSERT_EQ(curl("POST", "/api/accounts", R"({"accountId":"a","currency":"EUR"})").status, 201);
  CurlAnswer first = curl("POST", "/api/accounts/a/deposits", R"({"amount":500})", {key});
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_FALSE(first.json().at("replayed").as_bool());
  CurlAnswer retry = curl("POST", "/api/accounts/a/deposits", R"({"amount":500})", {key});
  ASSERT_EQ(retry.status, 200) << retry.body;
  EXPECT_TRUE(retry.json().at("replayed").as_bool());
  EXPECT_EQ(integer(retry.json(), "sequence"), integer(first.json(), "sequence"));
  EXPECT_NE(retry.headers.find("Idempotent-Replayed: true"), std::string::npos) << retry.headers;
  CurlAnswer other = curl("POST", "/api/accounts/a/deposits", R"({"amount":700})", {key});
  EXPECT_EQ(other.status, 409) << other.body;
  EXPECT_EQ(other.json().at("error").as_string(), "RequestIdReused");
  // The money moved once.
  CurlAnswer balance = curl("GET", "/api/accounts/a/balance?minSequence=" +
                                       std::to_string(integer(first.json(), "sequence")));
  EXPECT_EQ(integer(balance.json(), "balance"), 500);
  // The same transactionId under another key is the same business transaction: refused.
  ASSERT_EQ(
      curl("POST", "/api/accounts/a/deposits", R"({"amount":1,"transactionId":"t-1"})").status,
      200);
  CurlAnswer again =
      curl("POST", "/api/accounts/a/deposits", R"({"amount":1,"transactionId":"t-1"})");
  EXPECT_EQ(again.status, 409) << again.body;
  EXPECT_EQ(again.json().at("error").as_string(), "DuplicateTransaction");
}

TEST_F(HttpServerTest, ErrorsCarryStatusCodeAndReason) {
  start({"--read-wait-ms", "300"});
  ASSERT_EQ(curl("POST", "/api/accounts", R"({"accountId":"a","currency":"EUR"})").status, 201);
  struct Case {
    const char* method;
    const char* path;
    const char* body;
    int status;
    const char* error;
  };
  const Case cases[] = {
      {"POST", "/api/accounts", R"({"accountId":"a","currency":"EUR"})", 409, "AccountExists"},
      {"POST", "/api/accounts/nobody/deposits", R"({"amount":5})", 404, "AccountNotFound"},
      {"POST", "/api/accounts/a/withdrawals", R"({"amount":5})", 422, "InsufficientFunds"},
      {"POST", "/api/accounts/a/deposits", R"({"amount":0})", 400, "InvalidAmount"},
      {"POST", "/api/accounts/a/deposits", R"({"amount":5,"expectedVersion":9})", 409,
       "VersionConflict"},
      {"POST", "/api/accounts/a/deposits", "{\"amount\":", 400, "InvalidArgument"},
      {"POST", "/api/accounts/a/deposits", R"({"amount":5,"currency":"USD"})", 422,
       "CurrencyMismatch"},
      {"POST", "/api/accounts/a/deposits", R"({"amount":5,"currency":"usd"})", 400,
       "InvalidArgument"},
      {"GET", "/api/accounts/nobody", "", 404, "AccountNotFound"},
      {"GET", "/no/such/route", "", 404, "InvalidArgument"},
      {"DELETE", "/api/accounts/a", "", 405, "InvalidArgument"},
  };
  for (const Case& test : cases) {
    SCOPED_TRACE(std::string(test.method) + " " + test.path + " " + test.body);
    const CurlAnswer answer = curl(test.method, test.path, test.body);
    EXPECT_EQ(answer.status, test.status) << answer.body;
    const json::value parsed = answer.json();
    const json::object& body = parsed.as_object();
    EXPECT_EQ(body.at("error").as_string(), test.error) << answer.body;
    EXPECT_TRUE(body.at("code").is_number());
    EXPECT_FALSE(body.at("message").as_string().empty());
  }
  // A read that cannot reach its minSequence in time: 503, and the server is fine.
  CurlAnswer late = curl("GET", "/api/accounts/a?minSequence=999999");
  EXPECT_EQ(late.status, 503) << late.body;
  EXPECT_EQ(late.json().at("error").as_string(), "Timeout");
  EXPECT_EQ(curl("GET", "/health").status, 200);
}

TEST_F(HttpServerTest, HealthReadinessMetricsAndStats) {
  start();
  CurlAnswer health = curl("GET", "/health");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.json().at("status").as_string(), "ok");
  CurlAnswer ready = curl("GET", "/ready");
  EXPECT_EQ(ready.status, 200) << ready.body;
  EXPECT_TRUE(ready.json().at("ready").as_bool());
  EXPECT_TRUE(ready.json().at("journalWritable").as_bool());
  ASSERT_EQ(curl("POST", "/api/accounts", R"({"accountId":"m","currency":"EUR"})").status, 201);
  CurlAnswer metrics = curl("GET", "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.headers.find("text/plain; version=0.0.4"), std::string::npos);
  EXPECT_NE(metrics.body.find("\ntally_requests_total 1\n"), std::string::npos) << metrics.body;
  EXPECT_NE(metrics.body.find("# TYPE tally_durable_sequence gauge"), std::string::npos);
  // This curl's own connection is open while it asks; it and the three before were accepted.
  EXPECT_NE(metrics.body.find("tally_connections_open{protocol=\"http\"} 1\n"), std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("tally_connections_accepted_total{protocol=\"http\"} 4\n"),
            std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("tally_projection_lag_events{model=\"accounts\"}"),
            std::string::npos);
  // The opening's record is durable: bytes and at least one sync; stages as histograms.
  const auto sample = [&](const std::string& name) {
    const size_t at = metrics.body.find("\n" + name + " ");
    return at == std::string::npos ? -1.0 : std::atof(metrics.body.c_str() + at + name.size() + 2);
  };
  EXPECT_GE(sample("tally_journal_syncs_total"), 1.0) << metrics.body;
  EXPECT_GT(sample("tally_journal_bytes_total"), 40.0) << metrics.body;
  EXPECT_EQ(sample("tally_journal_writable"), 1.0) << metrics.body;
  EXPECT_NE(metrics.body.find("# TYPE tally_stage_latency_seconds histogram\n"), std::string::npos);
  EXPECT_NE(
      metrics.body.find("tally_stage_latency_seconds_bucket{stage=\"journal_sync\",le=\"+Inf\"}"),
      std::string::npos)
      << metrics.body;
  CurlAnswer stats = curl("GET", "/api/stats");
  EXPECT_EQ(stats.status, 200);
  EXPECT_EQ(integer(stats.json(), "requests"), 1);
}

TEST_F(HttpServerTest, BinaryAndHttpClientsShareOneLedger) {
  TallydProcess& server = start();
  ASSERT_EQ(curl("POST", "/api/accounts", R"({"accountId":"shared","currency":"EUR"})").status,
            201);
  client::Client client(server.client_options());
  const client::BatchResult result = client.execute(client::BatchBuilder().deposit("shared", 42));
  ASSERT_EQ(result.results.at(0).code, ResultCode::Ok);
  CurlAnswer balance = curl("GET", "/api/accounts/shared/balance?minSequence=" +
                                       std::to_string(result.results[0].sequence));
  EXPECT_EQ(integer(balance.json(), "balance"), 42);
}

// One request as a pipelining client writes it; `extra_headers` end in "\r\n".
std::string http_request(const std::string& method, const std::string& path,
                         const std::string& body, const std::string& extra_headers = "") {
  return method + " " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
         extra_headers + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

bool send_text(testing::RawSocket& socket, const std::string& text) {
  return socket.send_bytes({reinterpret_cast<const uint8_t*>(text.data()), text.size()});
}

// The status codes of the answers in `text`, in order.
std::vector<int> statuses_in(const std::string& text) {
  std::vector<int> statuses;
  for (size_t at = text.find("HTTP/1.1 "); at != std::string::npos;
       at = text.find("HTTP/1.1 ", at + 1)) {
    statuses.push_back(std::atoi(text.c_str() + at + 9));
  }
  return statuses;
}

TEST_F(HttpServerTest, PipelinedRequestsOnOneConnectionAreAnsweredInOrder) {
  TallydProcess& server = start();
  testing::RawSocket socket(server.http_port());
  std::string requests =
      http_request("POST", "/api/accounts", R"({"accountId":"p","currency":"EUR"})");
  for (int index = 1; index <= 5; ++index) {
    requests += http_request("POST", "/api/accounts/p/deposits",
                             R"({"amount":)" + std::to_string(index) + "}");
  }
  requests += http_request("GET", "/health", "");
  ASSERT_TRUE(send_text(socket, requests));
  const std::string answers = socket.read_until("HTTP/1.1 ", 7, std::chrono::seconds(10));
  // Seven answers, in the order asked: the balances climb 1, 3, 6, 10, 15.
  size_t at = 0;
  for (const char* expected :
       {"\"accountId\":\"p\"", "\"balance\":1,", "\"balance\":3,", "\"balance\":6,",
        "\"balance\":10,", "\"balance\":15,", "{\"status\":\"ok\"}"}) {
    at = answers.find(expected, at);
    ASSERT_NE(at, std::string::npos) << expected << " in order, in:\n" << answers;
  }
}

TEST_F(HttpServerTest, PipelinedRequestsOfEveryKindKeepTheirOrder) {
  TallydProcess& server = start();
  testing::RawSocket socket(server.http_port());
  // Commands (the journal), a query (a read model, answered sooner), refusals made while
  // routing, a local answer and HEAD: each answer in its request's place.
  std::string requests =
      http_request("POST", "/api/accounts", R"({"accountId":"k","currency":"EUR"})");
  requests += http_request("POST", "/api/accounts/k/deposits", R"({"amount":7})");
  requests += http_request("GET", "/api/accounts/nobody", "");
  requests += http_request("POST", "/api/accounts/k/deposits", R"({"amount":"seven"})");
  requests += http_request("POST", "/api/accounts/k/withdrawals", R"({"amount":100})");
  requests += http_request("HEAD", "/health", "");
  requests += http_request("POST", "/api/accounts/k/deposits", R"({"amount":8})");
  requests += http_request("GET", "/health", "");
  ASSERT_TRUE(send_text(socket, requests));
  const std::string answers = socket.read_until("HTTP/1.1 ", 8, std::chrono::seconds(10));
  const std::string last_body = "{\"status\":\"ok\"}";
  const std::string complete =
      answers.ends_with(last_body)
          ? answers
          : answers + socket.read_until(last_body, 1, std::chrono::seconds(5));
  EXPECT_EQ(statuses_in(complete), (std::vector<int>{201, 200, 404, 400, 422, 405, 200, 200}))
      << complete;
  EXPECT_NE(complete.find("\"balance\":15,"), std::string::npos) << complete;
  // The 405 to HEAD has headers only: the next answer starts right after them.
  const size_t head_answer = complete.find("HTTP/1.1 405");
  const size_t head_end = complete.find("\r\n\r\n", head_answer);
  EXPECT_EQ(complete.compare(head_end + 4, 9, "HTTP/1.1 "), 0) << complete;
}

TEST_F(HttpServerTest, ARequestAskingToCloseIsAnsweredLastAndWhatFollowsIsNotApplied) {
  TallydProcess& server = start();
  testing::RawSocket socket(server.http_port());
  std::string requests =
      http_request("POST", "/api/accounts", R"({"accountId":"c","currency":"EUR"})");
  requests +=
      http_request("POST", "/api/accounts/c/deposits", R"({"amount":5})", "Connection: close\r\n");
  requests += http_request("POST", "/api/accounts/c/deposits", R"({"amount":7})");
  ASSERT_TRUE(send_text(socket, requests));
  const std::string answers = socket.read_until("HTTP/1.1 ", 3, std::chrono::seconds(5));
  EXPECT_EQ(statuses_in(answers), (std::vector<int>{201, 200})) << answers;
  EXPECT_NE(answers.find("Connection: close\r\n"), std::string::npos) << answers;
  EXPECT_TRUE(socket.closed_by_peer(std::chrono::seconds(5)));
  EXPECT_EQ(integer(curl("GET", "/api/accounts/c/balance").json(), "balance"), 5);
}

TEST_F(HttpServerTest, AClientThatStopsSendingStillGetsWhatItIsOwed) {
  TallydProcess& server = start();
  testing::RawSocket socket(server.http_port());
  std::string requests =
      http_request("POST", "/api/accounts", R"({"accountId":"h","currency":"EUR"})");
  requests += http_request("POST", "/api/accounts/h/deposits", R"({"amount":5})");
  requests += http_request("GET", "/health", "");
  ASSERT_TRUE(send_text(socket, requests));
  socket.shutdown_sending();
  const std::string answers = socket.read_until("{\"status\":\"ok\"}", 1, std::chrono::seconds(5));
  EXPECT_EQ(statuses_in(answers), (std::vector<int>{201, 200, 200})) << answers;
  EXPECT_TRUE(socket.closed_by_peer(std::chrono::seconds(5)));
}

TEST_F(HttpServerTest, AClientThatPipelinesAndNeverReadsIsCutOffAndOthersAreServed) {
  TallydProcess& server = start({"--write-timeout-ms", "300", "--max-in-flight", "64"});
  testing::RawSocket socket(server.http_port(), 4096);
  // 4,000 requests for /metrics (about 6 KB each): 24 MB of answers, more than the socket
  // buffers hold, so the server's write gets stuck, and with 64 answers owed it stops reading.
  std::string requests;
  for (int index = 0; index < 4000; ++index) {
    requests += http_request("GET", "/metrics", "");
  }
  socket.send_available({reinterpret_cast<const uint8_t*>(requests.data()), requests.size()},
                        std::chrono::milliseconds(1500));
  // Not reading for far longer than the write timeout: cut off. Reading now finds the end
  // (or a reset) before 24 MB.
  std::this_thread::sleep_for(std::chrono::seconds(2));
  EXPECT_TRUE(socket.closed_by_peer(std::chrono::seconds(10)));
  EXPECT_EQ(curl("GET", "/health").status, 200);
}

TEST_F(HttpServerTest, AClientThatExpects100ContinueGetsItBeforeSendingTheBody) {
  TallydProcess& server = start();
  testing::RawSocket socket(server.http_port());
  const std::string body = R"({"accountId":"c100","currency":"EUR"})";
  const std::string header =
      "POST /api/accounts HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
      "Content-Length: " +
      std::to_string(body.size()) + "\r\n\r\n";
  // After a pipelined request: the go-ahead follows its answer.
  ASSERT_TRUE(send_text(socket, http_request("GET", "/health", "") + header));
  const std::string first = socket.read_until("100 Continue\r\n\r\n", 1, std::chrono::seconds(5));
  EXPECT_TRUE(first.ends_with("{\"status\":\"ok\"}HTTP/1.1 100 Continue\r\n\r\n")) << first;
  ASSERT_TRUE(send_text(socket, body));
  const std::string answer = socket.read_until("\"c100\"", 1, std::chrono::seconds(5));
  EXPECT_NE(answer.find("HTTP/1.1 201"), std::string::npos) << answer;
}

TEST_F(HttpServerTest, AbusiveClientsGetAnErrorOrACloseAndNothingElseSuffers) {
  TallydProcess& server = start({"--max-http-body-bytes", "2048", "--max-http-header-bytes", "2048",
                                 "--http-idle-timeout-ms", "500"});
  {  // A body over the limit: 413, then the connection closes.
    testing::RawSocket socket(server.http_port());
    send_text(socket, "POST /api/accounts HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" +
                          std::string(4096, 'x'));
    const std::string answer = socket.read_until("\r\n\r\n", 1, std::chrono::seconds(5));
    EXPECT_NE(answer.find("HTTP/1.1 413"), std::string::npos) << answer;
    EXPECT_TRUE(socket.closed_by_peer(std::chrono::seconds(5)));
  }
  {  // Headers over the limit: 431.
    testing::RawSocket socket(server.http_port());
    send_text(socket, "GET /health HTTP/1.1\r\nHost: x\r\nX-Padding: " + std::string(4096, 'y') +
                          "\r\n\r\n");
    const std::string answer = socket.read_until("\r\n\r\n", 1, std::chrono::seconds(5));
    EXPECT_NE(answer.find("HTTP/1.1 431"), std::string::npos) << answer;
  }
  {  // Not HTTP at all: 400 and a close.
    testing::RawSocket socket(server.http_port());
    send_text(socket, "\x01\x02garbage garbage\r\n\r\n");
    const std::string answer = socket.read_until("\r\n\r\n", 1, std::chrono::seconds(5));
    EXPECT_NE(answer.find("HTTP/1.1 400"), std::string::npos) << answer;
    EXPECT_TRUE(socket.closed_by_peer(std::chrono::seconds(5)));
  }
  {  // Half a request, then silence: closed after the idle timeout.
    testing::RawSocket socket(server.http_port());
    send_text(socket, "POST /api/accounts HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{");
    const auto started = std::chrono::steady_clock::now();
    EXPECT_TRUE(socket.closed_by_peer(std::chrono::seconds(10)));
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  }
  {  // A binary client on the HTTP port (a frame: length, then "TLY1"...): 400 and a close.
    testing::RawSocket socket(server.http_port());
    send_text(socket,
              std::string("\x24\x00\x00\x00\x0c\x00\x00\x00TLY1", 12) + std::string(28, '\0'));
    const std::string answer = socket.read_until("\r\n\r\n", 1, std::chrono::seconds(5));
    EXPECT_NE(answer.find("HTTP/1.1 400"), std::string::npos) << answer;
    EXPECT_TRUE(socket.closed_by_peer(std::chrono::seconds(5)));
  }
  // And everyone else is served as before.
  EXPECT_EQ(curl("GET", "/health").status, 200);
  client::Client client(server.client_options());
  EXPECT_EQ(
      client.execute(client::BatchBuilder().open_account("after", "", "EUR")).results.at(0).code,
      ResultCode::Ok);
}

TEST_F(HttpServerTest, TheListenerTurnsOff) {
  server_ = std::make_unique<TallydProcess>(data_, std::vector<std::string>{"--no-http"});
  TallydProcess& server = *server_;
  EXPECT_EQ(server.log().find("event=http_listening"), std::string::npos);
  client::Client client(server.client_options());
  EXPECT_NO_THROW(client.connect());
}

TEST_F(HttpServerTest, EventsStreamAsServerSentEventsFromASequenceOrFromNow) {
  start();
  ASSERT_EQ(curl("POST", "/api/accounts", R"({"accountId":"s1","currency":"EUR"})").status, 201);
  ASSERT_EQ(
      curl("POST", "/api/accounts/s1/deposits", R"({"amount":250,"transactionId":"t-1"})").status,
      200);
  const std::string whole = stream("/api/events?from=1", 1.5);
  EXPECT_NE(whole.find("HTTP/1.1 200"), std::string::npos) << whole;
  EXPECT_NE(whole.find("Content-Type: text/event-stream"), std::string::npos) << whole;
  EXPECT_NE(whole.find("id: 1\nevent: AccountOpened\ndata: {\"sequence\":1,"), std::string::npos)
      << whole;
  EXPECT_NE(whole.find("id: 2\nevent: Deposited\ndata: {"), std::string::npos) << whole;
  EXPECT_NE(whole.find("\"transactionId\":\"t-1\""), std::string::npos) << whole;

  // From now, filtered: what happens while it listens, and progress over what it filters out.
  std::string live;
  std::thread listener([&] { live = stream("/api/events?types=Withdrawn", 2.5); });
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  ASSERT_EQ(curl("POST", "/api/accounts/s1/withdrawals", R"({"amount":50})").status, 200);
  ASSERT_EQ(curl("POST", "/api/accounts/s1/deposits", R"({"amount":5})").status, 200);
  listener.join();
  EXPECT_NE(live.find("id: 3\nevent: Withdrawn\n"), std::string::npos) << live;
  EXPECT_EQ(live.find("event: Deposited"), std::string::npos) << live;
  EXPECT_NE(live.find("id: 4\nevent: progress\ndata: {\"lastSequence\":4,"), std::string::npos)
      << live;

  // Last-Event-ID resumes after it, as EventSource does on reconnecting.
  const std::string resumed = stream("/api/events", 1.5, {"Last-Event-ID: 3"});
  EXPECT_EQ(resumed.find("id: 3\n"), std::string::npos) << resumed;
  EXPECT_NE(resumed.find("id: 4\nevent: Deposited"), std::string::npos) << resumed;
}

TEST_F(HttpServerTest, AnEventStreamOutsideTheJournalOrWithBadParametersIsRefused) {
  start();
  const std::string beyond = stream("/api/events?from=50", 5);
  EXPECT_NE(beyond.find("event: end\ndata: {\"code\":\"SequenceUnavailable\""), std::string::npos)
      << beyond;
  EXPECT_EQ(curl("GET", "/api/events?types=Spent").status, 400);
  EXPECT_EQ(curl("GET", "/api/events?from=x").status, 400);
  EXPECT_EQ(curl("GET", "/api/events", "", {"Last-Event-ID: later"}).status, 400);
  EXPECT_EQ(curl("POST", "/api/events", "{}").status, 405);
  // The server is unharmed: it still answers.
  EXPECT_EQ(curl("GET", "/health").status, 200);
}

}  // namespace
}  // namespace tally
