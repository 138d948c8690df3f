// The bytes of an HTTP/1.x response: status line, headers and body, appended to a buffer so
// that the answers to a connection's pipelined requests go out in one write. Pure: no I/O.
//
// Headers: Server, Content-Type, Content-Length, and by the answer Idempotent-Replayed (a
// retry's original answer), Allow (405), WWW-Authenticate (401), Retry-After (429, 503);
// Connection as HTTP/1.0 and 1.1 need it to say whether the connection stays open. The answer
// to a HEAD request carries its headers and no body (the client reads none).
#pragma once

#include <string>

#include "net/http/http_answers.h"

namespace tally::net::http {

struct ResponseFraming {
  unsigned version = 11;  // of the request: 10 or 11
  bool keep_alive = true;
  bool head = false;  // the request was HEAD: headers only
};

void append_response(std::string& out, const HttpAnswer& answer, const ResponseFraming& framing);

}  // namespace tally::net::http
