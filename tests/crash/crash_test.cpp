// The crash test: run the engine in a child process under a stream of commands, SIGKILL it at
// random moments, restart it, and check after every kill that every acknowledged command is in
// the journal, money is conserved, and recovery is repeatable. TALLY_CRASH_RUNS sets the
// number of kills (default 50).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "engine/journal/posix_storage.h"
#include "engine/journal/recovery.h"
#include "engine/ledger/complete_requests.h"

namespace tally {
namespace {

// Starts the driver with its standard output on a pipe; returns the pid and the read end.
std::pair<pid_t, int> start_driver(const std::string& data, uint64_t seed) {
  int pipe_ends[2];
  if (::pipe(pipe_ends) != 0)
    return {-1, -1};
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(pipe_ends[1], STDOUT_FILENO);
    ::close(pipe_ends[0]);
    ::close(pipe_ends[1]);
    const std::string seed_text = std::to_string(seed);
    ::execl(TALLY_CRASH_DRIVER_PATH, TALLY_CRASH_DRIVER_PATH, data.c_str(), seed_text.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(pipe_ends[1]);
  return {pid, pipe_ends[0]};
}

// The highest sequence in the "ack N" lines of `output`.
uint64_t highest_acknowledged(const std::string& output) {
  uint64_t highest = 0;
  for (size_t position = output.find("ack "); position != std::string::npos;
       position = output.find("ack ", position + 4)) {
    const size_t end = output.find('\n', position);
    if (end == std::string::npos)
      break;  // a line cut by the kill
    highest =
        std::max<uint64_t>(highest, std::stoull(output.substr(position + 4, end - position - 4)));
  }
  return highest;
}

// Runs the driver, then kills it: `run_for` after its first acknowledgement if
// `after_first_acknowledgement` (so that every such run makes progress, however slow the build),
// else `run_for` after it started (which may hit its recovery). Returns everything it printed.
std::string run_and_kill(const std::string& data, uint64_t seed, std::chrono::milliseconds run_for,
                         bool after_first_acknowledgement) {
  const auto [pid, output_pipe] = start_driver(data, seed);
  EXPECT_GT(pid, 0);
  std::string output;
  std::atomic<bool> acknowledged{false};
  std::thread reader([&, output_pipe = output_pipe] {
    char buffer[4096];
    ssize_t read = 0;
    while ((read = ::read(output_pipe, buffer, sizeof(buffer))) > 0) {
      output.append(buffer, static_cast<size_t>(read));
      if (output.find("ack ") != std::string::npos) {
        acknowledged.store(true, std::memory_order_release);
      }
    }
  });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (after_first_acknowledgement && !acknowledged.load(std::memory_order_acquire) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::this_thread::sleep_for(run_for);
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  reader.join();
  ::close(output_pipe);
  EXPECT_TRUE(WIFSIGNALED(status)) << "the driver stopped by itself: " << output;
  return output;
}

// Money that entered and left, counted from the journal's events of complete requests only
// (a request cut by the kill has no effect), independently of the ledger's replay.
int64_t expected_total(journal::Storage& storage, const std::string& directory) {
  int64_t total = 0;
  CompleteRequests<> requests;
  journal::scan_journal(storage, directory, {}, [&](const Outcome& event) {
    for (const Outcome& applied : requests.add(event)) {
      if (applied.type == EventType::AccountOpened || applied.type == EventType::Deposited) {
        total += applied.amount;
      } else if (applied.type == EventType::Withdrawn) {
        total -= applied.amount;
      }
    }
    return Status::ok();
  });
  return total;
}

int64_t total_balance(const Ledger& ledger) {
  int64_t total = 0;
  ledger.accounts().for_each(
      [&](std::string_view, const Account& account) { total += account.balance; });
  return total;
}

TEST(CrashTest, EveryAcknowledgedCommandSurvivesRepeatedKills) {
  char pattern[] = "/tmp/tally-crash-test-XXXXXX";
  ASSERT_NE(::mkdtemp(pattern), nullptr);
  const std::string data = pattern;
  const char* runs_text = std::getenv("TALLY_CRASH_RUNS");
  const int runs = runs_text != nullptr ? std::atoi(runs_text) : 50;
  std::mt19937_64 random(20261123);
  journal::PosixStorage storage;
  uint64_t highest_ever = 0;
  uint64_t last_sequence = 0;
  for (int run = 0; run < runs; ++run) {
    const auto run_for = std::chrono::milliseconds(5 + random() % 60);
    const std::string output =
        run_and_kill(data, static_cast<uint64_t>(run) + 1, run_for, run % 2 == 0);
    highest_ever = std::max(highest_ever, highest_acknowledged(output));
    Ledger recovered(LedgerLimits{});
    const journal::RecoveryReport report = journal::recover(storage, data + "/journal", recovered);
    ASSERT_TRUE(report.status.is_ok()) << "run " << run << ": " << report.status.message();
    ASSERT_GE(report.last_sequence, highest_ever) << "run " << run << " lost acknowledged commands";
    // Money is conserved: balances add up to what came in and went out, and a second recovery
    // finds the same state.
    EXPECT_EQ(total_balance(recovered), expected_total(storage, data + "/journal")) << run;
    Ledger again(LedgerLimits{});
    ASSERT_TRUE(journal::recover(storage, data + "/journal", again).status.is_ok());
    EXPECT_EQ(total_balance(again), total_balance(recovered)) << "run " << run;
    last_sequence = report.last_sequence;
    recovered.accounts().for_each([&](std::string_view id, const Account& account) {
      EXPECT_GE(account.balance, -account.overdraft_limit) << id;
    });
  }
  EXPECT_GT(highest_ever, 0u) << "nothing was ever acknowledged: the test proved nothing";
  std::printf("[ crash ] %d kills, highest acknowledged sequence %llu, journal holds %llu\n", runs,
              static_cast<unsigned long long>(highest_ever),
              static_cast<unsigned long long>(last_sequence));
  std::system(("rm -rf " + data).c_str());
}

}  // namespace
}  // namespace tally
