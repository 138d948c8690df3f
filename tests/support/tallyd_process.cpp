#include "support/tallyd_process.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <thread>

namespace tally::testing {
namespace {

// Reads the port from the log line "<event> host=... port=N ..." (event=listening: the
// binary protocol's; event=http_listening: HTTP's).
uint16_t port_in(const std::string& log, std::string_view event = "event=listening") {
  const size_t line = log.find(event);
  if (line == std::string::npos) {
    return 0;
  }
  const size_t port = log.find(" port=", line);
  return port == std::string::npos
             ? 0
             : static_cast<uint16_t>(std::strtoul(log.c_str() + port + 6, nullptr, 10));
}

}  // namespace

uint16_t TallydProcess::http_port() const {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (const uint16_t port = port_in(log(), "event=http_listening"); port != 0) {
      return port;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  throw std::runtime_error("tallyd logged no HTTP port:\n" + log());
}

std::string make_temporary_directory(const std::string& prefix) {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/" + prefix + "-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("mkdtemp failed for " + pattern);
  }
  return pattern;
}

TallydProcess::TallydProcess(std::string data_directory, std::vector<std::string> arguments)
    : data_directory_(std::move(data_directory)), log_path_(data_directory_ + ".log") {
  // Both listeners on free ports (tests run in parallel), unless the test names a port (a
  // restart on the port its clients know).
  std::vector<std::string> argv_strings = {TALLY_TALLYD_PATH, "--data-dir", data_directory_};
  for (const char* listener : {"--port", "--http-port"}) {
    if (std::find(arguments.begin(), arguments.end(), listener) == arguments.end()) {
      argv_strings.insert(argv_strings.end(), {listener, "0"});
    }
  }
  argv_strings.insert(argv_strings.end(), arguments.begin(), arguments.end());
  std::vector<char*> argv;
  for (std::string& argument : argv_strings) {
    argv.push_back(argument.data());
  }
  argv.push_back(nullptr);
  std::remove(log_path_.c_str());
  pid_ = ::fork();
  if (pid_ == 0) {
    if (std::freopen(log_path_.c_str(), "w", stderr) == nullptr) {
      ::_exit(127);
    }
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    port_ = port_in(log());
    if (port_ != 0) {
      return;
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("tallyd exited at start-up:\n" + log());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill();
  throw std::runtime_error("tallyd did not listen within 30 s:\n" + log());
}

TallydProcess::~TallydProcess() {
  // A clean stop, so that a sanitizer build reports leaks at exit; SIGKILL if it hangs.
  stop(SIGTERM, std::chrono::seconds(10));
  // A sanitizer build of tallyd reports into its log; a report is a test failure.
  const std::string text = log();
  for (const char* marker :
       {"ThreadSanitizer", "AddressSanitizer", "LeakSanitizer", "runtime error:"}) {
    if (text.find(marker) != std::string::npos) {
      ADD_FAILURE() << "tallyd reported a sanitizer finding:\n" << text;
      break;
    }
  }
}

client::ClientOptions TallydProcess::client_options(const std::string& name) const {
  client::ClientOptions options;
  options.port = port_;
  options.client_name = name;
  options.reconnect_backoff = std::chrono::milliseconds(20);
  return options;
}

int TallydProcess::stop(int signal_number, std::chrono::seconds timeout) {
  if (pid_ <= 0) {
    return -1;
  }
  ::kill(pid_, signal_number);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  kill();
  return -1;
}

void TallydProcess::kill() {
  if (pid_ <= 0) {
    return;
  }
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::string TallydProcess::log() const {
  std::ifstream file(log_path_);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

}  // namespace tally::testing
