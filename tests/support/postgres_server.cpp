#include "support/postgres_server.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string_view>

#include "support/program_run.h"

namespace tally::testing {

namespace {

namespace fs = std::filesystem;

// The socket's name only (.s.PGSQL.<port>): the server listens on no TCP port.
constexpr int kPort = 5432;

bool has_binaries(const fs::path& directory) {
  return ::access((directory / "initdb").c_str(), X_OK) == 0 &&
         ::access((directory / "pg_ctl").c_str(), X_OK) == 0;
}

// The newest /usr/lib/postgresql/<version>/bin, else the PATH's, else "".
std::string find_binaries() {
  int newest = -1;
  std::string found;
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator("/usr/lib/postgresql", error)) {
    const std::string name = entry.path().filename().string();
    const int version = std::atoi(name.c_str());
    if (version > newest && has_binaries(entry.path() / "bin")) {
      newest = version;
      found = (entry.path() / "bin").string();
    }
  }
  if (!found.empty()) {
    return found;
  }
  const char* path = std::getenv("PATH");
  std::istringstream directories(path != nullptr ? path : "");
  for (std::string directory; std::getline(directories, directory, ':');) {
    if (!directory.empty() && has_binaries(directory)) {
      return directory;
    }
  }
  return {};
}

// `text` as one word for /bin/sh.
std::string shell_quoted(std::string_view text) {
  std::string quoted = "'";
  for (const char character : text) {
    if (character == '\'') {
      quoted += "'\\''";
    } else {
      quoted += character;
    }
  }
  quoted += '\'';
  return quoted;
}

std::string file_text(const std::string& path) {
  std::ifstream file(path);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

}  // namespace

bool running_in_ci() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string_view(ci) == "true";
}

PostgresServer::PostgresServer() : binaries_(find_binaries()) {
  if (binaries_.empty()) {
    binaries_missing_ = true;
    error_ = "no initdb and pg_ctl in /usr/lib/postgresql/*/bin or on PATH";
    return;
  }
  running_ = start();
}

PostgresServer::~PostgresServer() {
  if (running_) {
    run_program(as_server_user(shell_quoted(binaries_ + "/pg_ctl") + " -D " +
                               shell_quoted(directory_.file("data")) + " -m fast -w stop"),
                Capture::kStandardOutputAndError);
  }
}

std::string PostgresServer::as_server_user(const std::string& command) const {
  // (from the directory, which `nobody` can enter: the test's own may be closed to it)
  std::string line = "cd ";
  line += shell_quoted(directory_.path());
  line += " && ";
  if (as_nobody_) {
    line += "runuser -u nobody -- ";
  }
  line += command;
  return line;
}

bool PostgresServer::initdb() {
  const ProgramRun run =
      run_program(as_server_user(shell_quoted(binaries_ + "/initdb") + " -D " +
                                 shell_quoted(directory_.file("data")) +
                                 " --auth=trust -U tally --no-sync -E UTF8 --locale=C"),
                  Capture::kStandardOutputAndError);
  if (run.exit_code != 0) {
    error_ = "initdb failed: " + run.output;
  }
  return run.exit_code == 0;
}

bool PostgresServer::make_data_directory() {
  // One template per build and set of binaries; a lock lets one process make it while the
  // others (ctest -j) wait for it.
  const fs::path root = TALLY_POSTGRES_TEMPLATE_ROOT;
  std::error_code error;
  fs::create_directories(root, error);
  const fs::path made = root / std::to_string(std::hash<std::string>{}(binaries_));
  const int lock = ::open((made.string() + ".lock").c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
  if (lock < 0 || ::flock(lock, LOCK_EX) != 0) {
    if (lock >= 0) {
      ::close(lock);
    }
    return initdb();  // no template, then: slower, not wrong
  }
  bool ready = false;
  if (fs::exists(made / "PG_VERSION")) {
    const ProgramRun copied = run_program(
        "cp -a " + shell_quoted(made.string()) + " " + shell_quoted(directory_.file("data")),
        Capture::kStandardOutputAndError);
    ready = copied.exit_code == 0;
    if (!ready) {
      error_ = "copying the initdb template failed: " + copied.output;
    }
  } else if ((ready = initdb())) {
    // Copied before the server first starts, so the template is a cluster never run. (`cp -a`
    // keeps the owner, nobody, when run as root.)
    const std::string partial = made.string() + ".partial";
    run_program("rm -rf " + shell_quoted(partial) + " && cp -a " +
                    shell_quoted(directory_.file("data")) + " " + shell_quoted(partial) +
                    " && mv " + shell_quoted(partial) + " " + shell_quoted(made.string()),
                Capture::kStandardOutputAndError);
  }
  ::close(lock);  // (releases the lock)
  return ready;
}

bool PostgresServer::start() {
  if (::geteuid() == 0) {
    const passwd* nobody = ::getpwnam("nobody");
    if (nobody == nullptr ||
        ::chown(directory_.path().c_str(), nobody->pw_uid, nobody->pw_gid) != 0) {
      error_ = "running as root, and cannot give the directory to the user nobody";
      return false;
    }
    as_nobody_ = true;
  }
  if (!make_data_directory()) {
    return false;
  }
  const std::string data = shell_quoted(directory_.file("data"));
  // pg_ctl hands -o to a shell again, hence listen_addresses='' quoted inside.
  const std::string options = "-c listen_addresses='' -c unix_socket_directories='" +
                              directory_.path() + "' -p " + std::to_string(kPort) +
                              " -c fsync=off -c synchronous_commit=off -c full_page_writes=off";
  const ProgramRun started =
      run_program(as_server_user(shell_quoted(binaries_ + "/pg_ctl") + " -D " + data + " -l " +
                                 shell_quoted(directory_.file("server.log")) + " -w -t 60 -o " +
                                 shell_quoted(options) + " start"),
                  Capture::kStandardOutputAndError);
  if (started.exit_code != 0) {
    error_ = "pg_ctl start failed: " + started.output + "\nserver log:\n" +
             file_text(directory_.file("server.log"));
    return false;
  }
  return true;
}

std::string PostgresServer::conninfo() const {
  return "host=" + directory_.path() + " port=" + std::to_string(kPort) +
         " user=tally dbname=postgres";
}

}  // namespace tally::testing
