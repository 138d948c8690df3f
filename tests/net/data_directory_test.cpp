// tallyd and its data directory, end to end: one server per directory, a journal whose
// acknowledged records were damaged is refused (and left as it was), and read models after a
// restart never answer from a state older than the one recovered.
#include <gtest/gtest.h>
#include <signal.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "engine/journal/segment_names.h"
#include "net/client/client.h"
#include "net/client/query.h"
#include "support/program_run.h"
#include "support/tallyd_process.h"

namespace tally {
namespace {

using client::BatchBuilder;
using client::Client;
using client::Query;
using testing::TallydProcess;

std::vector<char> file_bytes(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

class DataDirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override { data_ = testing::make_temporary_directory("tallyd-data-test") + "/data"; }
  void TearDown() override {
    server_.reset();
    std::system(("rm -rf " + data_.substr(0, data_.rfind('/'))).c_str());
  }
  TallydProcess& start() {
    server_ = std::make_unique<TallydProcess>(data_);
    return *server_;
  }
  // tallyd in the foreground on the data directory; it must exit by itself within 20 s.
  testing::ProgramRun run_tallyd() {
    return testing::run_program("timeout -s KILL 20 " + std::string(TALLY_TALLYD_PATH) +
                                    " --port 0 --http-port 0 --data-dir " + data_,
                                testing::Capture::kStandardOutputAndError);
  }
  std::string segment(uint64_t index) const {
    return data_ + "/journal/" + journal::segment_name(index);
  }

  std::string data_;
  std::unique_ptr<TallydProcess> server_;
};

TEST_F(DataDirectoryTest, ASecondServerOnTheSameDataDirectoryRefusesToStart) {
  TallydProcess& first = start();
  const testing::ProgramRun second = run_tallyd();
  EXPECT_EQ(second.exit_code, 3) << second.output;
  EXPECT_NE(second.output.find("in use"), std::string::npos) << second.output;
  EXPECT_NE(second.output.find("pid " + std::to_string(first.pid())), std::string::npos)
      << second.output;
  Client client(first.client_options());  // the first goes on serving
  client.connect();
  EXPECT_EQ(client.execute(BatchBuilder().open_account("a", "A", "EUR")).results[0].code,
            ResultCode::Ok);
  first.kill();
  EXPECT_NO_THROW(start());  // the lock died with its holder: no stale lock after a crash
}

// The case: an account, 19 deposits, a clean stop, one bit flipped at byte 200.
TEST_F(DataDirectoryTest, AFlippedBitInAnAcknowledgedRecordIsRefusedAndLeftAsItWas) {
  {
    TallydProcess& server = start();
    Client client(server.client_options());
    client.connect();
    client.execute(BatchBuilder().open_account("a", "A", "EUR"));
    for (int deposit = 0; deposit < 19; ++deposit) {
      ASSERT_EQ(client.execute(BatchBuilder().deposit("a", 100)).results[0].code, ResultCode::Ok);
    }
    ASSERT_EQ(server.stop(SIGTERM), 0);
  }
  {
    std::fstream file(segment(0), std::ios::in | std::ios::out | std::ios::binary);
    file.seekg(200);
    const char byte = static_cast<char>(file.get() ^ 0x04);
    file.seekp(200);
    file.put(byte);
  }
  const std::vector<char> before = file_bytes(segment(0));
  const testing::ProgramRun refused = run_tallyd();
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_NE(refused.output.find(journal::segment_name(0) + " at offset"), std::string::npos)
      << refused.output;
  EXPECT_NE(refused.output.find("not a torn tail"), std::string::npos) << refused.output;
  EXPECT_EQ(file_bytes(segment(0)), before) << "the refusal destroyed the evidence";
}

TEST_F(DataDirectoryTest, TheNewestSegmentDeletedIsRefused) {
  {
    TallydProcess& server = start();
    Client client(server.client_options());
    client.connect();
    client.execute(BatchBuilder().open_account("a", "A", "EUR"));
    ASSERT_EQ(server.stop(SIGTERM), 0);
  }
  ASSERT_EQ(std::remove(segment(0).c_str()), 0);
  const testing::ProgramRun refused = run_tallyd();
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_NE(refused.output.find("manifest"), std::string::npos) << refused.output;
}

TEST_F(DataDirectoryTest, AfterARestartNoQueryIsAnsweredFromAnOlderState) {
  int64_t total = 0;
  {
    TallydProcess& server = start();
    Client client(server.client_options());
    client.connect();
    client.execute(BatchBuilder().open_account("a", "A", "EUR"));
    for (int batch = 0; batch < 200; ++batch) {
      BatchBuilder deposits;
      for (int deposit = 0; deposit < 50; ++deposit) {
        deposits.deposit("a", 3);
        total += 3;
      }
      client.execute(deposits);
    }
    ASSERT_EQ(server.stop(SIGTERM), 0);
  }
  TallydProcess& restarted = start();
  Client client(restarted.client_options());
  client.connect();
  // No min_sequence: still the state recovered, never a half-rebuilt one.
  const client::QueryReply reply = client.query(Query::balance("a"));
  EXPECT_EQ(reply.body<protocol::BalanceResult>()->balance(), total);
}

TEST(TallydVersionTest, VersionPrintsTheProjectVersionAndExitsZero) {
  const testing::ProgramRun run = testing::run_program(
      std::string(TALLY_TALLYD_PATH) + " --version", testing::Capture::kStandardOutputAndError);
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(run.output, "tallyd " TALLY_VERSION "\n");
}

}  // namespace
}  // namespace tally
