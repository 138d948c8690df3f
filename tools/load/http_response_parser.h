// HttpResponseParser: the answers on one keep-alive HTTP/1.1 connection, cut out of the bytes
// as they arrive. Minimal on purpose (the server is what is under test, not this): the status
// line's code, the Content-Length header, and the body as a view; every other header is
// skipped. An answer may arrive split over any number of reads, and one read may hold several
// answers: bytes are kept until an answer is whole, and answers are taken one by one in order.
//
// What it does not read (chunked bodies, a missing Content-Length, a status line that is not
// HTTP/1.x) makes the stream malformed for good: next() says so, with why in problem().
//
// Use: read into prepare()'s room, commit() what was read, then next() until kNeedMore. A
// taken answer's body is valid until the next prepare().
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tally::load {

struct HttpResponse {
  unsigned status = 0;
  std::string_view body;
};

class HttpResponseParser {
 public:
  enum class Next : uint8_t { kAnswer, kNeedMore, kMalformed };

  // Room for at least `bytes` more bytes at the end of what is held.
  std::span<char> prepare(size_t bytes = 64 * 1024);
  // `bytes` of prepare()'s room now hold data.
  void commit(size_t bytes);

  // The next whole answer into `answer`, or kNeedMore, or kMalformed (for good).
  Next next(HttpResponse& answer);

  std::size_t buffered() const { return end_ - begin_; }
  const std::string& problem() const { return problem_; }

  // Bytes a header block may take before the stream is taken for garbage.
  static constexpr size_t kHeaderBytesMax = 16 * 1024;

 private:
  Next malformed(std::string why);

  std::vector<char> buffer_;
  size_t begin_ = 0;  // the first byte not taken yet
  size_t end_ = 0;    // one past the last byte held
  // Of the answer at begin_: how far its header was searched for its end (so a header split
  // over many reads is not searched again from its start).
  size_t searched_ = 0;
  std::string problem_;
};

// The unsigned integer after "key": in a JSON body, or 0 if there is none: enough to read one
// number of tallyd's flat answers (e.g. a deposit's "sequence") without a JSON library. The
// first occurrence counts, at any depth.
uint64_t unsigned_field(std::string_view body, std::string_view key);

}  // namespace tally::load
