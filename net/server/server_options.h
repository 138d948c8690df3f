// tallyd's command line, config file and environment, parsed with CLI11 into a ServerConfig.
// Every flag may also be set in a TOML/INI file given with --config, or in an environment
// variable named after it (--max-in-flight: TALLY_MAX_IN_FLIGHT). The command line wins over
// the file, the file over the environment.
#pragma once

#include <optional>
#include <string>

#include "engine/base/exit_code.h"
#include "net/server/server_config.h"

namespace tally::net {

// The configuration to run with, or the exit code to leave with (kOk after --help or
// --version, kUsage for a bad flag or an inconsistent configuration; the reason is printed to
// stderr).
struct ParsedOptions {
  std::optional<ServerConfig> config;
  ExitCode exit_code = ExitCode::kOk;
  std::string log_level = "info";
};

ParsedOptions parse_server_options(int argc, char** argv);

}  // namespace tally::net
