// TextTable: rows of text printed in aligned columns (two spaces apart), for the human-readable
// output of results and stats. Numbers are right-aligned so that their digits line up.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

namespace tally::cli {

class TextTable {
 public:
  enum class Align { kLeft, kRight };

  explicit TextTable(std::vector<Align> alignments) : alignments_(std::move(alignments)) {}

  // One cell per column; missing cells are empty.
  void add_row(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }
  // Each row on its own line; no line ends in spaces.
  void print(std::FILE* out) const;

 private:
  std::vector<Align> alignments_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace tally::cli
