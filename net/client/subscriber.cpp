#include "net/client/subscriber.h"

#include <algorithm>
#include <string>
#include <utility>

#include "engine/wire/wire_decoder.h"
#include "net/protocol/frame.h"

namespace tally::client {
namespace {

using Clock = std::chrono::steady_clock;

// Waits are cut into slices this long, so that a reconnect is noticed (and the subscription
// started again) soon after it happens, not at the end of the caller's timeout.
constexpr std::chrono::milliseconds kSlice{50};

std::string_view view_of(const flatbuffers::String* text) {
  return text == nullptr ? std::string_view() : text->string_view();
}

template <size_t Capacity>
void assign_cut(InlineString<Capacity>& target, std::string_view text) {
  target.assign(text.substr(0, std::min(text.size(), Capacity)));
}

// Batches come up to 256 KiB each: room for a few, so the stream is read without the buffer
// growing and shrinking for every batch.
ClientOptions with_large_reads(ClientOptions options) {
  options.read_buffer_bytes = std::max<size_t>(options.read_buffer_bytes, 1 << 20);
  return options;
}

}  // namespace

EventBatchView::EventBatchView(std::vector<uint8_t> message) : message_(std::move(message)) {
  if (const flatbuffers::Vector<uint8_t>* nested = batch().events()) {
    // Verified with the Response (the schema declares the nested buffer).
    events_ = flatbuffers::GetRoot<protocol::EventList>(nested->data())->events();
  }
}

const protocol::EventBatch& EventBatchView::batch() const {
  return *flatbuffers::GetRoot<protocol::Response>(message_.data())->body_as_EventBatch();
}

Subscriber::Subscriber(ClientOptions client, SubscriberOptions options)
    : client_(with_large_reads(std::move(client))),
      options_(std::move(options)),
      next_sequence_(std::max<uint64_t>(options_.from_sequence, 1)) {
  client_.connect();
  subscribe();
}

void Subscriber::subscribe() {
  if (!subscription_.is_zero()) {
    client_.stop_stream(subscription_);
  }
  subscription_ = client_.next_request_id();
  net::SubscribeRequest request;
  request.from_sequence = next_sequence_;
  request.account_id = options_.account_id;
  request.event_types = options_.event_types;
  request.credit = options_.credit_window;
  net::encode_subscribe(builder_, subscription_, request);
  std::vector<uint8_t> frame;
  net::append_frame(frame, net::finished_bytes(builder_));
  client_.send_stream(subscription_, std::move(frame));
  credit_left_ = options_.credit_window;
  subscribed_at_reconnects_ = client_.reconnects();
}

std::optional<EventBatchView> Subscriber::next(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (client_.reconnects() != subscribed_at_reconnects_) {
      subscribe();  // the old connection's subscription went with it
    }
    const auto now = Clock::now();
    const auto slice = std::min<Clock::duration>(
        kSlice, std::max<Clock::duration>(deadline - now, Clock::duration(0)));
    std::optional<Reply> reply =
        client_.receive(std::chrono::duration_cast<std::chrono::microseconds>(slice));
    if (reply && reply->request_id == subscription_) {
      if (std::optional<EventBatchView> batch = take(std::move(*reply))) {
        return batch;
      }
    }
    if (Clock::now() >= deadline) {
      return std::nullopt;
    }
  }
}

std::optional<EventBatchView> Subscriber::take(Reply reply) {
  if (const auto* error = std::get_if<ErrorReply>(&reply.body)) {
    throw ClientError(ClientError::Kind::kRefused,
                      "the subscription was refused: " + error->message, error->code);
  }
  auto* message = std::get_if<QueryReply>(&reply.body);
  if (message == nullptr) {
    throw ClientError(ClientError::Kind::kProtocol, "the server answered a Subscribe oddly");
  }
  if (const protocol::SubscriptionEnded* ended = message->body<protocol::SubscriptionEnded>()) {
    client_.stop_stream(subscription_);
    if (ended->code() == ResultCode::Unavailable && unavailable_in_a_row_ < kUnavailableRetries) {
      // The server is stopping (a restart, most often): subscribe again once it is back.
      ++unavailable_in_a_row_;
      client_.disconnect();
      return std::nullopt;
    }
    throw ClientError(
        ClientError::Kind::kRefused,
        "the server ended the subscription: " + std::string(view_of(ended->message())),
        ended->code());
  }
  if (message->body<protocol::EventBatch>() == nullptr) {
    throw ClientError(ClientError::Kind::kProtocol, "the server answered a Subscribe oddly");
  }
  EventBatchView batch(std::move(message->message));  // a batch is large: moved, not copied
  if (batch.first_sequence() != next_sequence_ || batch.last_sequence() < batch.first_sequence()) {
    throw ClientError(ClientError::Kind::kProtocol,
                      "a batch covers sequences " + std::to_string(batch.first_sequence()) +
                          " to " + std::to_string(batch.last_sequence()) + " where " +
                          std::to_string(next_sequence_) + " was next");
  }
  next_sequence_ = batch.last_sequence() + 1;
  unavailable_in_a_row_ = 0;
  grant_credit(static_cast<uint32_t>(batch.size()));
  return batch;
}

void Subscriber::grant_credit(uint32_t consumed) {
  credit_left_ -= std::min(credit_left_, consumed);
  if (credit_left_ >= options_.credit_window / 2) {
    return;
  }
  const uint32_t grant = options_.credit_window - credit_left_;
  net::encode_subscription_credit(builder_, client_.next_request_id(), subscription_, grant);
  frame_.clear();
  net::append_frame(frame_, net::finished_bytes(builder_));
  client_.send_unanswered(frame_);
  credit_left_ += grant;
}

bool Subscriber::unsubscribe(std::chrono::milliseconds timeout) {
  net::encode_unsubscribe(builder_, client_.next_request_id(), subscription_);
  frame_.clear();
  net::append_frame(frame_, net::finished_bytes(builder_));
  client_.send_unanswered(frame_);
  const auto deadline = Clock::now() + timeout;
  bool confirmed = false;
  while (!confirmed && Clock::now() < deadline) {
    std::optional<Reply> reply =
        client_.receive(std::chrono::duration_cast<std::chrono::microseconds>(
            std::min<Clock::duration>(kSlice, deadline - Clock::now())));
    const auto* message = reply ? std::get_if<QueryReply>(&reply->body) : nullptr;
    const protocol::SubscriptionEnded* ended =
        message != nullptr && reply->request_id == subscription_
            ? message->body<protocol::SubscriptionEnded>()
            : nullptr;
    confirmed = ended != nullptr && ended->code() == ResultCode::Ok;
  }
  client_.stop_stream(subscription_);
  return confirmed;
}

Outcome outcome_of(const protocol::Event& event) {
  Outcome outcome;
  outcome.sequence = event.sequence();
  outcome.timestamp_ns = event.timestamp_ns();
  outcome.request_id = to_id128(event.request_id());
  outcome.command_index = event.command_index();
  outcome.type = event.type();
  outcome.command_type = event.command_type();
  outcome.code = event.type() == EventType::CommandRejected ? event.reason() : ResultCode::Ok;
  outcome.flags = kLastInRequest;
  if (event.transaction_id() != nullptr) {
    outcome.flags |= kHasTransactionId;
    outcome.transaction_id = to_id128(event.transaction_id());
  }
  outcome.account_type = event.account_type();
  outcome.amount = event.amount();
  outcome.balance = event.balance();
  outcome.version = event.version();
  outcome.counterparty_balance = event.counterparty_balance();
  outcome.counterparty_version = event.counterparty_version();
  outcome.overdraft_limit = event.overdraft_limit();
  if (std::optional<CurrencyCode> currency = CurrencyCode::parse(view_of(event.currency()))) {
    outcome.currency = *currency;
  }
  assign_cut(outcome.account_id, view_of(event.account_id()));
  assign_cut(outcome.counterparty_id, view_of(event.counterparty_id()));
  if (moves_money(event.command_type())) {
    assign_cut(outcome.text, view_of(event.transaction_text()));
  } else if (event.command_type() == CommandType::OpenAccount) {
    assign_cut(outcome.text, view_of(event.owner()));
  } else {
    assign_cut(outcome.text, view_of(event.text()));
  }
  return outcome;
}

}  // namespace tally::client
