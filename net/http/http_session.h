// HttpSession: one HTTP/1.1 client connection (keep-alive) on tallyd's network threads. It
// reads one request at a time (Boost.Beast, with header and body limits), routes it
// (http_routes.h), hands command batches to the same ingress and queries to the same read side
// as the binary protocol, and writes the answer (http_answers.h) before it reads the next
// request: pipelined requests wait in the socket's buffer and are answered in order.
//
// To the engine it is a connection like any other: a ResponseSink holding a router slot (so
// it counts against max-connections), whose token its requests carry; answers come back
// through the router (never sent directly: they are translated first). One request in flight
// at a time, so its memory is bounded by the limits: a header of http_header_bytes_max, a body
// of http_body_bytes_max, one answer.
//
// Timeouts: a request must arrive whole within http_idle_timeout_ms of the previous answer
// (keep-alive idle and slow clients alike), an answer must be written within
// write_timeout_ms (a client that never reads): past either, the connection closes.
// A full ingress is retried every millisecond (nothing is dropped, as on the binary side); a
// query the memory budget cannot take gets 503 with Retry-After.
//
// Threads: everything runs on the connection's strand; on_responses_ready() and on_overflow()
// may be called from any thread (they post to it).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "net/http/http_answers.h"
#include "net/http/http_routes.h"
#include "net/http/http_stream.h"
#include "net/server/connection.h"

namespace tally::net::http {

// What every HTTP connection shares, owned by the HttpListener.
struct HttpContext {
  ConnectionContext& server;    // router, ingress, read side, budget, counters, stats
  uint64_t recovered_sequence;  // what start-up recovered: /ready waits for the read models
  uint64_t id_salt;             // the high word of request ids made for requests without a key
  std::atomic<uint64_t> next_id{1};
  // HTTP's share of the server's connections (the metrics split them by protocol).
  std::atomic<uint64_t> connections_open{0};
  std::atomic<uint64_t> connections_accepted{0};
};

class HttpSession : public ResponseSink, public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(boost::asio::ip::tcp::socket socket, HttpContext& context);
  ~HttpSession() override;

  // From any thread: takes a router slot (or answers 503 and closes) and reads.
  void start();
  void on_responses_ready() override;
  void on_overflow(Overflow why) override;

 private:
  void begin();
  void after_handshake();
  void read_request();
  // The header is read: answers "Expect: 100-continue", then reads the body.
  void on_header(boost::beast::error_code error);
  void on_read(boost::beast::error_code error);
  void handle(const HttpRequest& request);
  // A refusal (401, 403) if the connection's key does not allow `routed`, else nullopt.
  std::optional<HttpRefusal> check_access(const HttpRequest& request,
                                          const RoutedRequest& routed) const;
  void answer_locally(const LocalCall& call);
  // Submits pending_'s call to the engine: queued, or answered at once if refused.
  void submit();
  bool submit_command();
  bool submit_query();
  // Takes what the router holds for this connection and answers the pending request with it.
  void collect();
  void respond(HttpAnswer answer);
  void on_written(boost::beast::error_code error, bool keep_alive);
  void close();

  HttpStream stream_;
  HttpContext& context_;
  boost::asio::steady_timer retry_timer_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  boost::beast::http::response<boost::beast::http::string_body> response_;
  uint64_t token_ = 0;
  bool attached_ = false;
  bool closed_ = false;

  // The request waiting for the engine's answer.
  struct Pending {
    Id128 request_id;
    EngineCall call;
  };
  std::optional<Pending> pending_;
  unsigned version_ = 11;   // of the request being answered
  bool keep_alive_ = true;  // of the request being answered
  std::vector<uint8_t> taken_;
};

}  // namespace tally::net::http
