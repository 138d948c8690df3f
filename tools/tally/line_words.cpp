#include "tools/tally/line_words.h"

#include "tools/tally/exit_code.h"

namespace tally::cli {
namespace {

bool is_blank(char character) {
  return character == ' ' || character == '\t' || character == '\r' || character == '\f' ||
         character == '\v';
}

// Reads words from a line, one character at a time.
class WordReader {
 public:
  explicit WordReader(std::string_view line) : line_(line) {}

  std::vector<std::string> read() {
    while (position_ < line_.size()) {
      const char character = line_[position_++];
      if (is_blank(character)) {
        finish_word();
      } else if (character == '#' && !in_word_) {
        break;  // a comment
      } else if (character == '\'') {
        read_single_quoted();
      } else if (character == '"') {
        read_double_quoted();
      } else if (character == '\\') {
        word().push_back(escaped_character());
      } else {
        word().push_back(character);
      }
    }
    finish_word();
    return std::move(words_);
  }

 private:
  // The word being read, started if there is none: quotes start one even if nothing follows.
  std::string& word() {
    in_word_ = true;
    return word_;
  }

  void finish_word() {
    if (in_word_) {
      words_.push_back(std::move(word_));
      word_.clear();
      in_word_ = false;
    }
  }

  char escaped_character() {
    if (position_ == line_.size()) {
      throw UsageError("a backslash ends the line");
    }
    return line_[position_++];
  }

  void read_single_quoted() {
    std::string& text = word();
    while (position_ < line_.size() && line_[position_] != '\'') {
      text.push_back(line_[position_++]);
    }
    expect_closing('\'');
  }

  void read_double_quoted() {
    std::string& text = word();
    while (position_ < line_.size() && line_[position_] != '"') {
      const char character = line_[position_++];
      const bool escape = character == '\\' && position_ < line_.size() &&
                          (line_[position_] == '"' || line_[position_] == '\\');
      text.push_back(escape ? line_[position_++] : character);
    }
    expect_closing('"');
  }

  void expect_closing(char quote) {
    if (position_ == line_.size()) {
      throw UsageError(std::string("a ") + quote + " quote is not closed");
    }
    ++position_;
  }

  std::string_view line_;
  size_t position_ = 0;
  // A flag besides the text: "" is a word, nothing is not.
  std::string word_;
  bool in_word_ = false;
  std::vector<std::string> words_;
};

}  // namespace

std::vector<std::string> split_words(std::string_view line) {
  return WordReader(line).read();
}

}  // namespace tally::cli
