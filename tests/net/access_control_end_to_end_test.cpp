// Access control end to end: tallyd with an --auth-file, driven by the C++ client (the key in
// its Hello) and by curl (Authorization: Bearer), and the loopback-only rule without one.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "net/client/client.h"
#include "net/server/access_control.h"
#include "support/program_run.h"
#include "support/tallyd_process.h"

namespace tally {
namespace {

using client::BatchBuilder;
using client::Client;
using client::ClientError;
using client::Query;
using testing::TallydProcess;

class AccessControlEndToEndTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = testing::make_temporary_directory("access-test");
    keys_ = directory_ + "/keys";
    std::ofstream(keys_) << "# test keys\n"
                         << "reports read " << net::api_key_digest_text("read-secret") << "\n"
                         << "checkout write " << net::api_key_digest_text("write-secret") << "\n"
                         << "operator admin " << net::api_key_digest_text("admin-secret") << "\n";
  }
  void TearDown() override {
    server_.reset();
    std::system(("rm -rf " + directory_).c_str());
  }
  TallydProcess& start(std::vector<std::string> arguments = {}) {
    arguments.insert(arguments.end(), {"--auth-file", keys_});
    server_ = std::make_unique<TallydProcess>(directory_ + "/data", std::move(arguments));
    return *server_;
  }
  client::ClientOptions options(const std::string& key) const {
    client::ClientOptions options = server_->client_options();
    options.api_key = key;
    options.reconnect_attempts = 0;
    return options;
  }
  // curl's status for METHOD PATH with `key` as a bearer token (none if empty).
  int curl_status(const std::string& method, const std::string& path, const std::string& key,
                  const std::string& body = "") {
    std::string command = "curl -s -o /dev/null -w '%{http_code}' --max-time 20 -X " + method;
    if (!key.empty()) {
      command += " -H 'Authorization: Bearer " + key + "'";
    }
    if (!body.empty()) {
      command += " --data-binary '" + body + "'";
    }
    command += " http://127.0.0.1:" + std::to_string(server_->http_port()) + path;
    return std::atoi(
        testing::run_program(command, testing::Capture::kStandardOutput).output.c_str());
  }

  std::string directory_;
  std::string keys_;
  std::unique_ptr<TallydProcess> server_;
};

ResultCode refusal_of(const std::function<void()>& call) {
  try {
    call();
  } catch (const ClientError& error) {
    return error.kind() == ClientError::Kind::kRefused ? error.code() : ResultCode::Ok;
  }
  return ResultCode::Ok;
}

TEST_F(AccessControlEndToEndTest, TheBinaryProtocolCarriesTheKeyInItsHelloAndRolesDecide) {
  TallydProcess& server = start();
  // No key, or a wrong one: refused at the Hello.
  EXPECT_EQ(refusal_of([&] { Client(options("")).connect(); }), ResultCode::Unauthenticated);
  EXPECT_EQ(refusal_of([&] { Client(options("guess")).connect(); }), ResultCode::Unauthenticated);

  Client writer(options("write-secret"));
  ASSERT_EQ(writer
                .execute(BatchBuilder().open_account("alice", "Alice", "EUR", AccountType::Checking,
                                                     0, 100))
                .results.at(0)
                .code,
            ResultCode::Ok);
  EXPECT_EQ(writer.query(Query::balance("alice").min_sequence(1)).type(),
            protocol::ResponseBody::BalanceResult);
  EXPECT_EQ(refusal_of([&] { writer.query(Query::rebuild_projections()); }),
            ResultCode::PermissionDenied);

  Client reader(options("read-secret"));
  EXPECT_EQ(reader.query(Query::balance("alice").min_sequence(1)).type(),
            protocol::ResponseBody::BalanceResult);
  EXPECT_NO_THROW(reader.stats());
  EXPECT_EQ(refusal_of([&] { reader.execute(BatchBuilder().deposit("alice", 5)); }),
            ResultCode::PermissionDenied);
  // The connection stays usable after a refusal.
  EXPECT_EQ(reader.query(Query::account("alice")).type(), protocol::ResponseBody::AccountResult);

  Client admin(options("admin-secret"));
  EXPECT_EQ(admin.query(Query::rebuild_projections()).type(),
            protocol::ResponseBody::ProjectionStatusResult);
  // Every refusal counted: two Hellos, the writer's rebuild, the reader's deposit.
  EXPECT_EQ(admin.stats().requests_denied, 4u);
  EXPECT_NE(server.log().find("role=write key=checkout"), std::string::npos);
  EXPECT_EQ(server.log().find("write-secret"), std::string::npos);  // keys never logged
}

TEST_F(AccessControlEndToEndTest, HttpTakesABearerTokenAndAnswers401Or403) {
  start();
  EXPECT_EQ(curl_status("GET", "/health", ""), 200);  // probes need no key
  EXPECT_EQ(curl_status("GET", "/ready", ""), 200);
  EXPECT_EQ(curl_status("POST", "/api/accounts", "", R"({"accountId":"h","currency":"EUR"})"), 401);
  EXPECT_EQ(curl_status("POST", "/api/accounts", "nope", R"({"accountId":"h","currency":"EUR"})"),
            401);
  EXPECT_EQ(
      curl_status("POST", "/api/accounts", "read-secret", R"({"accountId":"h","currency":"EUR"})"),
      403);
  EXPECT_EQ(
      curl_status("POST", "/api/accounts", "write-secret", R"({"accountId":"h","currency":"EUR"})"),
      201);
  EXPECT_EQ(curl_status("GET", "/api/accounts/h/balance?minSequence=1", "read-secret"), 200);
  EXPECT_EQ(curl_status("GET", "/metrics", ""), 401);
  EXPECT_EQ(curl_status("GET", "/metrics", "read-secret"), 200);
  EXPECT_EQ(curl_status("POST", "/api/admin/projections/accounts/rebuild-all", "write-secret"),
            403);
  EXPECT_EQ(curl_status("POST", "/api/admin/projections/accounts/rebuild-all", "admin-secret"),
            202);
}

TEST_F(AccessControlEndToEndTest, WithoutAnAuthFileOnlyLoopbackMayBeListenedOn) {
  for (const std::vector<std::string>& flags :
       {std::vector<std::string>{"--host", "0.0.0.0"},
        std::vector<std::string>{"--http-host", "0.0.0.0"}}) {
    std::string command = std::string(TALLY_TALLYD_PATH) + " --port 0 --http-port 0 --data-dir " +
                          directory_ + "/refused";
    for (const std::string& flag : flags) {
      command += " " + flag;
    }
    const testing::ProgramRun run =
        testing::run_program(command, testing::Capture::kStandardOutputAndError);
    EXPECT_EQ(run.exit_code, 2) << run.output;
    EXPECT_NE(run.output.find("without --auth-file tallyd listens only on loopback"),
              std::string::npos)
        << run.output;
  }
  // With keys it may serve other hosts.
  TallydProcess& server = start({"--host", "0.0.0.0", "--http-host", "0.0.0.0"});
  Client client(options("write-secret"));
  EXPECT_NO_THROW(client.connect());
  EXPECT_NE(server.log().find("host=0.0.0.0"), std::string::npos);
}

TEST_F(AccessControlEndToEndTest, HashApiKeyPrintsTheLineTheFileTakes) {
  const testing::ProgramRun run =
      testing::run_program("echo 'abc' | " + std::string(TALLY_TALLYD_PATH) + " --hash-api-key",
                           testing::Capture::kStandardOutput);
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_EQ(run.output, net::api_key_digest_text("abc") + "\n");
  // A bad file stops the start, naming the line.
  std::ofstream(keys_) << "someone root " << net::api_key_digest_text("x") << "\n";
  const testing::ProgramRun refused =
      testing::run_program(std::string(TALLY_TALLYD_PATH) + " --port 0 --http-port 0 --data-dir " +
                               directory_ + "/data --auth-file " + keys_,
                           testing::Capture::kStandardOutputAndError);
  EXPECT_EQ(refused.exit_code, 2) << refused.output;
  EXPECT_NE(refused.output.find(":1: role \"root\""), std::string::npos) << refused.output;
}

}  // namespace
}  // namespace tally
