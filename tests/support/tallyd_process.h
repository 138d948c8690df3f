// TallydProcess: the real tallyd binary, started as a child process for end-to-end tests: on
// ephemeral loopback ports (--port 0 --http-port 0; the ports are read back from its log), with
// its own data directory, its log written next to it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "net/client/client.h"

namespace tally::testing {

// A fresh, empty directory under the system's temporary directory.
std::string make_temporary_directory(const std::string& prefix);

class TallydProcess {
 public:
  // Starts tallyd on `data_directory` with extra `arguments` and waits until it listens.
  // Throws std::runtime_error (with the log) if it does not within 30 s.
  explicit TallydProcess(std::string data_directory, std::vector<std::string> arguments = {});
  TallydProcess(const TallydProcess&) = delete;
  TallydProcess& operator=(const TallydProcess&) = delete;
  ~TallydProcess();  // SIGTERM if still running (SIGKILL after 10 s)

  uint16_t port() const { return port_; }
  // The HTTP listener's port (throws if it logged none: started with --no-http).
  uint16_t http_port() const;
  pid_t pid() const { return pid_; }
  client::ClientOptions client_options(const std::string& name = "test") const;

  // Sends `signal_number` and waits (up to `timeout`) for the exit. Returns the exit code, or
  // 128 + the signal if it was killed by one, or -1 on timeout (then it is SIGKILLed).
  int stop(int signal_number, std::chrono::seconds timeout = std::chrono::seconds(30));
  // SIGKILL: a crash, no shutdown work at all.
  void kill();
  bool running() const { return pid_ > 0; }

  std::string log() const;
  const std::string& data_directory() const { return data_directory_; }

 private:
  std::string data_directory_;
  std::string log_path_;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
};

}  // namespace tally::testing
