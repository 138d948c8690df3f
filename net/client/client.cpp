#include "net/client/client.h"

#include <boost/asio/ssl.hpp>

#include <cstring>
#include <random>
#include <thread>

#include <boost/asio.hpp>

#include "engine/base/status.h"
#include "engine/wire/wire_decoder.h"
#include "net/protocol/frame.h"
#include "net/protocol/frame_reader.h"
#include "net/protocol/tls_context.h"

namespace tally::client {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

// A response bigger than this is not one tallyd sends (its largest, a full batch's results,
// is well under it): the stream is out of step.
constexpr uint32_t kResponseBytesMax = 64u << 20;

CommandOutcome outcome_of(const protocol::CommandResult* result) {
  if (result == nullptr) {
    CommandOutcome missing;
    missing.code = ResultCode::InvalidArgument;
    return missing;
  }
  return {
      .code = result->code(),
      .sequence = result->sequence(),
      .balance = result->balance(),
      .version = result->version(),
      .replayed = result->replayed(),
      .account_id = result->account_id() == nullptr ? std::string() : result->account_id()->str()};
}

// `message`: the bytes `response` was read from; a query's reply takes them (they are left
// empty), the others leave them.
std::optional<Reply> reply_of(const protocol::Response& response, std::vector<uint8_t>& message) {
  Reply reply{.request_id = to_id128(response.request_id()), .body = BatchResult{}};
  switch (response.body_type()) {
    case protocol::ResponseBody::CommandBatchResult: {
      BatchResult batch;
      if (const auto* results = response.body_as_CommandBatchResult()->results()) {
        batch.results.reserve(results->size());
        for (const protocol::CommandResult* result : *results) {
          batch.results.push_back(outcome_of(result));
        }
      }
      reply.body = std::move(batch);
      return reply;
    }
    case protocol::ResponseBody::Error: {
      const protocol::Error* error = response.body_as_Error();
      reply.body = ErrorReply{
          .code = error->code(),
          .message = error->message() == nullptr ? std::string() : error->message()->str()};
      return reply;
    }
    case protocol::ResponseBody::StatsResult:
      reply.body = net::decode_stats(*response.body_as_StatsResult());
      return reply;
    case protocol::ResponseBody::HelloResult:
      reply.body = net::decode_hello(*response.body_as_HelloResult());
      return reply;
    case protocol::ResponseBody::NONE:
      return std::nullopt;
    default:
      if (response.body_type() > protocol::ResponseBody::MAX) {
        return std::nullopt;  // a newer server's body this client does not know
      }
      reply.body = QueryReply{.message = std::move(message)};
      return reply;
  }
}

}  // namespace

// One TCP connection's state; replaced whole on reconnect.
struct Client::Connection {
  explicit Connection(size_t read_buffer_bytes) : reader(read_buffer_bytes) {}

  asio::io_context io;
  asio::ip::tcp::socket socket{io};
  std::unique_ptr<asio::ssl::stream<asio::ip::tcp::socket&>> tls;  // over `socket`, or none
  net::FrameReader reader;
  std::vector<uint8_t> outgoing;  // queued, not yet handed to a write
  std::vector<uint8_t> writing;   // handed to the write in progress
  // The message being decoded, copied out of the stream to an aligned buffer: the one copy a
  // message gets (a query's reply, a subscription's batch, takes it over).
  std::vector<uint8_t> aligned;
  bool reading = false;
  Status failure;  // ok until the connection breaks, then why (a broken one is replaced whole)
  // Waits end on a timer rather than on epoll's timeout, which counts whole milliseconds: an
  // open-loop sender must wake when its next request is due, not up to a millisecond later.
  asio::steady_timer deadline_timer{io};
  uint64_t deadline_generation = 0;  // expirations of earlier deadlines are ignored
  bool deadline_passed = false;

  void arm_deadline(Clock::time_point deadline) {
    deadline_passed = false;
    deadline_timer.expires_at(deadline);
    deadline_timer.async_wait(
        [this, generation = ++deadline_generation](boost::system::error_code error) {
          if (!error && generation == deadline_generation) {
            deadline_passed = true;
          }
        });
  }

  void disarm_deadline() {
    ++deadline_generation;
    deadline_timer.cancel();
  }

  void start_io() {
    if (broken()) {
      return;
    }
    if (writing.empty() && !outgoing.empty()) {
      writing.swap(outgoing);
      const auto written = [this](boost::system::error_code error, size_t) {
        if (error) {
          fail({StatusCode::kIoError, "write: " + error.message()});
          return;
        }
        writing.clear();
        start_io();
      };
      if (tls) {
        asio::async_write(*tls, asio::buffer(writing), written);
      } else {
        asio::async_write(socket, asio::buffer(writing), written);
      }
    }
    if (!reading) {
      const std::span<uint8_t> room = reader.prepare();
      reading = true;
      const auto received = [this](boost::system::error_code error, size_t bytes) {
        reading = false;
        if (error) {
          fail({StatusCode::kIoError, error == asio::error::eof ? "the server closed the connection"
                                                                : "read: " + error.message()});
          return;
        }
        reader.commit(bytes);
      };
      if (tls) {
        tls->async_read_some(asio::buffer(room.data(), room.size()), received);
      } else {
        socket.async_read_some(asio::buffer(room.data(), room.size()), received);
      }
    }
  }

  bool broken() const { return !failure.is_ok(); }

  // The first failure is the one kept: what follows from it says less.
  void fail(Status why) {
    if (!broken()) {
      failure = std::move(why);
    }
  }

  // Decodes every complete frame into `replies`; marks the connection broken if the stream is
  // garbage.
  void decode(std::deque<Reply>& replies) {
    while (const std::optional<uint32_t> length = reader.peek_length()) {
      if (*length > kResponseBytesMax) {
        fail(
            Status::corruption("the server sent a frame of " + std::to_string(*length) + " bytes"));
        return;
      }
      const std::optional<std::span<const uint8_t>> message = reader.frame(*length);
      if (!message) {
        return;  // the rest comes with a later read
      }
      // FlatBuffers reads the message in place and needs it aligned; in the stream it is not.
      aligned.assign(message->begin(), message->end());
      reader.consume(*length);
      const protocol::Response* response = net::verify_response(aligned);
      // The verifier accepts a union whose type is set but whose table is absent.
      if (response == nullptr ||
          (response->body_type() != protocol::ResponseBody::NONE && response->body() == nullptr)) {
        fail(Status::corruption("the server sent a malformed response"));
        return;
      }
      if (std::optional<Reply> reply = reply_of(*response, aligned)) {
        replies.push_back(std::move(*reply));
      }
    }
  }
};

Client::Client(ClientOptions options) : options_(std::move(options)) {
  std::random_device random;
  id_high_ = (static_cast<uint64_t>(random()) << 32) ^ random() ^
             static_cast<uint64_t>(Clock::now().time_since_epoch().count());
  if (id_high_ == 0) {
    id_high_ = 1;
  }
}

Client::~Client() = default;

Id128 Client::next_request_id() {
  return {.low = id_next_++, .high = id_high_};
}

bool Client::connected() const {
  return connection_ != nullptr && !connection_->broken();
}

void Client::disconnect() {
  connection_.reset();
}

void Client::connect() {
  open_connection(Clock::now() + options_.connect_timeout);
  resend_unanswered();
}

void Client::open_connection(Clock::time_point deadline) {
  deadline = std::min(deadline, Clock::now() + options_.connect_timeout);
  connection_ = std::make_unique<Connection>(options_.read_buffer_bytes);
  Connection& connection = *connection_;
  boost::system::error_code resolve_error;
  asio::ip::tcp::resolver resolver(connection.io);
  const auto endpoints =
      resolver.resolve(options_.host, std::to_string(options_.port), resolve_error);
  if (resolve_error) {
    connection_.reset();
    throw ClientError(ClientError::Kind::kConnect,
                      "cannot resolve " + options_.host + ": " + resolve_error.message());
  }
  std::optional<boost::system::error_code> connect_result;
  asio::async_connect(connection.socket, endpoints,
                      [&](boost::system::error_code error, const asio::ip::tcp::endpoint&) {
                        connect_result = error;
                      });
  while (!connect_result && connection.io.run_one_until(deadline) != 0) {
  }
  if (!connect_result || *connect_result) {
    const std::string why = connect_result ? connect_result->message() : "timed out";
    connection_.reset();
    throw ClientError(ClientError::Kind::kConnect, "cannot connect to " + options_.host + ":" +
                                                       std::to_string(options_.port) + ": " + why);
  }
  connection.socket.set_option(asio::ip::tcp::no_delay(true));
  connection.io.restart();
  if (!options_.tls_ca_file.empty()) {
    start_tls(deadline);
  }
  hello(deadline);
}

void Client::start_tls(Clock::time_point deadline) {
  if (!tls_context_) {
    auto made = net::make_client_tls_context(options_.tls_ca_file);
    if (!made.is_ok()) {
      connection_.reset();
      throw ClientError(ClientError::Kind::kConnect, made.status().message());
    }
    tls_context_ = std::move(made).value();
  }
  Connection& connection = *connection_;
  connection.tls =
      std::make_unique<asio::ssl::stream<asio::ip::tcp::socket&>>(connection.socket, *tls_context_);
  // The server's certificate must name the host asked for (its DNS name or IP address).
  connection.tls->set_verify_callback(asio::ssl::host_name_verification(options_.host));
  boost::system::error_code parse_error;
  asio::ip::make_address(options_.host, parse_error);
  if (parse_error) {  // a name, not an address: say it (SNI)
    SSL_set_tlsext_host_name(connection.tls->native_handle(), options_.host.c_str());
  }
  std::optional<boost::system::error_code> result;
  connection.tls->async_handshake(asio::ssl::stream_base::client,
                                  [&](boost::system::error_code error) { result = error; });
  while (!result && connection.io.run_one_until(deadline) != 0) {
  }
  if (!result || *result) {
    const std::string why = result ? result->message() : "timed out";
    connection_.reset();
    throw ClientError(
        ClientError::Kind::kConnect,
        "TLS with " + options_.host + ":" + std::to_string(options_.port) + " failed: " + why);
  }
  connection.io.restart();
}

void Client::hello(Clock::time_point deadline) {
  Connection& connection = *connection_;
  thread_local flatbuffers::FlatBufferBuilder builder(256);
  const Id128 hello_id = next_request_id();
  net::encode_hello(builder, hello_id, options_.client_name, options_.api_key);
  net::append_frame(connection.outgoing, net::finished_bytes(builder));
  // Replies decoded before this connection (answers from the one that dropped) stay for the
  // caller; only what arrives now can answer the Hello.
  const size_t earlier = ready_.size();
  while (!connection.broken() && Clock::now() < deadline) {
    pump(deadline);
    for (size_t index = earlier; index < ready_.size(); ++index) {
      Reply& reply = ready_[index];
      const auto* hello = std::get_if<net::ServerHello>(&reply.body);
      if (hello != nullptr && reply.request_id == hello_id) {
        server_ = *hello;
        ready_.erase(ready_.begin() + static_cast<std::ptrdiff_t>(index));
        return;
      }
      // An Error answers the Hello when the server refuses the connection (too many).
      const auto* error = std::get_if<ErrorReply>(&reply.body);
      if (error != nullptr && (reply.request_id == hello_id || reply.request_id.is_zero())) {
        const ErrorReply refused = *error;
        ready_.erase(ready_.begin() + static_cast<std::ptrdiff_t>(index));
        connection_.reset();
        throw ClientError(ClientError::Kind::kRefused, "the server refused: " + refused.message,
                          refused.code);
      }
    }
  }
  const std::string why = connection.broken() ? connection.failure.message() : "timed out";
  connection_.reset();
  throw ClientError(ClientError::Kind::kConnect, "handshake failed: " + why);
}

void Client::resend_unanswered() {
  for (const Id128& request_id : unanswered_order_) {
    const auto found = unanswered_.find(request_id);
    if (found != unanswered_.end()) {
      connection_->outgoing.insert(connection_->outgoing.end(), found->second.begin(),
                                   found->second.end());
    }
  }
}

void Client::ensure_connected(Clock::time_point deadline) {
  if (connected()) {
    return;
  }
  const bool was_connected = connection_ != nullptr;
  if (was_connected && options_.reconnect_attempts == 0) {
    throw ClientError(ClientError::Kind::kConnect,
                      "connection lost (reconnecting is off): " + connection_->failure.message());
  }
  std::string last_problem = was_connected ? connection_->failure.message() : "not connected";
  auto backoff = options_.reconnect_backoff;
  const uint32_t attempts = std::max<uint32_t>(options_.reconnect_attempts, 1);
  for (uint32_t attempt = 0; attempt < attempts && Clock::now() < deadline; ++attempt) {
    if (attempt > 0) {
      std::this_thread::sleep_for(std::min<Clock::duration>(backoff, deadline - Clock::now()));
      backoff *= 2;
    }
    try {
      open_connection(deadline);
      ++reconnects_;
      resend_unanswered();
      return;
    } catch (const ClientError& error) {
      if (error.kind() == ClientError::Kind::kRefused) {
        throw;
      }
      last_problem = error.what();
    }
  }
  throw ClientError(ClientError::Kind::kConnect,
                    "connection lost and not restored: " + last_problem);
}

void Client::queue_frame(const Id128& request_id, std::vector<uint8_t> frame) {
  // A frame the server would refuse, and close the connection over: refused here instead, so
  // it is never resent and never holds up the requests behind it.
  const uint32_t frame_bytes_max = server_.limits.frame_bytes_max;
  if (frame_bytes_max != 0 && frame.size() - net::kFrameHeaderBytes > frame_bytes_max) {
    throw ClientError(ClientError::Kind::kRefused,
                      "the request takes " + std::to_string(frame.size()) +
                          " bytes; the server's max-frame-bytes is " +
                          std::to_string(frame_bytes_max),
                      ResultCode::LimitExceeded);
  }
  if (connected()) {
    connection_->outgoing.insert(connection_->outgoing.end(), frame.begin(), frame.end());
  }
  // Not connected: the frame goes out with the others when the connection is restored.
  unanswered_order_.push_back(request_id);
  unanswered_.emplace(request_id, std::move(frame));
}

void Client::send_stream(const Id128& request_id, std::vector<uint8_t> frame) {
  ensure_connected();
  streams_.insert(request_id);
  connection_->outgoing.insert(connection_->outgoing.end(), frame.begin(), frame.end());
}

void Client::send_unanswered(std::span<const uint8_t> frame) {
  if (connected()) {
    connection_->outgoing.insert(connection_->outgoing.end(), frame.begin(), frame.end());
  }
}

Id128 Client::send(const BatchBuilder& batch) {
  const Id128 request_id = next_request_id();
  send(batch, request_id);
  return request_id;
}

void Client::send(const BatchBuilder& batch, const Id128& request_id) {
  std::vector<uint8_t> frame;
  batch.encode(request_id, frame);
  queue_frame(request_id, std::move(frame));
}

Id128 Client::send(const Query& query) {
  const Id128 request_id = next_request_id();
  std::vector<uint8_t> frame;
  query.encode(request_id, frame);
  queue_frame(request_id, std::move(frame));
  return request_id;
}

bool Client::pump(Clock::time_point deadline) {
  Connection& connection = *connection_;
  const size_t before = ready_.size();
  connection.decode(ready_);
  if (ready_.size() == before && !connection.broken() && Clock::now() < deadline) {
    connection.arm_deadline(deadline);
  }
  while (ready_.size() == before && !connection.broken()) {
    connection.start_io();
    if (connection.io.stopped()) {
      connection.io.restart();
    }
    // Past the deadline, still one non-blocking round, so that writes queued since the last
    // call go out even when the caller never waits (an open-loop sender).
    if (connection.deadline_passed || Clock::now() >= deadline) {
      connection.io.poll();
      connection.decode(ready_);
      break;
    }
    connection.io.run_one();  // an I/O completion, or the deadline timer
    connection.decode(ready_);
  }
  connection.disarm_deadline();
  return ready_.size() > before;
}

std::optional<Reply> Client::take_decoded() {
  while (!ready_.empty()) {
    Reply reply = std::move(ready_.front());
    ready_.pop_front();
    if (reply.request_id.is_zero()) {
      return reply;  // an error about a frame the server could not read
    }
    if (streams_.contains(reply.request_id)) {
      return reply;
    }
    if (unanswered_.erase(reply.request_id) == 0) {
      continue;  // answered before (a resend raced the original answer)
    }
    std::erase(unanswered_order_, reply.request_id);
    return reply;
  }
  return std::nullopt;
}

std::optional<Reply> Client::receive(std::chrono::microseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  // A poll's timeout is often a few milliseconds: too short for a reconnect's attempts and
  // their backoff (a restarted server may take longer than that to answer the Hello), so a
  // lost connection gets the connect timeout whatever the poll's.
  const auto reconnect_deadline =
      std::max<Clock::time_point>(deadline, Clock::now() + options_.connect_timeout);
  for (;;) {
    if (std::optional<Reply> reply = take_decoded()) {
      return reply;
    }
    ensure_connected(reconnect_deadline);
    if (!pump(deadline) && !connection_->broken()) {
      return take_decoded();
    }
  }
}

void Client::forget(const Id128& request_id) {
  unanswered_.erase(request_id);
  std::erase(unanswered_order_, request_id);
}

std::optional<Reply> Client::take_answer(const Id128& request_id) {
  for (auto reply = ready_.begin(); reply != ready_.end(); ++reply) {
    // An error without a request id is about a frame the server could not read: with one
    // request in flight, that was this one; with more, nobody can tell which.
    const auto* error = std::get_if<ErrorReply>(&reply->body);
    const bool unreadable = reply->request_id.is_zero() && error != nullptr;
    if (unreadable && unanswered_.size() > 1) {
      const std::string message = error->message;
      ready_.erase(reply);
      forget(request_id);  // its fate is unknown: the caller decides whether to retry
      throw ClientError(ClientError::Kind::kProtocol,
                        "the server could not read one of the requests in flight: " + message);
    }
    if (unreadable || reply->request_id == request_id) {
      Reply found = std::move(*reply);
      ready_.erase(reply);
      forget(request_id);
      return found;
    }
  }
  return std::nullopt;
}

Reply Client::wait_for(const Id128& request_id) {
  const auto deadline = Clock::now() + options_.request_timeout;
  for (;;) {
    if (std::optional<Reply> answer = take_answer(request_id)) {
      return std::move(*answer);
    }
    if (Clock::now() >= deadline) {
      // The caller owns the retry from here (with the same request id, which is safe): the
      // client must not send it again behind the caller's back on a later reconnect.
      forget(request_id);
      throw ClientError(ClientError::Kind::kTimeout, "no answer within the request timeout");
    }
    ensure_connected(deadline);
    pump(deadline);
  }
}

BatchResult Client::execute(const BatchBuilder& batch) {
  return execute(batch, next_request_id());
}

BatchResult Client::execute(const BatchBuilder& batch, const Id128& request_id) {
  ensure_connected(Clock::now() + options_.request_timeout);
  send(batch, request_id);
  Reply reply = wait_for(request_id);
  if (auto* error = std::get_if<ErrorReply>(&reply.body)) {
    throw ClientError(ClientError::Kind::kRefused, error->message, error->code);
  }
  if (auto* result = std::get_if<BatchResult>(&reply.body)) {
    return std::move(*result);
  }
  throw ClientError(ClientError::Kind::kProtocol, "unexpected answer to a command batch");
}

net::ServerStats Client::stats() {
  ensure_connected(Clock::now() + options_.request_timeout);
  thread_local flatbuffers::FlatBufferBuilder builder(128);
  const Id128 request_id = next_request_id();
  net::encode_stats_query(builder, request_id);
  std::vector<uint8_t> frame;
  net::append_frame(frame, net::finished_bytes(builder));
  queue_frame(request_id, std::move(frame));
  Reply reply = wait_for(request_id);
  if (auto* stats = std::get_if<net::ServerStats>(&reply.body)) {
    return std::move(*stats);
  }
  if (auto* error = std::get_if<ErrorReply>(&reply.body)) {
    throw ClientError(ClientError::Kind::kRefused, error->message, error->code);
  }
  throw ClientError(ClientError::Kind::kProtocol, "unexpected answer to a stats query");
}

QueryReply Client::query(const Query& query) {
  return this->query(query, next_request_id());
}

QueryReply Client::query(const Query& query, const Id128& request_id) {
  ensure_connected(Clock::now() + options_.request_timeout);
  std::vector<uint8_t> frame;
  query.encode(request_id, frame);
  queue_frame(request_id, std::move(frame));
  Reply reply = wait_for(request_id);
  if (auto* error = std::get_if<ErrorReply>(&reply.body)) {
    throw ClientError(ClientError::Kind::kRefused, error->message, error->code);
  }
  if (auto* answer = std::get_if<QueryReply>(&reply.body)) {
    return std::move(*answer);
  }
  throw ClientError(ClientError::Kind::kProtocol, "unexpected answer to a query");
}

net::ProjectionReport Client::projection_status() {
  const QueryReply reply = query(Query::projection_status());
  const auto* status = reply.body<protocol::ProjectionStatusResult>();
  if (status == nullptr) {
    throw ClientError(ClientError::Kind::kProtocol, "unexpected answer to a projection status");
  }
  return net::decode_projection_status(*status);
}

}  // namespace tally::client
