#include "net/http/http_response_text.h"

#include <boost/beast/http/status.hpp>

namespace tally::net::http {
namespace {

void append_header(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append(": ").append(value).append("\r\n");
}

}  // namespace

void append_response(std::string& out, const HttpAnswer& answer, const ResponseFraming& framing) {
  const auto status = boost::beast::http::int_to_status(answer.status);
  const boost::beast::string_view reason = boost::beast::http::obsolete_reason(status);
  out.append(framing.version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ")
      .append(std::to_string(answer.status))
      .append(" ")
      .append(reason.data(), reason.size())
      .append("\r\n");
  append_header(out, "Server", "tallyd");
  append_header(out, "Content-Type", answer.content_type);
  if (answer.replayed) {
    append_header(out, "Idempotent-Replayed", "true");
  }
  if (!answer.allow.empty()) {
    append_header(out, "Allow", answer.allow);
  }
  if (answer.status == 401) {
    append_header(out, "WWW-Authenticate", "Bearer realm=\"tally\"");
  }
  if (answer.status == 503 || answer.status == 429) {
    append_header(out, "Retry-After", "1");
  }
  append_header(out, "Content-Length", std::to_string(answer.body.size()));
  // HTTP/1.1 stays open unless told; HTTP/1.0 closes unless told.
  if (framing.version == 10 && framing.keep_alive) {
    append_header(out, "Connection", "keep-alive");
  } else if (framing.version != 10 && !framing.keep_alive) {
    append_header(out, "Connection", "close");
  }
  out.append("\r\n");
  if (!framing.head) {
    out.append(answer.body);
  }
}

}  // namespace tally::net::http
