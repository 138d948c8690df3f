// TLS end to end: tallyd with --tls-cert and --tls-key on both listeners, a self-signed
// certificate made by the openssl program for each test; the C++ client and curl with the
// right CA, a wrong CA and none.
#include <gtest/gtest.h>

#include <string>

#include "net/client/client.h"
#include "support/program_run.h"
#include "support/tallyd_process.h"

namespace tally {
namespace {

using client::BatchBuilder;
using client::Client;
using client::ClientError;
using testing::TallydProcess;

class TlsEndToEndTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = testing::make_temporary_directory("tls-test");
    for (const std::string name : {"server", "stranger"}) {
      const testing::ProgramRun made = testing::run_program(
          "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost"
          " -addext subjectAltName=IP:127.0.0.1,DNS:localhost -keyout " +
              directory_ + "/" + name + "-key.pem -out " + directory_ + "/" + name + ".pem",
          testing::Capture::kStandardOutputAndError);
      ASSERT_EQ(made.exit_code, 0) << made.output;
    }
    server_ = std::make_unique<TallydProcess>(
        directory_ + "/data",
        std::vector<std::string>{"--tls-cert", directory_ + "/server.pem", "--tls-key",
                                 directory_ + "/server-key.pem"});
  }
  void TearDown() override {
    server_.reset();
    std::system(("rm -rf " + directory_).c_str());
  }
  client::ClientOptions options(const std::string& ca) const {
    client::ClientOptions options = server_->client_options();
    options.tls_ca_file = ca.empty() ? "" : directory_ + "/" + ca;
    options.reconnect_attempts = 0;
    options.connect_timeout = std::chrono::milliseconds(3000);
    options.request_timeout = std::chrono::milliseconds(3000);
    return options;
  }
  // curl's exit code and output for GET `path` over https with `ca` ("": none given).
  testing::ProgramRun curl(const std::string& path, const std::string& ca,
                           const std::string& scheme = "https") {
    std::string command = "curl -s -S --max-time 10";
    if (!ca.empty()) {
      command += " --cacert " + directory_ + "/" + ca;
    }
    command += " " + scheme + "://127.0.0.1:" + std::to_string(server_->http_port()) + path;
    return testing::run_program(command, testing::Capture::kStandardOutputAndError);
  }

  std::string directory_;
  std::unique_ptr<TallydProcess> server_;
};

TEST_F(TlsEndToEndTest, TheBinaryProtocolRunsOverTlsAndAWrongCaIsRefused) {
  Client client(options("server.pem"));
  const client::BatchResult opened =
      client.execute(BatchBuilder().open_account("tls", "T", "EUR").deposit("tls", 500));
  ASSERT_EQ(opened.results.size(), 2u);
  EXPECT_EQ(opened.results[1].code, ResultCode::Ok);
  EXPECT_EQ(opened.results[1].balance, 500);

  // A server whose certificate the client's CA did not sign: no connection.
  try {
    Client(options("stranger.pem")).connect();
    ADD_FAILURE() << "connected with the wrong CA";
  } catch (const ClientError& error) {
    EXPECT_EQ(error.kind(), ClientError::Kind::kConnect);
    EXPECT_NE(std::string(error.what()).find("certificate verify failed"), std::string::npos)
        << error.what();
  }
  // A client speaking plain TCP to a TLS listener gets nowhere, and the server is unharmed.
  EXPECT_THROW(Client(options("")).connect(), ClientError);
  EXPECT_EQ(client.execute(BatchBuilder().deposit("tls", 1)).results.at(0).balance, 501);
}

TEST_F(TlsEndToEndTest, HttpsWithCurl) {
  const testing::ProgramRun ok = curl("/health", "server.pem");
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_EQ(ok.output, R"({"status":"ok"})");
  const testing::ProgramRun stranger = curl("/health", "stranger.pem");
  EXPECT_NE(stranger.exit_code, 0) << stranger.output;  // 60: the peer's certificate
  const testing::ProgramRun plain = curl("/health", "", "http");
  EXPECT_NE(plain.exit_code, 0) << plain.output;
  EXPECT_EQ(curl("/health", "server.pem").exit_code, 0);
  EXPECT_NE(server_->log().find("tls=on"), std::string::npos);
}

TEST(TlsConfigurationTest, ACertificateWithoutAKeyOrAnUnreadableOneStopsTheStart) {
  const std::string directory = testing::make_temporary_directory("tls-config-test");
  const std::string tallyd =
      std::string(TALLY_TALLYD_PATH) + " --port 0 --http-port 0 --data-dir " + directory + "/data";
  const testing::ProgramRun alone = testing::run_program(
      tallyd + " --tls-cert " + directory + "/none.pem", testing::Capture::kStandardOutputAndError);
  EXPECT_EQ(alone.exit_code, 2) << alone.output;
  EXPECT_NE(alone.output.find("--tls-cert and --tls-key go together"), std::string::npos);
  const testing::ProgramRun missing = testing::run_program(
      tallyd + " --tls-cert " + directory + "/none.pem --tls-key " + directory + "/none-key.pem",
      testing::Capture::kStandardOutputAndError);
  EXPECT_EQ(missing.exit_code, 2) << missing.output;
  EXPECT_NE(missing.output.find("cannot use the TLS certificate"), std::string::npos)
      << missing.output;
  std::system(("rm -rf " + directory).c_str());
}

}  // namespace
}  // namespace tally
