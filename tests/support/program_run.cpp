#include "support/program_run.h"

#include <sys/wait.h>

#include <cstdio>

namespace tally::testing {

ProgramRun run_program(const std::string& command_line, Capture capture) {
  ProgramRun result;
  const std::string command =
      command_line + (capture == Capture::kStandardOutputAndError ? " 2>&1" : " 2>/dev/null");
  std::FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    return result;
  }
  char buffer[4096];
  while (const size_t read = std::fread(buffer, 1, sizeof(buffer), pipe)) {
    result.output.append(buffer, read);
  }
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

}  // namespace tally::testing
