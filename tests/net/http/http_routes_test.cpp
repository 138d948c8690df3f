// net/http/http_routes.h: every route to the engine request or local call it becomes, and bad
// input to its refusal, without a server.
#include "net/http/http_routes.h"

#include <gtest/gtest.h>

#include "engine/wire/wire_decoder.h"
#include "net/http/http_answers.h"

namespace tally::net::http {
namespace {

namespace beast_http = boost::beast::http;

const Id128 kFresh{.low = 7, .high = 9};

HttpRequest make_request(beast_http::verb method, std::string target, std::string body = "",
                         std::vector<std::pair<std::string, std::string>> headers = {}) {
  HttpRequest request{method, target, 11};
  for (const auto& [name, value] : headers) {
    request.set(name, value);
  }
  request.body() = std::move(body);
  request.prepare_payload();
  return request;
}

// The decoded Request an engine call carries (verified as the server verifies a frame).
const protocol::Request& request_of(const EngineCall& call) {
  const RequestVerdict verdict = verify_request(call.message, 64);
  EXPECT_TRUE(verdict.ok()) << verdict.problem;
  return *verdict.request;
}

HttpRefusal refusal_of_route(const RoutedRequest& routed) {
  const auto* refusal = std::get_if<HttpRefusal>(&routed);
  EXPECT_NE(refusal, nullptr) << "expected a refusal";
  return refusal == nullptr ? HttpRefusal{} : *refusal;
}

TEST(HttpRoutesTest, OpeningAnAccountBecomesOneOpenAccountCommand) {
  const RoutedRequest routed =
      route_request(make_request(beast_http::verb::post, "/api/accounts",
                                 R"({"accountId":"acc-1","ownerId":"user-1","currency":"USD",)"
                                 R"("type":"savings","overdraftLimit":500,"initialDeposit":25})"),
                    kFresh);
  const auto& call = std::get<EngineCall>(routed);
  EXPECT_FALSE(call.is_query);
  EXPECT_EQ(call.shape, AnswerShape::kOpened);
  EXPECT_EQ(call.request_id, kFresh);
  const protocol::Request& request = request_of(call);
  EXPECT_EQ(to_id128(request.request_id()), kFresh);
  const auto* batch = request.body_as_CommandBatch();
  ASSERT_NE(batch, nullptr);
  ASSERT_EQ(batch->commands()->size(), 1u);
  const auto* open = batch->commands()->Get(0)->command_as_OpenAccount();
  ASSERT_NE(open, nullptr);
  EXPECT_EQ(open->account_id()->str(), "acc-1");
  EXPECT_EQ(open->owner()->str(), "user-1");
  EXPECT_EQ(open->currency()->str(), "USD");
  EXPECT_EQ(open->account_type(), AccountType::Savings);
  EXPECT_EQ(open->overdraft_limit(), 500);
  EXPECT_EQ(open->initial_deposit(), 25);
}

TEST(HttpRoutesTest, MoneyMovementsCarryAmountTransactionIdAndExpectedVersion) {
  const RoutedRequest deposit = route_request(
      make_request(
          beast_http::verb::post, "/api/accounts/acc-1/deposits",
          R"({"amount":1000,"currency":"USD","transactionId":"txn-1","expectedVersion":3})"),
      kFresh);
  const auto& call = std::get<EngineCall>(deposit);
  EXPECT_EQ(call.transaction_id, "txn-1");
  const auto* command =
      request_of(call).body_as_CommandBatch()->commands()->Get(0)->command_as_Deposit();
  ASSERT_NE(command, nullptr);
  EXPECT_EQ(command->account_id()->str(), "acc-1");
  EXPECT_EQ(command->amount(), 1000);
  EXPECT_EQ(command->expected_version().value_or(0), 3u);
  ASSERT_NE(command->transaction_id(), nullptr);
  // A free-form transaction id always names the same 128 bits; another names others.
  const RoutedRequest again =
      route_request(make_request(beast_http::verb::post, "/api/accounts/acc-2/withdrawals",
                                 R"({"amount":5,"transactionId":"txn-1"})"),
                    kFresh);
  const auto* withdraw = request_of(std::get<EngineCall>(again))
                             .body_as_CommandBatch()
                             ->commands()
                             ->Get(0)
                             ->command_as_Withdraw();
  ASSERT_NE(withdraw, nullptr);
  EXPECT_EQ(to_id128(withdraw->transaction_id()), to_id128(command->transaction_id()));

  const RoutedRequest transfer =
      route_request(make_request(beast_http::verb::post, "/api/transfers",
                                 R"({"sourceAccountId":"a","destinationAccountId":"b",)"
                                 R"("amount":150,"currency":"USD"})"),
                    kFresh);
  const auto* moved = request_of(std::get<EngineCall>(transfer))
                          .body_as_CommandBatch()
                          ->commands()
                          ->Get(0)
                          ->command_as_Transfer();
  ASSERT_NE(moved, nullptr);
  EXPECT_EQ(moved->from_account_id()->str(), "a");
  EXPECT_EQ(moved->to_account_id()->str(), "b");
  EXPECT_EQ(moved->amount(), 150);
}

TEST(HttpRoutesTest, StatusChangesAndQueriesMapToTheirRequests) {
  const auto body_type = [](const char* method_target, beast_http::verb verb) {
    const RoutedRequest routed = route_request(make_request(verb, method_target, "{}"), kFresh);
    return request_of(std::get<EngineCall>(routed)).body_type();
  };
  const auto command_type = [](const char* target) {
    const RoutedRequest routed = route_request(
        make_request(beast_http::verb::post, target, R"({"reason":"audit"})"), kFresh);
    return request_of(std::get<EngineCall>(routed))
        .body_as_CommandBatch()
        ->commands()
        ->Get(0)
        ->command_type();
  };
  EXPECT_EQ(command_type("/api/accounts/a/freeze"), protocol::Command::FreezeAccount);
  EXPECT_EQ(command_type("/api/accounts/a/unfreeze"), protocol::Command::UnfreezeAccount);
  EXPECT_EQ(command_type("/api/accounts/a/close"), protocol::Command::CloseAccount);
  EXPECT_EQ(body_type("/api/accounts/a", beast_http::verb::get),
            protocol::RequestBody::AccountQuery);
  EXPECT_EQ(body_type("/api/accounts/a/balance", beast_http::verb::get),
            protocol::RequestBody::BalanceQuery);
  const RoutedRequest history =
      route_request(make_request(beast_http::verb::get,
                                 "/api/accounts/a%20b/history?limit=7&offset=0&minSequence=42"),
                    kFresh);
  const auto& call = std::get<EngineCall>(history);
  EXPECT_TRUE(call.is_query);
  EXPECT_EQ(call.query_type, protocol::RequestBody::HistoryQuery);
  const protocol::Request& request = request_of(call);
  EXPECT_EQ(request.min_sequence(), 42u);
  EXPECT_EQ(request.body_as_HistoryQuery()->account_id()->str(), "a b");  // percent-decoded
  EXPECT_EQ(request.body_as_HistoryQuery()->limit(), 7u);
  EXPECT_EQ(request.body_as_HistoryQuery()->order(), protocol::Order::OldestFirst);
  // The header works as the parameter does.
  const RoutedRequest with_header = route_request(
      make_request(beast_http::verb::get, "/api/accounts/a", "", {{"Min-Sequence", "9"}}), kFresh);
  EXPECT_EQ(request_of(std::get<EngineCall>(with_header)).min_sequence(), 9u);
}

TEST(HttpRoutesTest, LocalRoutes) {
  const auto kind = [](beast_http::verb verb, const char* target) {
    return std::get<LocalCall>(route_request(make_request(verb, target), kFresh)).kind;
  };
  EXPECT_EQ(kind(beast_http::verb::get, "/health"), LocalKind::kHealth);
  EXPECT_EQ(kind(beast_http::verb::get, "/ready"), LocalKind::kReady);
  EXPECT_EQ(kind(beast_http::verb::get, "/metrics"), LocalKind::kMetrics);
  EXPECT_EQ(kind(beast_http::verb::get, "/api/stats"), LocalKind::kStats);
  EXPECT_EQ(kind(beast_http::verb::get, "/api/projections"), LocalKind::kProjections);
  EXPECT_EQ(kind(beast_http::verb::post, "/api/admin/projections/accounts/rebuild-all"),
            LocalKind::kRebuild);
  EXPECT_EQ(kind(beast_http::verb::post, "/api/admin/projections/accounts/acc-1/rebuild"),
            LocalKind::kRebuild);
}

TEST(HttpRoutesTest, AnIdempotencyKeyNamesTheRequest) {
  const char* uuid = "2d3c5e2f-54fc-42b1-98d0-65f5fd4d6448";
  const RoutedRequest routed =
      route_request(make_request(beast_http::verb::post, "/api/accounts/a/deposits",
                                 R"({"amount":1})", {{"Idempotency-Key", uuid}}),
                    kFresh);
  // A UUID is its own 128 bits.
  EXPECT_EQ(std::get<EngineCall>(routed).request_id,
            (Id128{.low = 0x98d065f5fd4d6448ULL, .high = 0x2d3c5e2f54fc42b1ULL}));
  // Any other printable key up to 64 bytes is hashed, the same way every time.
  EXPECT_EQ(id_of_key("retry-me"), id_of_key("retry-me"));
  EXPECT_NE(id_of_key("retry-me"), id_of_key("retry-me-2"));
  EXPECT_TRUE(id_of_key(std::string(64, 'k')).has_value());
  EXPECT_FALSE(id_of_key(std::string(65, 'k')).has_value());
  EXPECT_FALSE(id_of_key("").has_value());
  EXPECT_FALSE(id_of_key("tab\there").has_value());
  const RoutedRequest too_long =
      route_request(make_request(beast_http::verb::post, "/api/accounts/a/deposits",
                                 R"({"amount":1})", {{"Idempotency-Key", std::string(65, 'k')}}),
                    kFresh);
  EXPECT_EQ(refusal_of_route(too_long).status, 400u);
}

TEST(HttpRoutesTest, BadInputIsRefusedWithAReason) {
  struct Case {
    beast_http::verb method;
    const char* target;
    const char* body;
    unsigned status;
    const char* says;
  };
  const Case cases[] = {
      {beast_http::verb::post, "/api/accounts", "not json", 400, "not valid JSON"},
      {beast_http::verb::post, "/api/accounts", "[1,2]", 400, "JSON object"},
      {beast_http::verb::post, "/api/accounts", R"({"accountId":"a"})", 400, "\"currency\""},
      {beast_http::verb::post, "/api/accounts", R"({"currency":7})", 400, "must be a string"},
      {beast_http::verb::post, "/api/accounts", R"({"currency":"EUR","type":"gold"})", 400,
       "\"type\""},
      {beast_http::verb::post, "/api/accounts/a/deposits", "{}", 400, "\"amount\" is required"},
      {beast_http::verb::post, "/api/accounts/a/deposits", R"({"amount":"10.00"})", 400,
       "minor units"},
      {beast_http::verb::post, "/api/accounts/a/deposits", R"({"amount":1.5})", 400, "integer"},
      {beast_http::verb::post, "/api/accounts/a/deposits", R"({"amount":18446744073709551615})",
       400, "too large"},
      {beast_http::verb::post, "/api/accounts/a/deposits",
       R"({"amount":1,"transactionId":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"})",
       400, "transactionId"},
      {beast_http::verb::post, "/api/accounts/a/deposits", R"({"amount":1,"expectedVersion":-1})",
       400, "negative"},
      {beast_http::verb::get, "/api/accounts/a/history?limit=0", "", 400, "limit"},
      {beast_http::verb::get, "/api/accounts/a/history?limit=1001", "", 400, "limit"},
      {beast_http::verb::get, "/api/accounts/a/history?offset=3", "", 400, "cursor"},
      {beast_http::verb::get, "/api/accounts/a?minSequence=x", "", 400, "minSequence"},
      {beast_http::verb::get, "/api/nothing", "", 404, "no route"},
      {beast_http::verb::get, "/api/accounts/a/b/c", "", 404, "no route"},
      {beast_http::verb::get, "/api/accounts/a/deposits", "", 405, "takes POST"},
      {beast_http::verb::delete_, "/api/accounts/a", "", 405, "takes GET"},
      {beast_http::verb::post, "/health", "", 405, "takes GET"},
  };
  for (const Case& test : cases) {
    SCOPED_TRACE(std::string(test.target) + " " + test.body);
    const HttpRefusal refusal =
        refusal_of_route(route_request(make_request(test.method, test.target, test.body), kFresh));
    EXPECT_EQ(refusal.status, test.status);
    EXPECT_NE(refusal.message.find(test.says), std::string::npos) << refusal.message;
    EXPECT_EQ(render_refusal(refusal).status, test.status);
  }
}

TEST(HttpAnswersTest, ResultCodesMapToStatusesByKind) {
  EXPECT_EQ(status_of(ResultCode::Ok), 200u);
  EXPECT_EQ(status_of(ResultCode::InvalidArgument), 400u);
  EXPECT_EQ(status_of(ResultCode::InvalidAmount), 400u);
  EXPECT_EQ(status_of(ResultCode::AccountNotFound), 404u);
  for (const ResultCode code : {ResultCode::AccountExists, ResultCode::VersionConflict,
                                ResultCode::DuplicateTransaction, ResultCode::RequestIdReused}) {
    EXPECT_EQ(status_of(code), 409u) << protocol::EnumNameResultCode(code);
  }
  for (const ResultCode code :
       {ResultCode::InsufficientFunds, ResultCode::AccountFrozen, ResultCode::AccountClosed,
        ResultCode::CurrencyMismatch, ResultCode::SameAccount, ResultCode::BalanceNotZero,
        ResultCode::Overflow, ResultCode::AccountNotFrozen, ResultCode::LinkedCommandFailed}) {
    EXPECT_EQ(status_of(code), 422u) << protocol::EnumNameResultCode(code);
  }
  EXPECT_EQ(status_of(ResultCode::LimitExceeded), 429u);
  EXPECT_EQ(status_of(ResultCode::Unavailable), 503u);
  EXPECT_EQ(status_of(ResultCode::Timeout), 503u);
}

TEST(HttpAnswersTest, MetricsFollowPrometheusTextFormat) {
  ServerStats stats;
  stats.requests = 12;
  stats.rejections_by_reason = {{ResultCode::InsufficientFunds, 3}};
  stats.journal_syncs = 4;
  LatencySummary sync_latency;
  sync_latency.count = 5;
  sync_latency.p50_ns = 80'000;
  sync_latency.sum_ns = 500'000'000;  // 0.5 s: exact in binary
  sync_latency.at_most.fill(5);
  sync_latency.at_most[0] = 0;  // none at most 10 us
  sync_latency.at_most[1] = 0;  // none at most 25 us
  sync_latency.at_most[2] = 0;  // none at most 50 us
  sync_latency.at_most[3] = 3;  // three at most 100 us
  stats.stage_latencies = {{.stage = "journal_sync", .latency = sync_latency}};
  ProjectionReport report;
  report.durable_sequence = 10;
  report.projectors.push_back({.name = "accounts", .applied_sequence = 8, .lag = 2});
  const HttpAnswer answer = render_metrics(stats, report);
  EXPECT_EQ(answer.content_type, "text/plain; version=0.0.4; charset=utf-8");
  for (const char* line :
       {"# TYPE tally_requests_total counter\ntally_requests_total 12\n",
        "tally_rejections_by_reason_total{reason=\"InsufficientFunds\"} 3\n",
        "# TYPE tally_stage_latency_seconds histogram\n",
        "tally_stage_latency_seconds_bucket{stage=\"journal_sync\",le=\"5e-05\"} 0\n",
        "tally_stage_latency_seconds_bucket{stage=\"journal_sync\",le=\"0.0001\"} 3\n",
        "tally_stage_latency_seconds_bucket{stage=\"journal_sync\",le=\"+Inf\"} 5\n",
        "tally_stage_latency_seconds_sum{stage=\"journal_sync\"} 0.5\n",
        "tally_stage_latency_seconds_count{stage=\"journal_sync\"} 5\n",
        "tally_stage_latency_quantile_seconds{stage=\"journal_sync\","
        "quantile=\"0.5\"} 8.0000000000000007e-05\n",
        "tally_journal_syncs_total 4\n", "tally_journal_writable 1\n",
        "tally_projection_lag_events{model=\"accounts\"} 2\n"}) {
    EXPECT_NE(answer.body.find(line), std::string::npos) << line << "\nin:\n" << answer.body;
  }
}

}  // namespace
}  // namespace tally::net::http
