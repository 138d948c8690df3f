// HttpSession: one HTTP/1.1 client connection (keep-alive, pipelining) on tallyd's network
// threads. It reads requests (Boost.Beast, with header and body limits), routes them
// (http_routes.h), hands command batches to the same ingress and queries to the same read side
// as the binary protocol, and writes the answers (http_answers.h) in the order the requests
// came, whatever order the engine answers them in.
//
// Pipelining: the session keeps reading while it owes answers, up to requests_in_flight_max
// requests per connection (then it stops reading until answers are written), so the requests
// a client pipelines travel through the engine together, as a binary client's do. Answers that
// are ready at the head of the line go out in one write; the router's answers are taken only
// while no write is in flight, so what it handed out is written before the next take says so.
//
// To the engine it is a connection like any other: a ResponseSink holding a router slot (so
// it counts against max-connections), whose token its requests carry; answers come back
// through the router (never sent directly: they are translated first). Memory per connection
// is bounded by the limits: a header of http_header_bytes_max and a body of
// http_body_bytes_max being read, requests_in_flight_max requests owed, one write; answers the
// client does not read stay in the router, which closes the connection past its bound.
//
// Timeouts: a request must arrive whole within http_idle_timeout_ms of the read's start
// (keep-alive idle and slow clients alike), a write must finish within write_timeout_ms (a
// client that never reads): past either, the connection closes. A client that closes its
// sending side still gets the answers it is owed. A full ingress is retried every millisecond
// (nothing is dropped, as on the binary side); a query the memory budget cannot take gets 503
// with Retry-After.
//
// Threads: everything runs on the connection's strand; on_responses_ready() and on_overflow()
// may be called from any thread (they post to it).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "net/http/http_answers.h"
#include "net/http/http_response_text.h"
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
  // A request in the line: waiting to be submitted, with the engine, or answered.
  struct Slot {
    // kStreaming: GET /api/events, the line's last slot; `answer` holds what is still to be
    // written of its stream.
    enum class State { kUnsubmitted, kWithEngine, kAnswered, kStreaming };
    State state = State::kUnsubmitted;
    EngineCall call;  // its request_id matches the answer; dropped once answered
    ResponseFraming framing;
    std::string answer;  // the response's bytes, once answered
  };

  void begin();
  void after_handshake();
  // Everything that may follow an event: take the router's answers, write what is ready,
  // close when done, read the next request when the line has room.
  void pump();
  // Whether another request may be read: the line has room and nothing stops reading.
  bool may_read() const;
  void new_parser();
  bool expects_continue() const;  // the parsed header asks "Expect: 100-continue"
  // Handles the whole requests already in the buffer, without I/O.
  void read_buffered_requests();
  void read_request();
  // The header is read: answers "Expect: 100-continue" (after every earlier answer), then
  // reads the body.
  void on_header(boost::beast::error_code error);
  void read_body();
  void on_read(boost::beast::error_code error);
  // A request was read whole (handled) or could not be (refused or the connection closes).
  void finish_read(boost::beast::error_code error);
  void handle(const HttpRequest& request);
  // A refusal (401, 403) if the connection's key does not allow `routed`, else nullopt.
  std::optional<HttpRefusal> check_access(const HttpRequest& request,
                                          const RoutedRequest& routed) const;
  HttpAnswer answer_locally(const LocalCall& call);
  // GET /api/events: subscribes through the hub; the response is a stream of server-sent events
  // that ends only with the subscription or the connection.
  void start_stream(Slot& slot, StreamCall& call);
  void stream_message(const protocol::Response& response);
  // While streaming, a read that only notices the client going away.
  void watch_for_close();
  void answer(Slot& slot, const HttpAnswer& answer);
  // Submits the line's unsubmitted calls in order; on a full ingress, retries shortly.
  void submit_waiting();
  // True when the call is with the engine or answered; false to retry later.
  bool submit(Slot& slot);
  bool submit_command(Slot& slot);
  void submit_query(Slot& slot);
  // Takes what the router holds for this connection and answers the slots it is for.
  void collect();
  void answer_from(std::span<const uint8_t> message);
  void write_answered();
  void write_continue();
  void on_written(boost::beast::error_code error);
  void close();

  HttpStream stream_;
  HttpContext& context_;
  boost::asio::steady_timer retry_timer_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  uint64_t token_ = 0;
  bool attached_ = false;
  bool closed_ = false;
  bool reading_ = false;
  bool writing_ = false;
  bool retry_armed_ = false;
  bool continue_owed_ = false;   // a read waits for "100 Continue" to be written
  bool read_no_more_ = false;    // the client closed, asked to close, or sent garbage
  bool streaming_ = false;       // GET /api/events subscribed (stream_id_ names it)
  bool stream_ended_ = false;    // its last event is in the slot's answer
  bool stream_watched_ = false;  // watch_for_close() runs
  Id128 stream_id_;
  std::array<uint8_t, 256> discard_{};  // what a streaming client sends anyway
  std::deque<Slot> line_;               // requests in the order they came
  std::string write_buffer_;            // the answers being written
  std::vector<uint8_t> taken_;
  std::vector<uint8_t> aligned_;  // one answer from the router, aligned for FlatBuffers
};

}  // namespace tally::net::http
