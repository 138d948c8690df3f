#include "net/server/connection.h"

#include <algorithm>
#include <cstring>

#include <spdlog/spdlog.h>

#include "engine/base/invariant.h"
#include "engine/wire/wire_decoder.h"
#include "net/protocol/frame.h"

namespace tally::net {
namespace {

namespace asio = boost::asio;

constexpr size_t kInitialReadBufferBytes = 64 * 1024;
constexpr size_t kClientNameBytesMax = 64;
// How long a connection waits before trying again when the ingress has no free batch.
constexpr auto kIngressRetryDelay = std::chrono::microseconds(200);

std::string peer_of(const asio::ip::tcp::socket& socket) {
  boost::system::error_code error;
  const auto endpoint = socket.remote_endpoint(error);
  return error ? std::string("unknown")
               : endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
}

// Printable ASCII only, so a client name cannot forge log lines.
std::string printable(const flatbuffers::String* text) {
  std::string result;
  if (text == nullptr) {
    return result;
  }
  for (size_t index = 0; index < std::min<size_t>(text->size(), kClientNameBytesMax); ++index) {
    const char character = text->c_str()[index];
    result.push_back(character >= 0x20 && character < 0x7f ? character : '?');
  }
  return result;
}

}  // namespace

Connection::Connection(asio::ip::tcp::socket socket, ConnectionContext& context)
    : stream_(std::move(socket), context.tls),
      context_(context),
      watchdog_(stream_.get_executor()),
      retry_timer_(stream_.get_executor()),
      peer_(peer_of(stream_.socket())),
      reader_(kInitialReadBufferBytes) {}

void Connection::start() {
  // Called from the acceptor's strand: everything else happens on this connection's own.
  asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->begin(); });
}

void Connection::begin() {
  // The TLS handshake (none on a plain stream) is the first thing the client owes: the
  // watchdog closes a connection that does not finish it within frame-timeout-ms.
  client_owes_since_ = Clock::now();
  arm_watchdog();
  stream_.async_handshake(asio::ssl::stream_base::server, [self = shared_from_this()](
                                                              boost::system::error_code error) {
    if (self->closed()) {
      return;
    }
    if (error) {
      spdlog::info("event=tls_handshake_failed peer={} error=\"{}\"", self->peer_, error.message());
      self->close_now();
      return;
    }
    self->after_handshake();
  });
}

void Connection::after_handshake() {
  // The socket stays open until close_now(), which detaches first: the router may send on it.
  const std::optional<uint64_t> token =
      context_.router.attach(shared_from_this(), stream_.direct_send_descriptor());
  if (!token) {
    refuse_connection();
    return;
  }
  context_.counters.connections_accepted.fetch_add(1, std::memory_order_relaxed);
  token_ = *token;
  boost::system::error_code ignored;  // without it, only small answers are slower
  stream_.socket().set_option(asio::ip::tcp::no_delay(true), ignored);
  client_owes_since_ = Clock::now();
  spdlog::debug("event=connection_open peer={} tls={}", peer_, stream_.is_tls());
  read_more();
}

void Connection::refuse_connection() {
  context_.counters.connections_refused.fetch_add(1, std::memory_order_relaxed);
  spdlog::warn("event=connection_refused peer={} reason=max_connections limit={}", peer_,
               context_.config.connections_max);
  encode_error(builder_, nullptr, ResultCode::LimitExceeded,
               "too many connections: the server's max-connections is reached");
  write_buffer_.clear();
  append_frame(write_buffer_, finished_bytes(builder_));
  move_to(Session::kClosing);
  stream_.async_write_all(
      asio::buffer(write_buffer_),
      [self = shared_from_this()](boost::system::error_code, size_t) { self->close_now(); });
}

void Connection::on_responses_ready() {
  asio::post(stream_.get_executor(), [self = shared_from_this()] { self->flush(); });
}

void Connection::on_overflow(Overflow why) {
  // Dropped at once, even with a write in progress: a client that does not read never
  // completes it, and the outbox's memory must go now.
  asio::post(stream_.get_executor(),
             [self = shared_from_this(), why] { self->drop_if_overflowed(why); });
}

void Connection::move_to(Session next) {
  // Forward only: a session never reopens, and a Hello is answered once.
  const bool allowed =
      (session_ == Session::kAwaitingHello && next != Session::kAwaitingHello) ||
      (session_ == Session::kOpen && (next == Session::kClosing || next == Session::kClosed)) ||
      (session_ == Session::kClosing && next == Session::kClosed);
  TALLY_ASSERT(allowed);
  session_ = next;
}

void Connection::move_to(Reading next) {
  // From Ready to one reason not to read, and back: never from one reason to another.
  TALLY_ASSERT((reading_ == Reading::kReady) != (next == Reading::kReady));
  reading_ = next;
}

void Connection::read_more() {
  if (reading_ != Reading::kReady || !open()) {
    return;
  }
  if (!charge_read_buffer()) {
    wait_for_memory();
    return;
  }
  const std::span<uint8_t> room = reader_.prepare();
  move_to(Reading::kReading);
  stream_.async_read_some(
      asio::buffer(room.data(), room.size()),
      [self = shared_from_this()](boost::system::error_code error, size_t bytes) {
        self->move_to(Reading::kReady);
        if (self->closed()) {
          return;
        }
        if (error) {
          spdlog::debug("event=connection_closed peer={} by=client", self->peer_);
          self->close_now();
          return;
        }
        self->reader_.commit(bytes);
        self->process_frames();
      });
}

bool Connection::charge_read_buffer() {
  const size_t initial = reader_.initial_bytes();
  const size_t wanted = reader_.bytes_after_prepare();
  const size_t charge = wanted > initial ? wanted - initial : 0;
  if (charge < read_buffer_charged_) {
    reader_.prepare();  // a large frame is done: its buffer shrinks now, not after the wait
    context_.budget.release(read_buffer_charged_ - charge);
    read_buffer_charged_ = charge;
  }
  if (charge > read_buffer_charged_) {
    // A large frame: its whole buffer is charged before it is allocated, then it is read to its
    // end whatever the budget, so that no connection waits holding memory it cannot use.
    if (!context_.budget.try_admit(charge - read_buffer_charged_)) {
      return false;
    }
    read_buffer_charged_ = charge;
    return true;
  }
  return charge > 0 || context_.budget.has_room() || idle();
}

void Connection::release_read_buffer() {
  if (read_buffer_charged_ > 0) {
    context_.budget.release(read_buffer_charged_);
    read_buffer_charged_ = 0;
  }
}

// A frame already read may be taken while the budget has room, or when its memory is charged
// already (the one frame of a grown buffer), or when the connection has nothing in flight.
bool Connection::may_take_frame() const {
  return read_buffer_charged_ > 0 || context_.budget.has_room() || idle();
}

void Connection::wait_for_memory() {
  context_.budget.count_pause();
  context_.counters.read_pauses.fetch_add(1, std::memory_order_relaxed);
  move_to(Reading::kWaitingForMemory);
  client_owes_since_.reset();  // the server is the one waiting: no frame timeout meanwhile
  spdlog::debug("event=read_paused peer={} reason=memory_budget in_use={} budget={}", peer_,
                context_.budget.in_use_bytes(), context_.budget.budget_bytes());
  if (memory_wake_registered_) {
    return;  // one wake-up at a time, however often this connection pauses
  }
  memory_wake_registered_ = true;
  // The budget calls this on the releasing thread: come back on this connection's strand.
  context_.budget.wait_for_room([weak = weak_from_this()] {
    if (const std::shared_ptr<Connection> self = weak.lock()) {
      asio::post(self->stream_.get_executor(), [self] {
        self->memory_wake_registered_ = false;
        self->resume_after_memory();
      });
    }
  });
}

// The budget has room again, or this connection became idle (and may take one request).
void Connection::resume_after_memory() {
  if (reading_ != Reading::kWaitingForMemory) {
    return;
  }
  move_to(Reading::kReady);
  if (open()) {
    process_frames();  // the frames read before the wait first, then the socket
  }
}

void Connection::process_frames() {
  const ServerConfig& config = context_.config;
  if (reading_ != Reading::kReady) {
    return;  // a read in progress delivers its frames; whoever paused reading resumes it
  }
  while (open()) {
    const std::optional<uint32_t> length = reader_.peek_length();
    if (!length) {
      break;
    }
    if (*length > config.pipeline.ingress.frame_bytes_max) {
      context_.counters.requests_refused.fetch_add(1, std::memory_order_relaxed);
      refuse(nullptr, ResultCode::LimitExceeded,
             "the frame is larger than the server's max-frame-bytes; closing the connection");
      close_after_flush("oversized frame");
      return;
    }
    const std::optional<std::span<const uint8_t>> frame = reader_.frame(*length);
    if (!frame) {
      break;  // read_more makes room for the rest of it
    }
    if (in_flight_ >= config.requests_in_flight_max) {
      context_.counters.read_pauses.fetch_add(1, std::memory_order_relaxed);
      move_to(Reading::kPausedAtInFlightLimit);  // flush() resumes once answers go out
      client_owes_since_.reset();
      return;
    }
    if (!may_take_frame()) {
      wait_for_memory();
      return;
    }
    const FrameOutcome outcome = handle_frame(*frame);
    if (outcome == FrameOutcome::kWaitForMemory) {
      wait_for_memory();
      return;
    }
    if (outcome == FrameOutcome::kRetryLater) {
      context_.counters.read_pauses.fetch_add(1, std::memory_order_relaxed);
      move_to(Reading::kWaitingForIngress);
      client_owes_since_.reset();
      retry_timer_.expires_after(kIngressRetryDelay);
      retry_timer_.async_wait([self = shared_from_this()](boost::system::error_code error) {
        self->move_to(Reading::kReady);
        if (!error && !self->closed()) {
          self->process_frames();
        }
      });
      return;
    }
    reader_.consume(*length);
    client_owes_since_.reset();  // a new frame starts its own clock
    if (outcome == FrameOutcome::kClose) {
      return;
    }
  }
  const bool owed = reader_.buffered() > 0 || session_ == Session::kAwaitingHello;
  if (!owed) {
    client_owes_since_.reset();
  } else if (!client_owes_since_) {
    client_owes_since_ = Clock::now();
  }
  read_more();
}

Connection::FrameOutcome Connection::handle_frame(std::span<const uint8_t> frame) {
  // Every frame is copied into an ingress batch first: FlatBuffers needs its buffer aligned,
  // which a frame inside the read buffer is not, and a command batch travels in it anyway.
  IngressBatch* batch = context_.ingress.acquire();
  if (batch == nullptr) {
    return FrameOutcome::kRetryLater;  // every batch is in flight: wait, drop nothing
  }
  batch->frame.assign(frame.begin(), frame.end());
  return dispatch(batch);
}

// Owns `batch`: submits it to the engine or releases it.
Connection::FrameOutcome Connection::dispatch(IngressBatch* batch) {
  const uint32_t commands_max = context_.config.pipeline.ingress.batch_commands_max;
  const RequestVerdict verdict = verify_request(batch->frame, commands_max);
  FrameOutcome outcome = FrameOutcome::kDone;
  if (!verdict.ok()) {
    context_.counters.requests_refused.fetch_add(1, std::memory_order_relaxed);
    refuse(verdict.request, verdict.code, verdict.problem);
    if (session_ == Session::kAwaitingHello) {
      close_after_flush("malformed first request");
      outcome = FrameOutcome::kClose;
    }
  } else if (verdict.request->body_type() != protocol::RequestBody::CommandBatch &&
             batch->frame.size() > context_.config.query_frame_bytes_max) {
    // Only a command batch may be large: anything else is a few hundred bytes, and a query's
    // frame is held while it waits, so padding would pin memory.
    context_.counters.requests_refused.fetch_add(1, std::memory_order_relaxed);
    refuse(verdict.request, ResultCode::LimitExceeded,
           "the frame is larger than the server's max-query-frame-bytes (only a command batch "
           "may be larger)");
    if (session_ == Session::kAwaitingHello) {
      close_after_flush("oversized first request");
      outcome = FrameOutcome::kClose;
    }
  } else if (verdict.request->body_type() == protocol::RequestBody::Hello) {
    outcome = handle_hello(*verdict.request);
  } else if (session_ == Session::kAwaitingHello) {
    context_.counters.requests_refused.fetch_add(1, std::memory_order_relaxed);
    refuse(verdict.request, ResultCode::InvalidArgument, "the first request must be a Hello");
    close_after_flush("no Hello");
    outcome = FrameOutcome::kClose;
  } else if (!permitted(*verdict.request)) {
    outcome = FrameOutcome::kDone;
  } else if (verdict.request->body_type() == protocol::RequestBody::CommandBatch) {
    return handle_batch(*verdict.request, batch);
  } else if (verdict.request->body_type() == protocol::RequestBody::StatsQuery) {
    encode_stats_result(builder_, to_id128(verdict.request->request_id()), context_.stats());
    send(finished_bytes(builder_));
  } else if (verdict.request->body_type() == protocol::RequestBody::ProjectionStatusQuery ||
             verdict.request->body_type() == protocol::RequestBody::RebuildProjections) {
    handle_projection_request(*verdict.request);
  } else if (is_subscription_request(verdict.request->body_type())) {
    handle_subscription(*verdict.request);
  } else if (context_.read_side.answers(verdict.request->body_type())) {
    outcome = handle_query(*verdict.request, batch->frame);
  } else {
    context_.counters.requests_refused.fetch_add(1, std::memory_order_relaxed);
    refuse(verdict.request, ResultCode::InvalidArgument, "unknown request type");
  }
  context_.ingress.release(batch);
  return outcome;
}

Connection::FrameOutcome Connection::handle_hello(const protocol::Request& request) {
  // The verifier accepts a union whose type is set but whose table is absent.
  const protocol::Hello* hello = request.body_as_Hello();
  client_name_ = printable(hello == nullptr ? nullptr : hello->client_name());
  const std::string_view key =
      hello == nullptr || hello->api_key() == nullptr ? "" : hello->api_key()->string_view();
  const Role role = context_.access.role_of(key);
  if (role == Role::kNone) {
    context_.counters.requests_denied.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("event=client_unauthenticated peer={} client=\"{}\"", peer_, client_name_);
    refuse(&request, ResultCode::Unauthenticated,
           key.empty() ? "this server needs an API key in the Hello (api_key)"
                       : "the API key matches none of the server's keys");
    close_after_flush("unauthenticated");
    return FrameOutcome::kClose;
  }
  role_ = role;
  if (session_ == Session::kAwaitingHello) {
    spdlog::info("event=client_hello peer={} client=\"{}\" role={}{}", peer_, client_name_,
                 role_name(role_),
                 context_.access.enabled() ? " key=" + context_.access.name_of(key) : "");
    move_to(Session::kOpen);
  }
  encode_hello_result(builder_, to_id128(request.request_id()), context_.hello);
  send(finished_bytes(builder_));
  return FrameOutcome::kDone;
}

// Owns `batch`, which holds `request`: submits it to the engine or releases it.
Connection::FrameOutcome Connection::handle_batch(const protocol::Request& request,
                                                  IngressBatch* batch) {
  Ingress& ingress = context_.ingress;
  const RequestVerdict verdict =
      check_command_batch(request, context_.config.pipeline.ingress.batch_commands_max);
  if (!verdict.ok()) {
    context_.counters.requests_refused.fetch_add(1, std::memory_order_relaxed);
    refuse(&request, verdict.code, verdict.problem);
    ingress.release(batch);
    return FrameOutcome::kDone;
  }
  batch->origin = token_;
  const ResultCode result = ingress.submit_verified(batch);
  if (result == ResultCode::Ok) {
    ++in_flight_;
    return FrameOutcome::kDone;
  }
  if (result == ResultCode::Unavailable && !ingress.is_closed()) {
    ingress.release(batch);
    return FrameOutcome::kRetryLater;  // the queue is full: wait, drop nothing
  }
  context_.counters.requests_refused.fetch_add(1, std::memory_order_relaxed);
  refuse(&request, result,
         result == ResultCode::Unavailable ? "the server is shutting down; nothing was applied"
                                           : "the request was refused");
  ingress.release(batch);
  return FrameOutcome::kDone;
}

Connection::FrameOutcome Connection::handle_query(const protocol::Request& request,
                                                  std::span<const uint8_t> frame) {
  // The verifier accepts a union whose type is set but whose table is absent.
  if (request.body() == nullptr) {
    context_.counters.requests_refused.fetch_add(1, std::memory_order_relaxed);
    refuse(&request, ResultCode::InvalidArgument, "the query has no body");
    return FrameOutcome::kDone;
  }
  // The projector holds a copy of the frame until it answers; the router releases the charge
  // when the answer is delivered (the query's origin says so).
  const uint64_t charge = context_.router.query_charge_bytes();
  if (!context_.budget.try_admit(charge) &&
      !(idle() && context_.budget.try_charge_within_ceiling(charge))) {
    return FrameOutcome::kWaitForMemory;
  }
  if (!context_.read_side.submit(request.body_type(), ResponseRouter::query_origin(token_),
                                 frame)) {
    context_.budget.release(charge);
    context_.counters.requests_refused.fetch_add(1, std::memory_order_relaxed);
    refuse(&request, ResultCode::Unavailable, "the server is shutting down");
    return FrameOutcome::kDone;
  }
  ++in_flight_;  // the projector's answer comes back through the router
  return FrameOutcome::kDone;
}

void Connection::handle_subscription(const protocol::Request& request) {
  Result<SubscriptionRequest> read = read_subscription_request(request, token_);
  if (!read.is_ok()) {
    context_.counters.requests_refused.fetch_add(1, std::memory_order_relaxed);
    refuse(&request, ResultCode::InvalidArgument, read.status().message());
    return;
  }
  if (!context_.read_side.subscriptions().submit(*read)) {
    context_.counters.requests_refused.fetch_add(1, std::memory_order_relaxed);
    refuse(&request, ResultCode::Unavailable, "the server is shutting down");
    return;
  }
  subscribed_ = true;
}

bool Connection::permitted(const protocol::Request& request) {
  const Permission needed = permission_for(request.body_type());
  if (allows(role_, needed)) {
    return true;
  }
  context_.counters.requests_denied.fetch_add(1, std::memory_order_relaxed);
  refuse(&request, ResultCode::PermissionDenied,
         std::string("the API key's role (") + role_name(role_) + ") does not allow this request");
  return false;
}

Permission permission_for(protocol::RequestBody type) {
  switch (type) {
    case protocol::RequestBody::CommandBatch:
      return Permission::kWrite;
    case protocol::RequestBody::RebuildProjections:
      return Permission::kAdmin;
    default:
      return Permission::kRead;  // queries, stats, projection status
  }
}

void Connection::handle_projection_request(const protocol::Request& request) {
  if (request.body_type() == protocol::RequestBody::RebuildProjections) {
    spdlog::info("event=projections_rebuild peer={}", peer_);
    context_.read_side.rebuild();
  }
  encode_projection_status(builder_, to_id128(request.request_id()), context_.read_side.report());
  send(finished_bytes(builder_));
}

void Connection::refuse(const protocol::Request* request, ResultCode code,
                        std::string_view message) {
  const bool has_id = request != nullptr && request->request_id() != nullptr;
  const Id128 request_id = has_id ? to_id128(request->request_id()) : Id128{};
  spdlog::debug("event=request_refused peer={} code={} reason=\"{}\"", peer_,
                static_cast<int>(code), message);
  encode_error(builder_, has_id ? &request_id : nullptr, code, message);
  send(finished_bytes(builder_));
}

void Connection::send(std::span<const uint8_t> message) {
  framed_.clear();
  append_frame(framed_, message);
  context_.router.deliver(token_, framed_, 0);
}

void Connection::flush() {
  if (closed() || writing_) {
    return;  // a write in progress calls flush() again when it completes
  }
  const TakenResponses taken = context_.router.take(token_, write_buffer_);
  // Every answer is for a request of this connection that is waiting, and comes once: the
  // engine answers each request it accepted, the projectors each query, and the router hands
  // a slot's answers only to the connection holding it.
  TALLY_ASSERT(taken.answered <= in_flight_);
  in_flight_ -= taken.answered;
  if (drop_if_overflowed(taken.overflow)) {
    return;
  }
  if (!write_buffer_.empty()) {
    writing_ = true;
    write_trace_ = taken.trace;
    written_ = 0;
    write_since_ = Clock::now();
    write_some();
  } else if (session_ == Session::kClosing) {
    close_now();
    return;
  }
  if (reading_ == Reading::kPausedAtInFlightLimit &&
      in_flight_ < context_.config.requests_in_flight_max) {
    move_to(Reading::kReady);
    process_frames();
  } else if (reading_ == Reading::kWaitingForMemory && idle()) {
    resume_after_memory();
  }
}

bool Connection::drop_if_overflowed(Overflow overflow) {
  switch (overflow) {
    case Overflow::kNone:
      return false;
    case Overflow::kOutboxLimit:
      drop("unread responses passed max-outbox-bytes");
      return true;
    case Overflow::kServerMemory:
      drop(
          "answers would pass the server's memory ceiling (1.5 times memory-budget-bytes for "
          "a connection with more than 64 KiB unwritten, twice for others): the client leaves "
          "its answers unread");
      return true;
  }
  return false;
}

void Connection::write_some() {
  stream_.async_write_some(
      asio::buffer(write_buffer_.data() + written_, write_buffer_.size() - written_),
      [self = shared_from_this()](boost::system::error_code error, size_t bytes) {
        if (self->closed()) {
          return;
        }
        if (error) {
          spdlog::debug("event=connection_closed peer={} by=write_error error=\"{}\"", self->peer_,
                        error.message());
          self->close_now();
          return;
        }
        self->written_ += bytes;
        self->write_since_ = Clock::now();  // progress: the client reads
        if (self->written_ < self->write_buffer_.size()) {
          self->write_some();
          return;
        }
        self->writing_ = false;
        self->record_written_trace();
        self->flush();
      });
}

void Connection::record_written_trace() {
  if (!write_trace_.sampled()) {
    return;
  }
  context_.counters.record_answer_written(write_trace_.queued_ns, write_trace_.durable_ns);
  write_trace_ = {};
}

void Connection::arm_watchdog() {
  const uint32_t shortest =
      std::min(context_.config.frame_timeout_ms, context_.config.write_timeout_ms);
  watchdog_.expires_after(std::chrono::milliseconds(std::clamp<uint32_t>(shortest / 4, 5, 1000)));
  watchdog_.async_wait([self = shared_from_this()](boost::system::error_code error) {
    if (!error && !self->closed()) {
      self->check_deadlines();
    }
  });
}

void Connection::check_deadlines() {
  const Clock::time_point now = Clock::now();
  const auto frame_timeout = std::chrono::milliseconds(context_.config.frame_timeout_ms);
  const auto write_timeout = std::chrono::milliseconds(context_.config.write_timeout_ms);
  if (client_owes_since_ && open() && now - *client_owes_since_ > frame_timeout) {
    drop(session_ == Session::kOpen ? "a partial frame did not complete within frame-timeout-ms"
                                    : "no Hello within frame-timeout-ms");
    return;
  }
  if (writing_ && now - write_since_ > write_timeout) {
    drop("a response write made no progress within write-timeout-ms: the client does not read");
    return;
  }
  arm_watchdog();
}

void Connection::close_after_flush(std::string_view reason) {
  if (!open()) {
    return;
  }
  context_.counters.connections_dropped.fetch_add(1, std::memory_order_relaxed);
  spdlog::warn("event=connection_dropped peer={} client=\"{}\" reason=\"{}\"", peer_, client_name_,
               reason);
  move_to(Session::kClosing);
  flush();
}

void Connection::drop(std::string_view reason) {
  if (closed()) {
    return;
  }
  if (open()) {
    context_.counters.connections_dropped.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("event=connection_dropped peer={} client=\"{}\" reason=\"{}\"", peer_,
                 client_name_, reason);
  }
  close_now();
}

void Connection::close_now() {
  if (closed()) {
    return;
  }
  move_to(Session::kClosed);
  if (token_ != 0) {
    context_.router.detach(token_);
    if (subscribed_) {
      // Its subscriptions end with it (the hub would also find the token gone on its own).
      SubscriptionRequest closed;
      closed.kind = SubscriptionRequest::Kind::kConnectionClosed;
      closed.token = token_;
      context_.read_side.subscriptions().submit(closed);
    }
  }
  release_read_buffer();
  watchdog_.cancel();
  retry_timer_.cancel();
  stream_.close();
}

}  // namespace tally::net
