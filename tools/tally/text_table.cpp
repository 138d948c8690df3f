#include "tools/tally/text_table.h"

#include <algorithm>

namespace tally::cli {

void TextTable::print(std::FILE* out) const {
  std::vector<size_t> widths(alignments_.size(), 0);
  for (const std::vector<std::string>& row : rows_) {
    for (size_t column = 0; column < row.size() && column < widths.size(); ++column) {
      widths[column] = std::max(widths[column], row[column].size());
    }
  }
  for (const std::vector<std::string>& row : rows_) {
    std::string line;
    for (size_t column = 0; column < widths.size(); ++column) {
      const std::string cell = column < row.size() ? row[column] : std::string();
      const std::string padding(widths[column] - cell.size(), ' ');
      if (column > 0) {
        line += "  ";
      }
      if (alignments_[column] == Align::kRight) {
        line += padding + cell;
      } else {
        line += cell + padding;
      }
    }
    line.erase(line.find_last_not_of(' ') + 1);  // an empty last cell leaves the gap before it
    std::fprintf(out, "%s\n", line.c_str());
  }
}

}  // namespace tally::cli
