#include "tools/load/http_response_parser.h"

#include <algorithm>
#include <charconv>
#include <cstring>

namespace tally::load {
namespace {

// A body larger than this is taken for garbage: tallyd's answers are far smaller.
constexpr uint64_t kBodyBytesMax = 64ULL * 1024 * 1024;

// True if `line` starts with `name` (lower case, with its colon), in any case.
bool starts_with_name(std::string_view line, std::string_view name) {
  if (line.size() < name.size()) {
    return false;
  }
  for (size_t index = 0; index < name.size(); ++index) {
    char character = line[index];
    if (character >= 'A' && character <= 'Z') {
      character = static_cast<char>(character - 'A' + 'a');
    }
    if (character != name[index]) {
      return false;
    }
  }
  return true;
}

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
    text.remove_suffix(1);
  }
  return text;
}

}  // namespace

std::span<char> HttpResponseParser::prepare(size_t bytes) {
  if (begin_ == end_) {
    begin_ = end_ = 0;
  } else if (begin_ != 0 && (begin_ >= buffer_.size() / 2 || buffer_.size() - end_ < bytes)) {
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (buffer_.size() - end_ < bytes) {
    buffer_.resize(std::max(end_ + bytes, buffer_.size() * 2));
  }
  return {buffer_.data() + end_, buffer_.size() - end_};
}

void HttpResponseParser::commit(size_t bytes) {
  end_ += std::min(bytes, buffer_.size() - end_);
}

HttpResponseParser::Next HttpResponseParser::malformed(std::string why) {
  if (problem_.empty()) {
    problem_ = std::move(why);
  }
  return Next::kMalformed;
}

HttpResponseParser::Next HttpResponseParser::next(HttpResponse& answer) {
  if (!problem_.empty()) {
    return Next::kMalformed;
  }
  const std::string_view held(buffer_.data() + begin_, end_ - begin_);
  // The header's end: searched again only from where the last search stopped (less the three
  // bytes a "\r\n\r\n" split over reads may have begun with).
  const size_t header_end = held.find("\r\n\r\n", searched_ >= 3 ? searched_ - 3 : 0);
  if (header_end == std::string_view::npos) {
    searched_ = held.size();
    if (held.size() > kHeaderBytesMax) {
      return malformed("an answer's header is longer than " + std::to_string(kHeaderBytesMax) +
                       " bytes");
    }
    return Next::kNeedMore;
  }
  searched_ = header_end;
  const std::string_view header = held.substr(0, header_end + 2);  // each line ends in CRLF
  // "HTTP/1.1 200 OK": the version, one space, three digits.
  if (header.size() < 12 || header.substr(0, 7) != "HTTP/1." || header[8] != ' ') {
    return malformed("not an HTTP/1.x status line: " +
                     std::string(header.substr(0, std::min<size_t>(header.size(), 40))));
  }
  unsigned status = 0;
  const auto [status_end, status_error] =
      std::from_chars(header.data() + 9, header.data() + 12, status);
  if (status_error != std::errc() || status_end != header.data() + 12 || status < 100) {
    return malformed("no status code in " + std::string(header.substr(0, header.find('\r'))));
  }
  bool has_length = false;
  uint64_t length = 0;
  size_t line_start = header.find("\r\n") + 2;
  while (line_start < header.size()) {
    const size_t line_end = header.find("\r\n", line_start);
    const std::string_view line = header.substr(line_start, line_end - line_start);
    line_start = line_end + 2;
    if (starts_with_name(line, "content-length:")) {
      const std::string_view value = trimmed(line.substr(15));
      const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), length);
      if (error != std::errc() || end != value.data() + value.size() || length > kBodyBytesMax) {
        return malformed("a Content-Length this parser cannot take: " + std::string(value));
      }
      has_length = true;
    } else if (starts_with_name(line, "transfer-encoding:")) {
      return malformed("a Transfer-Encoding answer (only Content-Length bodies are read)");
    }
  }
  if (!has_length && status != 204 && status != 304) {
    return malformed("an answer without Content-Length (status " + std::to_string(status) + ")");
  }
  const size_t body_start = header_end + 4;
  if (held.size() - body_start < length) {
    return Next::kNeedMore;  // the header is parsed again when the body is whole: it is short
  }
  answer.status = status;
  answer.body = held.substr(body_start, length);
  begin_ += body_start + length;
  searched_ = 0;
  return Next::kAnswer;
}

uint64_t unsigned_field(std::string_view body, std::string_view key) {
  size_t at = 0;
  while ((at = body.find(key, at)) != std::string_view::npos) {
    const size_t after = at + key.size();
    if (at > 0 && body[at - 1] == '"' && after + 1 < body.size() && body[after] == '"' &&
        body[after + 1] == ':') {
      uint64_t value = 0;
      std::from_chars(body.data() + after + 2, body.data() + body.size(), value);
      return value;
    }
    at = after;
  }
  return 0;
}

}  // namespace tally::load
