#include "net/http/http_session.h"

#include <spdlog/spdlog.h>

#include "engine/wire/wire_decoder.h"
#include "net/protocol/frame.h"

namespace tally::net::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace beast_http = boost::beast::http;

constexpr std::chrono::milliseconds kIngressRetryDelay{1};

// The status and reason for a request Beast could not read whole, or nullopt to close
// without an answer (the client went, or sent nothing within the idle timeout).
std::optional<HttpRefusal> refusal_for_read_error(const beast::error_code& error) {
  if (error == beast_http::error::body_limit) {
    return refusal_of(413, ResultCode::LimitExceeded,
                      "the body is larger than the server's max-http-body-bytes");
  }
  if (error == beast_http::error::header_limit) {
    return refusal_of(431, ResultCode::LimitExceeded,
                      "the header is larger than the server's max-http-header-bytes");
  }
  if (error.category() ==
          beast_http::make_error_code(beast_http::error::end_of_stream).category() &&
      error != beast_http::error::end_of_stream && error != beast_http::error::partial_message) {
    return refusal_of(400, ResultCode::InvalidArgument,
                      "not a valid HTTP/1.1 request: " + error.message());
  }
  return std::nullopt;
}

// The permission a routed request needs; none for bad input (refused anyway) and for health
// and readiness, which load balancers and orchestrators probe without keys.
std::optional<Permission> permission_of(const RoutedRequest& routed) {
  if (const auto* call = std::get_if<EngineCall>(&routed)) {
    return call->is_query ? Permission::kRead : Permission::kWrite;
  }
  if (std::holds_alternative<StreamCall>(routed)) {
    return Permission::kRead;
  }
  if (const auto* local = std::get_if<LocalCall>(&routed)) {
    switch (local->kind) {
      case LocalKind::kHealth:
      case LocalKind::kReady:
        return std::nullopt;
      case LocalKind::kRebuild:
        return Permission::kAdmin;
      default:
        return Permission::kRead;
    }
  }
  return std::nullopt;
}

// The key of an "Authorization: Bearer <key>" header ("" if there is none).
std::string_view bearer_token(const HttpRequest& request) {
  const auto header = request.find(beast_http::field::authorization);
  if (header == request.end()) {
    return "";
  }
  const std::string_view value(header->value().data(), header->value().size());
  constexpr std::string_view kScheme = "bearer ";
  if (value.size() <= kScheme.size()) {
    return "";
  }
  for (size_t index = 0; index < kScheme.size(); ++index) {
    if (std::tolower(static_cast<unsigned char>(value[index])) != kScheme[index]) {
      return "";
    }
  }
  return value.substr(kScheme.size());
}

}  // namespace

HttpSession::HttpSession(asio::ip::tcp::socket socket, HttpContext& context)
    : stream_(beast::tcp_stream(std::move(socket)), context.server.tls),
      context_(context),
      retry_timer_(stream_.get_executor()) {}

HttpSession::~HttpSession() = default;

void HttpSession::start() {
  asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->begin(); });
}

void HttpSession::begin() {
  // The TLS handshake first (none on a plain stream), within the idle timeout.
  stream_.plain_layer().expires_after(
      std::chrono::milliseconds(context_.server.config.http_idle_timeout_ms));
  stream_.async_handshake(
      asio::ssl::stream_base::server, [self = shared_from_this()](beast::error_code error) {
        if (error) {
          spdlog::info("event=tls_handshake_failed protocol=http error=\"{}\"", error.message());
          self->closed_ = true;
          self->stream_.plain_layer().close();
          return;
        }
        self->after_handshake();
      });
}

void HttpSession::after_handshake() {
  ConnectionContext& server = context_.server;
  // No descriptor: answers are translated to HTTP before they are written.
  const std::optional<uint64_t> token = server.router.attach(shared_from_this(), -1);
  if (!token) {
    server.counters.connections_refused.fetch_add(1, std::memory_order_relaxed);
    read_no_more_ = true;
    Slot& slot = line_.emplace_back();
    slot.framing.keep_alive = false;
    answer(slot, render_refusal(refusal_of(503, ResultCode::LimitExceeded,
                                           "too many connections: the server's max-connections "
                                           "is reached")));
    pump();
    return;
  }
  server.counters.connections_accepted.fetch_add(1, std::memory_order_relaxed);
  context_.connections_accepted.fetch_add(1, std::memory_order_relaxed);
  context_.connections_open.fetch_add(1, std::memory_order_relaxed);
  token_ = *token;
  attached_ = true;
  boost::system::error_code ignored;
  stream_.plain_layer().socket().set_option(asio::ip::tcp::no_delay(true), ignored);
  pump();
}

void HttpSession::pump() {
  if (closed_) {
    return;
  }
  read_buffered_requests();
  if (!writing_) {
    collect();
    write_answered();
  }
  if (closed_) {
    return;
  }
  if (read_no_more_ && !reading_ && !writing_ && line_.empty()) {
    close();  // everything owed is written
    return;
  }
  if (may_read()) {
    read_request();
  }
}

bool HttpSession::may_read() const {
  return !closed_ && !reading_ && !read_no_more_ &&
         line_.size() < context_.server.config.requests_in_flight_max;
}

void HttpSession::new_parser() {
  const ServerConfig& config = context_.server.config;
  parser_.emplace();
  parser_->header_limit(config.http_header_bytes_max);
  parser_->body_limit(config.http_body_bytes_max);
}

bool HttpSession::expects_continue() const {
  const auto expect = parser_->get().find(beast_http::field::expect);
  return expect != parser_->get().end() &&
         beast::iequals(expect->value(), beast::string_view("100-continue"));
}

void HttpSession::read_buffered_requests() {
  // Pipelined requests arrive several to a read: parsing them straight from the buffer saves
  // an asynchronous read (and its trip through the strand) per request.
  while (may_read() && buffer_.size() > 0) {
    if (!parser_) {
      new_parser();
    }
    beast::error_code error;
    if (!parser_->is_header_done()) {
      buffer_.consume(parser_->put(buffer_.data(), error));  // the header only (not eager)
      if (error == beast_http::error::need_more) {
        return;  // the rest comes by read_request()
      }
      if (!error && !parser_->is_done() && expects_continue()) {
        reading_ = true;  // the body follows the go-ahead
        continue_owed_ = true;
        return;
      }
    }
    if (!error && !parser_->is_done()) {
      parser_->eager(true);
      buffer_.consume(parser_->put(buffer_.data(), error));
      if (error == beast_http::error::need_more || (!error && !parser_->is_done())) {
        return;  // part of the body: the rest comes by read_request()
      }
    }
    finish_read(error);
  }
}

void HttpSession::read_request() {
  const ServerConfig& config = context_.server.config;
  reading_ = true;
  if (!parser_) {
    new_parser();
  }
  // Applies to this read only: a write in flight keeps its own deadline.
  stream_.plain_layer().expires_after(std::chrono::milliseconds(config.http_idle_timeout_ms));
  // The header first: a client that asks "Expect: 100-continue" (curl does for bodies over a
  // kilobyte) waits for the go-ahead before it sends the body. (A header parsed from the
  // buffer already completes at once.)
  beast_http::async_read_header(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code error, size_t) { self->on_header(error); });
}

void HttpSession::on_header(beast::error_code error) {
  if (closed_ || error || parser_->is_done()) {
    on_read(error);
    return;
  }
  if (!expects_continue()) {
    read_body();
    return;
  }
  // The go-ahead follows every earlier answer (answers go in order).
  continue_owed_ = true;
  pump();
}

void HttpSession::read_body() {
  stream_.plain_layer().expires_after(
      std::chrono::milliseconds(context_.server.config.http_idle_timeout_ms));
  beast_http::async_read(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code error, size_t) { self->on_read(error); });
}

void HttpSession::on_read(beast::error_code error) {
  if (closed_) {
    return;
  }
  reading_ = false;
  finish_read(error);
  pump();
}

void HttpSession::finish_read(beast::error_code error) {
  if (!error) {
    handle(parser_->get());
  } else if (const std::optional<HttpRefusal> refusal = refusal_for_read_error(error)) {
    context_.server.counters.requests_refused.fetch_add(1, std::memory_order_relaxed);
    read_no_more_ = true;  // the rest of the stream cannot be trusted to be a request
    Slot& slot = line_.emplace_back();
    slot.framing.keep_alive = false;
    answer(slot, render_refusal(*refusal));
  } else if (error == beast_http::error::end_of_stream ||
             error == beast_http::error::partial_message) {
    read_no_more_ = true;  // the client sends no more; it may still read what it is owed
  } else {
    close();  // the idle timeout, or the connection is gone
  }
  parser_.reset();
}

void HttpSession::handle(const HttpRequest& request) {
  Slot& slot = line_.emplace_back();
  slot.framing = {.version = request.version(),
                  .keep_alive = request.keep_alive(),
                  .head = request.method() == beast_http::verb::head};
  read_no_more_ = !slot.framing.keep_alive;
  const Id128 fresh{.low = context_.next_id.fetch_add(1, std::memory_order_relaxed),
                    .high = context_.id_salt};
  RoutedRequest routed = route_request(request, fresh);
  if (const std::optional<HttpRefusal> denied = check_access(request, routed)) {
    context_.server.counters.requests_denied.fetch_add(1, std::memory_order_relaxed);
    answer(slot, render_refusal(*denied));
  } else if (const auto* refusal = std::get_if<HttpRefusal>(&routed)) {
    context_.server.counters.requests_refused.fetch_add(1, std::memory_order_relaxed);
    answer(slot, render_refusal(*refusal));
  } else if (const auto* local = std::get_if<LocalCall>(&routed)) {
    answer(slot, answer_locally(*local));
  } else if (auto* stream = std::get_if<StreamCall>(&routed)) {
    start_stream(slot, *stream);
  } else {
    EngineCall& call = std::get<EngineCall>(routed);
    // The binary protocol's limits hold for the request a body becomes as well.
    const ServerConfig& config = context_.server.config;
    const size_t limit =
        call.is_query ? config.query_frame_bytes_max : config.pipeline.ingress.frame_bytes_max;
    if (call.message.size() > limit) {
      context_.server.counters.requests_refused.fetch_add(1, std::memory_order_relaxed);
      answer(slot, render_refusal(refusal_of(413, ResultCode::LimitExceeded,
                                             "the request is larger than the server's " +
                                                 std::string(call.is_query ? "max-query-frame-bytes"
                                                                           : "max-frame-bytes"))));
      return;
    }
    slot.call = std::move(call);
    submit_waiting();
  }
}

std::optional<HttpRefusal> HttpSession::check_access(const HttpRequest& request,
                                                     const RoutedRequest& routed) const {
  const AccessControl& access = context_.server.access;
  const std::optional<Permission> needed = permission_of(routed);
  if (!access.enabled() || !needed) {
    return std::nullopt;
  }
  const Role role = access.role_of(bearer_token(request));
  if (role == Role::kNone) {
    return refusal_of(401, ResultCode::Unauthenticated,
                      "this server needs an API key: Authorization: Bearer <key>");
  }
  if (!allows(role, *needed)) {
    return refusal_of(
        403, ResultCode::PermissionDenied,
        std::string("the API key's role (") + role_name(role) + ") does not allow this request");
  }
  return std::nullopt;
}

HttpAnswer HttpSession::answer_locally(const LocalCall& call) {
  ConnectionContext& server = context_.server;
  switch (call.kind) {
    case LocalKind::kHealth:
      return render_health();
    case LocalKind::kReady:
      return render_ready(server.read_side.report(), context_.recovered_sequence,
                          !server.stats().journal_failed);
    case LocalKind::kStats:
      return render_stats(server.stats());
    case LocalKind::kMetrics:
      return render_metrics(server.stats(), server.read_side.report(),
                            {.http_open = context_.connections_open.load(),
                             .http_accepted = context_.connections_accepted.load()});
    case LocalKind::kProjections:
      return render_projections(server.read_side.report(), false);
    case LocalKind::kRebuild:
      spdlog::info("event=projections_rebuild protocol=http");
      server.read_side.rebuild();
      return render_projections(server.read_side.report(), true);
  }
  return render_health();
}

void HttpSession::start_stream(Slot& slot, StreamCall& call) {
  // Events the client may be sent ahead: given back as they are turned into the stream's text.
  constexpr uint32_t kStreamCredit = 4'096;
  call.subscribe.token = token_;
  call.subscribe.credit = kStreamCredit;
  if (!context_.server.read_side.subscriptions().submit(call.subscribe)) {
    answer(slot,
           render_refusal(refusal_of(503, ResultCode::Unavailable, "the server is shutting down")));
    return;
  }
  streaming_ = true;
  stream_id_ = call.subscribe.subscription;
  read_no_more_ = true;  // the stream is this connection's last answer
  slot.state = Slot::State::kStreaming;
  // No length and no chunks: the stream ends when the connection does.
  slot.answer =
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n"
      "Connection: close\r\n\r\n";
}

void HttpSession::stream_message(const protocol::Response& response) {
  Slot& slot = line_.back();
  TALLY_ASSERT(slot.state == Slot::State::kStreaming);
  const std::optional<uint32_t> events = append_stream_events(slot.answer, response);
  if (!events) {
    stream_ended_ = true;
    return;
  }
  if (*events > 0) {
    SubscriptionRequest credit;
    credit.kind = SubscriptionRequest::Kind::kCredit;
    credit.token = token_;
    credit.subscription = stream_id_;
    credit.credit = *events;
    context_.server.read_side.subscriptions().submit(credit);
  }
}

void HttpSession::watch_for_close() {
  stream_.async_read_some(asio::buffer(discard_),
                          [self = shared_from_this()](beast::error_code error, size_t) {
                            if (self->closed_) {
                              return;
                            }
                            if (error) {
                              self->close();  // gone: its subscription ends with it
                              return;
                            }
                            self->watch_for_close();
                          });
}

void HttpSession::answer(Slot& slot, const HttpAnswer& answer) {
  slot.state = Slot::State::kAnswered;
  slot.call = {};
  append_response(slot.answer, answer, slot.framing);
}

void HttpSession::submit_waiting() {
  if (retry_armed_) {
    return;  // the timer submits them, in order
  }
  for (Slot& slot : line_) {
    if (slot.state != Slot::State::kUnsubmitted) {
      continue;
    }
    if (!submit(slot)) {
      // Only a full ingress gets here: try again shortly, keeping the order.
      retry_armed_ = true;
      retry_timer_.expires_after(kIngressRetryDelay);
      retry_timer_.async_wait([self = shared_from_this()](boost::system::error_code error) {
        self->retry_armed_ = false;
        if (!error && !self->closed_) {
          self->submit_waiting();
          self->pump();
        }
      });
      return;
    }
  }
}

bool HttpSession::submit(Slot& slot) {
  if (slot.call.is_query) {
    submit_query(slot);
    return true;
  }
  return submit_command(slot);
}

bool HttpSession::submit_command(Slot& slot) {
  ConnectionContext& server = context_.server;
  Ingress& ingress = server.ingress;
  IngressBatch* batch = ingress.acquire();
  if (batch == nullptr) {
    return false;
  }
  batch->frame.assign(slot.call.message.begin(), slot.call.message.end());
  const uint32_t commands_max = server.config.pipeline.ingress.batch_commands_max;
  RequestVerdict verdict = verify_request(batch->frame, commands_max);
  if (verdict.ok()) {
    verdict = check_command_batch(*verdict.request, commands_max);
  }
  if (!verdict.ok()) {
    ingress.release(batch);
    server.counters.requests_refused.fetch_add(1, std::memory_order_relaxed);
    answer(slot, render_refusal(refusal_of(status_of(verdict.code), verdict.code,
                                           std::string(verdict.problem))));
    return true;
  }
  batch->origin = token_;
  const ResultCode result = ingress.submit_verified(batch);
  if (result == ResultCode::Ok) {
    slot.state = Slot::State::kWithEngine;  // the answer comes through the router
    return true;
  }
  ingress.release(batch);
  if (result == ResultCode::Unavailable && !ingress.is_closed()) {
    return false;
  }
  server.counters.requests_refused.fetch_add(1, std::memory_order_relaxed);
  answer(slot, render_refusal(
                   refusal_of(503, result, "the server is shutting down; nothing was applied")));
  return true;
}

void HttpSession::submit_query(Slot& slot) {
  ConnectionContext& server = context_.server;
  // The projector holds a copy of the query until it answers; the router releases the charge
  // when the answer is delivered (the query's origin says so).
  const uint64_t charge = server.router.query_charge_bytes();
  if (!server.budget.try_admit(charge) && !server.budget.try_charge_within_ceiling(charge)) {
    server.counters.requests_refused.fetch_add(1, std::memory_order_relaxed);
    answer(slot, render_refusal(refusal_of(503, ResultCode::Unavailable,
                                           "the server's memory budget is in use; retry shortly")));
    return;
  }
  if (!server.read_side.submit(slot.call.query_type, ResponseRouter::query_origin(token_),
                               slot.call.message)) {
    server.budget.release(charge);
    server.counters.requests_refused.fetch_add(1, std::memory_order_relaxed);
    answer(slot,
           render_refusal(refusal_of(503, ResultCode::Unavailable, "the server is shutting down")));
    return;
  }
  slot.state = Slot::State::kWithEngine;
}

void HttpSession::on_responses_ready() {
  asio::post(stream_.get_executor(), [self = shared_from_this()] { self->pump(); });
}

void HttpSession::on_overflow(Overflow) {
  asio::post(stream_.get_executor(), [self = shared_from_this()] { self->close(); });
}

void HttpSession::collect() {
  // Each take says that what the previous one handed out is written; the router wakes this
  // session again only once a take found nothing, so take until then unless an answer is
  // ready to write (the write's end takes again).
  while (attached_ && !closed_) {
    const TakenResponses taken = context_.server.router.take(token_, taken_);
    if (taken.overflow != Overflow::kNone) {
      close();
      return;
    }
    if (taken_.empty()) {
      return;
    }
    size_t offset = 0;
    while (taken_.size() - offset >= kFrameHeaderBytes) {
      const uint32_t length = read_frame_length(taken_.data() + offset);
      offset += kFrameHeaderBytes;
      if (length > taken_.size() - offset) {
        break;  // the router hands out whole frames only
      }
      answer_from({taken_.data() + offset, length});
      offset += length;
    }
    if (!line_.empty() && line_.front().state == Slot::State::kAnswered) {
      return;
    }
  }
}

void HttpSession::answer_from(std::span<const uint8_t> message) {
  // FlatBuffers reads its tables in place: a vector's storage is aligned for it.
  aligned_.assign(message.begin(), message.end());
  const auto* response = flatbuffers::GetRoot<protocol::Response>(aligned_.data());
  if (response->request_id() == nullptr) {
    return;
  }
  const Id128 request_id = to_id128(response->request_id());
  if (streaming_ && request_id == stream_id_) {
    stream_message(*response);
    return;
  }
  // Answers to one id come in the order its requests went (a retry follows its original).
  for (Slot& slot : line_) {
    if (slot.state == Slot::State::kWithEngine && slot.call.request_id == request_id) {
      answer(slot, render_response(*response, slot.call));
      return;
    }
  }
}

void HttpSession::write_answered() {
  if (writing_ || closed_) {
    return;
  }
  if (continue_owed_ && line_.empty()) {
    write_continue();
    return;
  }
  write_buffer_.clear();
  while (!line_.empty() && line_.front().state == Slot::State::kAnswered) {
    write_buffer_.append(line_.front().answer);
    line_.pop_front();
  }
  if (!line_.empty() && line_.front().state == Slot::State::kStreaming) {
    Slot& stream = line_.front();
    if (!stream_watched_) {
      stream_watched_ = true;  // its header goes out now: from here on, reads only watch
      watch_for_close();
    }
    write_buffer_.append(stream.answer);
    stream.answer.clear();
    if (stream_ended_) {
      line_.pop_front();  // its end is in this write; then the connection closes
    }
  }
  if (write_buffer_.empty()) {
    return;
  }
  writing_ = true;
  // Applies to this write only: a read in flight keeps its own deadline.
  stream_.plain_layer().expires_after(
      std::chrono::milliseconds(context_.server.config.write_timeout_ms));
  asio::async_write(
      stream_, asio::buffer(write_buffer_),
      [self = shared_from_this()](beast::error_code error, size_t) { self->on_written(error); });
}

void HttpSession::write_continue() {
  static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
  writing_ = true;
  continue_owed_ = false;
  stream_.plain_layer().expires_after(
      std::chrono::milliseconds(context_.server.config.write_timeout_ms));
  asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                    [self = shared_from_this()](beast::error_code error, size_t) {
                      if (!error && !self->closed_) {
                        self->read_body();
                      }
                      self->on_written(error);
                    });
}

void HttpSession::on_written(beast::error_code error) {
  if (closed_) {
    return;
  }
  writing_ = false;
  if (error) {
    close();
    return;
  }
  pump();
}

void HttpSession::close() {
  if (closed_) {
    return;
  }
  closed_ = true;
  retry_timer_.cancel();
  line_.clear();
  if (attached_ && streaming_) {
    SubscriptionRequest closed;
    closed.kind = SubscriptionRequest::Kind::kConnectionClosed;
    closed.token = token_;
    context_.server.read_side.subscriptions().submit(closed);
  }
  if (attached_) {
    attached_ = false;
    context_.server.router.detach(token_);  // later answers for this token are dropped
    context_.connections_open.fetch_sub(1, std::memory_order_relaxed);
  }
  beast::error_code ignored;
  stream_.plain_layer().socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  stream_.plain_layer().close();
}

}  // namespace tally::net::http
