// Running a program of ours (tally-replay, tally, tally-load) as a user would, through the
// shell, and collecting its exit code and output.
#pragma once

#include <string>

namespace tally::testing {

struct ProgramRun {
  int exit_code = -1;  // -1 if it could not run or did not exit normally
  std::string output;
};

enum class Capture { kStandardOutput, kStandardOutputAndError };

// Runs `command_line` with /bin/sh; standard error is merged into the output or discarded.
ProgramRun run_program(const std::string& command_line, Capture capture);

}  // namespace tally::testing
