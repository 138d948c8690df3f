// tally::client::Client: a connection to tallyd, for programs (the tally CLI, tally-load, the
// tests). Connects and says Hello, then offers synchronous calls (execute, stats) and a
// pipelined interface (send many, receive replies as they come).
//
// Retries are safe by construction: every request keeps its request id until answered; if
// the connection drops, the client reconnects (with backoff) and sends every unanswered
// request again with the same id, and the server's idempotency window makes a request that
// was already applied answer with its original results instead of applying twice.
//
// Failures are thrown (ClientError), unlike the rest of Tally, which returns a Status or a
// Result: this is the API other programs use, and a call that either returns its answer or
// throws cannot be misread, however far from the call the program handles the failure (the CLI
// in main, the load tool per connection). The kind says what to do: kConnect and kTimeout may
// be retried with the same request id, kRefused carries the server's ResultCode, kProtocol
// means the server said something this client cannot read. Inside, the library keeps the
// project's way (a broken connection holds the Status that broke it) and throws at the API.
//
// Threads: one Client per thread; it is not shared. Nothing runs in the background: I/O
// happens inside the calls (Boost.Asio, run with a deadline).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <variant>
#include <vector>

#include <boost/asio/ssl/context.hpp>
#include "engine/base/identifiers.h"
#include "engine/wire/protocol.h"
#include "net/client/batch_builder.h"

#include "net/client/query.h"
#include "net/protocol/messages.h"

namespace tally::client {

struct ClientOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 7070;
  std::string client_name = "tally-client";
  std::string api_key;  // sent in the Hello: for a server with an auth file (its role decides)
  // TLS (a server started with --tls-cert): the CA certificates (PEM) to verify it with; its
  // certificate must name `host`. Empty: plain TCP.
  std::string tls_ca_file;
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds request_timeout{10'000};  // execute() and stats()
  uint32_t reconnect_attempts = 5;  // per lost connection, within the call's timeout; 0: never
  std::chrono::milliseconds reconnect_backoff{100};  // doubled after each failed attempt
  // The receive buffer. A frame larger than it grows it for that frame and then gives the
  // memory back; a stream of large frames (a subscription's event batches, up to 256 KiB)
  // reads best with room for a few of them.
  size_t read_buffer_bytes = 64 * 1024;
};

// The outcome of one command, as the server recorded it.
struct CommandOutcome {
  ResultCode code = ResultCode::Ok;
  uint64_t sequence = 0;  // the event that recorded it
  int64_t balance = 0;    // of the (source) account after it
  uint64_t version = 0;
  bool replayed = false;   // the original outcome, answering a retry; nothing new was applied
  std::string account_id;  // OpenAccount: the id, generated or given
  bool ok() const { return code == ResultCode::Ok; }
};

struct BatchResult {
  std::vector<CommandOutcome> results;  // one per command, in order
};

// The server refused the whole request (malformed, over a limit, shutting down).
struct ErrorReply {
  ResultCode code = ResultCode::Ok;
  std::string message;
};

struct Reply {
  Id128 request_id;
  std::variant<BatchResult, ErrorReply, net::ServerStats, net::ServerHello, QueryReply> body;
};

class ClientError : public std::runtime_error {
 public:
  enum class Kind { kConnect, kTimeout, kProtocol, kRefused };
  ClientError(Kind kind, const std::string& message, ResultCode code = ResultCode::Ok)
      : std::runtime_error(message), kind_(kind), code_(code) {}
  Kind kind() const { return kind_; }
  ResultCode code() const { return code_; }  // kRefused: the server's code

 private:
  Kind kind_;
  ResultCode code_;
};

class Client {
 public:
  explicit Client(ClientOptions options = {});
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  ~Client();

  // Connects and says Hello. Throws ClientError (kConnect, kTimeout, kProtocol).
  void connect();
  bool connected() const;
  const net::ServerHello& server() const { return server_; }
  // Drops the connection (tests use it to exercise retries); the next call reconnects.
  void disconnect();

  // Synchronous: sends `batch` and waits for its answer. Throws ClientError: kRefused with the
  // server's code for an ErrorReply, kTimeout after request_timeout (the request is then the
  // caller's to retry, with the same id), kConnect when the connection cannot be restored.
  BatchResult execute(const BatchBuilder& batch);
  BatchResult execute(const BatchBuilder& batch, const Id128& request_id);
  net::ServerStats stats();
  // Synchronous: a read-side query. Throws ClientError as execute() does; kRefused carries
  // the server's code (AccountNotFound, InvalidArgument, LimitExceeded, Timeout...).
  QueryReply query(const Query& query);
  QueryReply query(const Query& query, const Id128& request_id);
  net::ProjectionReport projection_status();

  // Pipelined: queues `batch` and returns its request id without waiting.
  Id128 send(const BatchBuilder& batch);
  void send(const BatchBuilder& batch, const Id128& request_id);
  Id128 send(const Query& query);
  // The next reply, or nullopt if none came within `timeout` (zero: only what has arrived
  // already, after one non-blocking round of I/O). Reconnects and resends what is
  // unanswered if the connection dropped, taking up to connect_timeout for that whatever
  // `timeout` is; throws ClientError(kConnect) if it cannot.
  std::optional<Reply> receive(std::chrono::microseconds timeout);
  size_t in_flight() const { return unanswered_.size(); }

  // Streams: a request answered by many replies (a Subscribe). Its frame is sent once and
  // never resent after a reconnect (the caller starts it again from where it stands: see
  // reconnects()); every reply with its id is returned by receive() until stop_stream().
  void send_stream(const Id128& request_id, std::vector<uint8_t> frame);
  void stop_stream(const Id128& request_id) { streams_.erase(request_id); }
  // A request no reply is expected to (a subscription's credit): sent if connected, never
  // resent; a reply to it, if any, is dropped.
  void send_unanswered(std::span<const uint8_t> frame);

  // A fresh request id: random per client, then counting.
  Id128 next_request_id();
  uint64_t reconnects() const { return reconnects_; }

 private:
  struct Connection;

  void queue_frame(const Id128& request_id, std::vector<uint8_t> frame);
  Reply wait_for(const Id128& request_id);
  std::optional<Reply> take_answer(const Id128& request_id);
  void forget(const Id128& request_id);
  void ensure_connected(std::chrono::steady_clock::time_point deadline =
                            std::chrono::steady_clock::time_point::max());
  void open_connection(std::chrono::steady_clock::time_point deadline);
  // The client's side of the TLS handshake on the new connection (options_.tls_ca_file).
  void start_tls(std::chrono::steady_clock::time_point deadline);
  void hello(std::chrono::steady_clock::time_point deadline);
  void resend_unanswered();
  // Runs I/O until a new reply is decoded, the connection breaks or the deadline passes; true
  // if a new reply was decoded.
  bool pump(std::chrono::steady_clock::time_point deadline);
  std::optional<Reply> take_decoded();

  ClientOptions options_;
  std::shared_ptr<boost::asio::ssl::context> tls_context_;  // made on the first TLS connection
  std::unique_ptr<Connection> connection_;
  net::ServerHello server_;
  uint64_t id_high_ = 0;
  uint64_t id_next_ = 1;
  uint64_t reconnects_ = 0;
  // Frames sent (or to send) and not yet answered, oldest first, to resend after a reconnect.
  std::deque<Id128> unanswered_order_;
  std::unordered_map<Id128, std::vector<uint8_t>, Id128Hash> unanswered_;
  std::deque<Reply> ready_;  // decoded, not yet returned
  std::unordered_set<Id128, Id128Hash> streams_;
};

}  // namespace tally::client
