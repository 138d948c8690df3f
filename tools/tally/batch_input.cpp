#include "tools/tally/batch_input.h"

#include <algorithm>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "tools/tally/command_syntax.h"
#include "tools/tally/exit_code.h"
#include "tools/tally/line_words.h"

namespace tally::cli {
namespace {

// One app for every line: CLI11 apps are costly to build, and a batch may hold thousands.
class LineParser {
 public:
  LineParser() : app_("a batch line"), syntax_(prepared(app_)) {}

  // The command on `words` (not empty). Throws UsageError.
  LedgerCommand parse(std::vector<std::string> words) {
    if (!CommandSyntax::is_command_name(words.front())) {
      throw UsageError("unknown command \"" + words.front() +
                       "\" (a batch line holds one of open, deposit, withdraw, transfer, "
                       "freeze, unfreeze, close)");
    }
    app_.clear();
    syntax_.reset();
    std::reverse(words.begin(), words.end());  // CLI11 takes the arguments last first
    try {
      app_.parse(words);
    } catch (const CLI::ParseError& error) {
      throw UsageError(error.what());
    }
    return *syntax_.parsed();
  }

 private:
  // --help means nothing on a batch line; without it the subcommands do not get one either.
  static CLI::App& prepared(CLI::App& app) {
    app.set_help_flag();
    app.require_subcommand(1);
    return app;
  }

  CLI::App app_;
  CommandSyntax syntax_;
};

}  // namespace

void read_batch(std::istream& input, BatchPlanner& planner) {
  LineParser parser;
  std::string line;
  size_t line_number = 0;
  size_t commands = 0;
  while (std::getline(input, line)) {
    ++line_number;
    try {
      std::vector<std::string> words = split_words(line);
      if (words.empty()) {
        continue;  // blank, or only a comment
      }
      planner.add(parser.parse(std::move(words)), "line " + std::to_string(line_number));
      ++commands;
    } catch (const UsageError& error) {
      throw UsageError("line " + std::to_string(line_number) + ": " + error.what());
    }
  }
  if (input.bad()) {
    throw UsageError("cannot read the batch input");
  }
  if (commands == 0) {
    throw UsageError("the batch holds no command");
  }
}

}  // namespace tally::cli
