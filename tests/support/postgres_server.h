// PostgresServer: a real PostgreSQL server of the test's own, in a fresh temporary directory:
// initdb (trust authentication, superuser `tally`, UTF-8, no syncs), then pg_ctl start
// listening on a unix socket in that directory only (no TCP port, so servers of tests run in
// parallel never meet), with fsync off. The destructor stops it (pg_ctl stop -m fast) and
// removes the directory.
//
// The binaries: the newest /usr/lib/postgresql/<version>/bin (Debian's packages keep them
// off PATH), else initdb and pg_ctl on PATH. PostgreSQL refuses to run as root: as root, the
// directory is given to `nobody` and the binaries run as it (runuser); the test connects
// through the socket as `tally` all the same.
//
// initdb takes about 1.5 s, so it runs once per build: its cluster is kept as a template in
// the build directory (TALLY_POSTGRES_TEMPLATE_ROOT) and copied for each server, which then
// starts in about 0.3 s. Suites share one server (SetUpTestSuite) and give each test a schema
// of its own. TALLY_REQUIRE_POSTGRES skips a test where the binaries are missing
// (saying to run tools/setup.sh), and fails it instead under CI=true, where a skip would hide
// that the tests never ran.
#pragma once

#include <memory>
#include <string>

#include "support/temporary_directory.h"

namespace tally::testing {

class PostgresServer {
 public:
  // Starts one; is_running() says whether that worked, error() why not.
  PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;
  ~PostgresServer();

  bool is_running() const { return running_; }
  // True if no PostgreSQL binaries were found (nothing was tried).
  bool binaries_missing() const { return binaries_missing_; }
  const std::string& error() const { return error_; }

  // The libpq connection string of the server's `postgres` database.
  std::string conninfo() const;

 private:
  bool start();
  // The cluster in <directory>/data: a copy of this build's template, made by initdb the
  // first time.
  bool make_data_directory();
  bool initdb();
  // `command` (a shell command line) run as the user the server runs as.
  std::string as_server_user(const std::string& command) const;

  TemporaryDirectory directory_{"tally-postgres"};
  std::string binaries_;
  bool as_nobody_ = false;
  bool running_ = false;
  bool binaries_missing_ = false;
  std::string error_;
};

// True when the environment says it is CI (CI=true), where missing tools fail tests.
bool running_in_ci();

}  // namespace tally::testing

// In a test or its SetUp: skips, or under CI fails, when `server` (a PostgresServer*) has no
// binaries; fails when it could not start.
#define TALLY_REQUIRE_POSTGRES(server)                                                        \
  do {                                                                                        \
    if ((server)->binaries_missing()) {                                                       \
      if (::tally::testing::running_in_ci()) {                                                \
        FAIL() << "PostgreSQL's initdb and pg_ctl were not found, and CI=true: the export "   \
                  "tests must run in CI (tools/setup.sh installs Debian's postgresql)";       \
      }                                                                                       \
      GTEST_SKIP() << "PostgreSQL's initdb and pg_ctl were not found: run tools/setup.sh "    \
                      "(it installs Debian's postgresql package)";                            \
    }                                                                                         \
    ASSERT_TRUE((server)->is_running()) << "PostgreSQL did not start: " << (server)->error(); \
  } while (false)
