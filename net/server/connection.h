// Connection: one client's TCP session on the server, plain or TLS (ConnectionStream: with
// TLS the handshake comes first, within frame_timeout, and answers are never sent directly by
// the router), its requests allowed by its key's role (AccessControl). It reads frames, answers the
// handshake, stats and projection status itself, hands command batches to the engine's ingress and
// queries to the read side's projectors, and writes the responses the ResponseRouter collects
// for it (queries count against requests_in_flight_max like command batches).
//
// Every limit is enforced here, per connection, so a misbehaving client is cut off without
// touching the others: a frame over frame_bytes_max gets an error and a close; a request other
// than a command batch over query_frame_bytes_max, or a malformed or unknown request, gets an
// error response (and a close if it is the first); at requests_in_flight_max unanswered
// requests (or when the ingress is full) the connection stops reading its socket until answers
// go out (TCP back-pressure: nothing is dropped); a partial frame or a missing Hello older than
// frame_timeout, a response write stuck for write_timeout, or unwritten responses over
// outbox_bytes_max close the connection.
//
// Memory is bounded server-wide by the MemoryBudget: a query is charged until its answer is
// delivered, a read buffer grown for a large frame until it shrinks back. While the budget is
// in use the connection stops reading (the budget wakes it), except to finish a large frame
// whose buffer is charged already, or to take one request when it has nothing in flight and
// nothing being written, so that every client keeps being answered, one request at a time.
// Writes never wait for the budget: a connection can always drain its own answers.
//
// State: two small machines, every move asserted against its allowed edges.
//   Session:  AwaitingHello ──► Open ──► Closing ──► Closed   (and any of them ──► Closed)
//             AwaitingHello ──► Closing                       (a malformed first request)
//   Reading:  Ready ◄──► Reading | PausedAtInFlightLimit | WaitingForIngress | WaitingForMemory
//             (from Ready to one of them and back: at most one reason not to read at a time)
// Writing is independent of both: one write in progress at a time. Every answer the router
// hands over is for a request of this connection in flight (asserted): in_flight_ never goes
// below zero.
//
// Threads: all handlers run on the connection's strand; on_responses_ready() and on_overflow()
// may be called from any thread (they post to the strand).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio.hpp>

#include "engine/pipeline/ingress.h"
#include "net/protocol/frame_reader.h"
#include "net/protocol/messages.h"
#include "net/protocol/subscription_request.h"
#include "net/server/access_control.h"
#include "net/server/connection_stream.h"
#include "net/server/memory_budget.h"
#include "net/server/read_side.h"
#include "net/server/response_router.h"
#include "net/server/server_config.h"
#include "net/server/server_counters.h"

namespace tally::net {

// What every connection shares, owned by the Server.
struct ConnectionContext {
  const ServerConfig& config;
  ResponseRouter& router;
  Ingress& ingress;
  ReadSide& read_side;
  ServerCounters& counters;
  MemoryBudget& budget;
  ServerHello hello;
  std::function<ServerStats()> stats;
  const AccessControl& access;  // API keys and roles (everyone is admin without an auth file)
  boost::asio::ssl::context* tls = nullptr;  // TLS for every connection (--tls-cert), or none
};

// What a request of the binary protocol needs of the connection's key.
Permission permission_for(protocol::RequestBody type);

class Connection : public ResponseSink, public std::enable_shared_from_this<Connection> {
 public:
  Connection(boost::asio::ip::tcp::socket socket, ConnectionContext& context);

  // From any thread: takes a router slot, or answers with an error and closes if the server
  // is full.
  void start();
  void on_responses_ready() override;
  void on_overflow(Overflow why) override;

 private:
  using Clock = std::chrono::steady_clock;
  enum class FrameOutcome { kDone, kRetryLater, kWaitForMemory, kClose };
  enum class Session : uint8_t { kAwaitingHello, kOpen, kClosing, kClosed };
  enum class Reading : uint8_t {
    kReady,                  // may read (or take the frames already read)
    kReading,                // a read of the socket is in progress
    kPausedAtInFlightLimit,  // requests_in_flight_max unanswered: flush() resumes
    kWaitingForIngress,      // the ingress is full: a timer resumes
    kWaitingForMemory,       // the budget is in use: it wakes the connection
  };

  // The only ways the state changes: each asserts that the edge is allowed.
  void move_to(Session next);
  void move_to(Reading next);
  bool open() const { return session_ == Session::kAwaitingHello || session_ == Session::kOpen; }
  bool closed() const { return session_ == Session::kClosed; }

  void begin();
  void after_handshake();
  void refuse_connection();
  void read_more();
  // Charges the read buffer's growth before it is allocated, gives back what a finished large
  // frame held, and says whether the connection may read now.
  bool charge_read_buffer();
  void release_read_buffer();
  // Nothing in flight and nothing being written: may take one request whatever the budget.
  bool idle() const { return in_flight_ == 0 && !writing_; }
  bool may_take_frame() const;
  void wait_for_memory();
  void resume_after_memory();
  void process_frames();
  FrameOutcome handle_frame(std::span<const uint8_t> frame);
  FrameOutcome dispatch(IngressBatch* batch);
  FrameOutcome handle_hello(const protocol::Request& request);
  // True if the connection's role allows `request`; else refuses it with PermissionDenied.
  bool permitted(const protocol::Request& request);
  FrameOutcome handle_batch(const protocol::Request& request, IngressBatch* batch);
  FrameOutcome handle_query(const protocol::Request& request, std::span<const uint8_t> frame);
  // Subscribe, SubscriptionCredit, Unsubscribe: checked here, handed to the subscription hub,
  // which answers through the router (EventBatch, SubscriptionEnded, or an Error).
  void handle_subscription(const protocol::Request& request);
  void handle_projection_request(const protocol::Request& request);
  void refuse(const protocol::Request* request, ResultCode code, std::string_view message);
  void send(std::span<const uint8_t> message);
  void flush();
  // True (and the connection dropped) if its outbox overflowed.
  bool drop_if_overflowed(Overflow overflow);
  void write_some();
  // The write of write_buffer_ completed: the latency stages of a sampled answer in it end.
  void record_written_trace();
  void arm_watchdog();
  void check_deadlines();
  // Stops reading; closes once what is queued is written (or the write times out).
  void close_after_flush(std::string_view reason);
  void drop(std::string_view reason);
  void close_now();

  ConnectionStream stream_;
  ConnectionContext& context_;
  boost::asio::steady_timer watchdog_;
  boost::asio::steady_timer retry_timer_;
  std::string peer_;
  std::string client_name_;
  Role role_ = Role::kNone;  // set by the Hello: the key's role (kAdmin without an auth file)
  uint64_t token_ = 0;

  FrameReader reader_;
  std::vector<uint8_t> write_buffer_;
  flatbuffers::FlatBufferBuilder builder_{256};
  std::vector<uint8_t> framed_;

  Session session_ = Session::kAwaitingHello;
  Reading reading_ = Reading::kReady;
  bool writing_ = false;                 // a write of write_buffer_ is in progress
  uint64_t in_flight_ = 0;               // requests handed to the engine, not yet answered
  bool subscribed_ = false;              // the hub was handed a request of this connection
  bool memory_wake_registered_ = false;  // a wake-up from the budget is on its way
  size_t read_buffer_charged_ = 0;       // the read buffer's growth past its initial size
  size_t written_ = 0;                   // of write_buffer_
  // Since when the client owes the rest of a frame (or the Hello); none while the server is
  // the one waiting (for answers, the ingress or memory).
  std::optional<Clock::time_point> client_owes_since_ = Clock::now();
  Clock::time_point write_since_;
  AnswerTrace write_trace_;  // of a sampled answer in write_buffer_: recorded once it is written
};

}  // namespace tally::net
