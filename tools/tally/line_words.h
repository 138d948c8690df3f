// Splits one batch line into words the way a shell would for the simple cases people type,
// so that a batch line reads like the command line it mirrors:
//   - blanks (spaces, tabs) separate words;
//   - '...' keeps everything inside as it is; "..." too, except that \" and \\ are escapes;
//   - outside quotes, a backslash keeps the next character as it is;
//   - a # at the start of a word (not quoted) starts a comment that runs to the end of the line.
// "" is an empty word (e.g. `open "" --owner ...` for a generated id).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tally::cli {

// The words of `line`, or a UsageError for an unterminated quote or a trailing backslash.
std::vector<std::string> split_words(std::string_view line);

}  // namespace tally::cli
