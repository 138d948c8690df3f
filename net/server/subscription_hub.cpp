#include "net/server/subscription_hub.h"

#include <algorithm>
#include <string>
#include <utility>

#include <spdlog/spdlog.h>

#include "engine/base/invariant.h"
#include "engine/wire/wire_encoder.h"
#include "net/protocol/frame.h"
#include "net/protocol/messages.h"

namespace tally::net {
namespace {

// How long the hub's thread waits for a request when nothing else is to be done: with
// subscriptions, this is how often it looks at the durable sequence (a live subscriber's lag
// is at most this plus the time to send); without, only a request wakes it sooner.
constexpr std::chrono::microseconds kPollWithSubscriptions{1'000};
constexpr std::chrono::milliseconds kPollWithout{100};
// Requests taken per pass at most, so a flood of credits cannot starve the sending.
constexpr size_t kRequestsPerPassMax = 1'024;

ResultCode code_of_open_failure(const Status& status) {
  return status.code() == StatusCode::kNotFound ? ResultCode::SequenceUnavailable
                                                : ResultCode::Unavailable;
}

}  // namespace

struct SubscriptionHub::Subscription {
  uint64_t token = 0;
  Id128 id;
  EventFilter filter;
  uint64_t next_sequence = 1;  // the first sequence of the next batch
  uint64_t credit = 0;         // events it may still be sent
  // The lane it is served from; null while it reads on its own.
  Lane* lane = nullptr;
  // Reading on its own: its reader, and the wanted events read ahead, not yet sent.
  std::unique_ptr<read::DurableEventReader> reader;
  RingQueue<Outcome> read_ahead;
  // Every sequence up to it has been looked at and none is wanted, so a filter that matches
  // little does not scan a lane again on every pass.
  uint64_t scanned_through = 0;
  // The first sequence it may still want: its next batch starts at next_sequence, but nothing
  // it scanned is wanted, so a lane need not hold that for it (a filter that matches little
  // neither holds the trail back nor falls behind the window).
  uint64_t position() const { return std::max(next_sequence, scanned_through + 1); }
  Clock::time_point last_sent = Clock::now();
  bool finished = false;  // ended, or its connection has gone: removed after the pass
};

SubscriptionHub::SubscriptionHub(ResponseRouter& router, SubscriptionLimits limits)
    : router_(router), limits_(limits) {
  // A lane reads half of itself at a time and keeps the other half: at least one event each.
  TALLY_ASSERT(limits_.window_events >= 2);
}

SubscriptionHub::~SubscriptionHub() {
  stop();
}

void SubscriptionHub::start(journal::Storage& storage, std::string journal_directory,
                            std::function<uint64_t()> durable_sequence) {
  TALLY_ASSERT(!thread_.joinable());
  storage_ = &storage;
  journal_directory_ = std::move(journal_directory);
  durable_sequence_ = std::move(durable_sequence);
  running_.store(true, std::memory_order_release);
  thread_ = std::thread([this] { run(); });
}

void SubscriptionHub::stop() {
  if (!thread_.joinable()) {
    return;
  }
  running_.store(false, std::memory_order_release);
  stop_requested_.store(true, std::memory_order_release);
  SubscriptionRequest wake;  // the thread may be waiting for a request
  wake.kind = SubscriptionRequest::Kind::kConnectionClosed;
  requests_.enqueue(wake);
  thread_.join();
}

bool SubscriptionHub::submit(const SubscriptionRequest& request) {
  if (!running_.load(std::memory_order_acquire)) {
    return false;
  }
  return requests_.enqueue(request);
}

SubscriptionCounters SubscriptionHub::counters() const {
  return {.open = open_published_.load(std::memory_order_relaxed),
          .events_sent = events_sent_published_.load(std::memory_order_relaxed),
          .batches_sent = batches_sent_published_.load(std::memory_order_relaxed),
          .events_read = events_read_published_.load(std::memory_order_relaxed)};
}

void SubscriptionHub::run() {
  while (!stop_requested_.load(std::memory_order_acquire)) {
    bool progressed = take_requests();
    const uint64_t durable = durable_sequence_();
    const Clock::time_point now = Clock::now();
    progressed |= advance_head(durable);
    progressed |= advance_trail(durable, now);
    encodings_used_ = 0;
    for (const std::unique_ptr<Subscription>& subscription : subscriptions_) {
      if (!subscription->finished) {
        progressed |= serve(*subscription, durable, now);
      }
    }
    remove_finished();
    publish_counters();
    if (!progressed) {
      SubscriptionRequest request;
      const auto wait = subscriptions_.empty()
                            ? std::chrono::duration_cast<std::chrono::microseconds>(kPollWithout)
                            : kPollWithSubscriptions;
      if (requests_.wait_dequeue_timed(request, wait)) {
        handle(request);
      }
    }
  }
  for (const std::unique_ptr<Subscription>& subscription : subscriptions_) {
    if (!subscription->finished) {
      end(*subscription, ResultCode::Unavailable, "the server is stopping");
    }
  }
  remove_finished();
  publish_counters();
}

bool SubscriptionHub::take_requests() {
  SubscriptionRequest request;
  size_t taken = 0;
  while (taken < kRequestsPerPassMax && requests_.try_dequeue(request)) {
    handle(request);
    ++taken;
  }
  return taken > 0;
}

void SubscriptionHub::handle(const SubscriptionRequest& request) {
  switch (request.kind) {
    case SubscriptionRequest::Kind::kSubscribe:
      subscribe(request);
      return;
    case SubscriptionRequest::Kind::kCredit:
      // A credit for a subscription that has just ended crossed its end on the wire: nothing
      // to say about it.
      if (Subscription* subscription = find(request.token, request.subscription)) {
        subscription->credit =
            std::min<uint64_t>(subscription->credit + request.credit, limits_.credit_max);
      }
      return;
    case SubscriptionRequest::Kind::kUnsubscribe:
      if (Subscription* subscription = find(request.token, request.subscription)) {
        end(*subscription, ResultCode::Ok, "unsubscribed");
      } else {
        refuse(request, ResultCode::InvalidArgument,
               "no subscription with this id is open on this connection");
      }
      return;
    case SubscriptionRequest::Kind::kConnectionClosed:
      for (const std::unique_ptr<Subscription>& subscription : subscriptions_) {
        if (subscription->token == request.token) {
          subscription->finished = true;
        }
      }
      return;
  }
}

SubscriptionHub::Subscription* SubscriptionHub::find(uint64_t token, const Id128& id) {
  for (const std::unique_ptr<Subscription>& subscription : subscriptions_) {
    if (!subscription->finished && subscription->token == token && subscription->id == id) {
      return subscription.get();
    }
  }
  return nullptr;
}

void SubscriptionHub::subscribe(const SubscriptionRequest& request) {
  if (find(request.token, request.subscription) != nullptr) {
    refuse(request, ResultCode::InvalidArgument,
           "a subscription with this request id is already open on this connection");
    return;
  }
  auto subscription = std::make_unique<Subscription>();
  subscription->token = request.token;
  subscription->id = request.subscription;
  subscription->filter = request.filter;
  const uint64_t from = request.from_durable_end ? durable_sequence_() + 1
                                                 : std::max<uint64_t>(request.from_sequence, 1);
  subscription->next_sequence = from;
  subscription->credit = std::min<uint64_t>(request.credit, limits_.credit_max);
  const auto open = static_cast<size_t>(
      std::count_if(subscriptions_.begin(), subscriptions_.end(),
                    [](const std::unique_ptr<Subscription>& other) { return !other->finished; }));
  if (open >= limits_.subscriptions_max) {
    end(*subscription, ResultCode::LimitExceeded,
        "the server has " + std::to_string(limits_.subscriptions_max) +
            " subscriptions open (its max-subscriptions)");
    return;
  }
  if (head_.holds(from)) {
    subscription->lane = &head_;
  } else if (!place_behind_head(*subscription, durable_sequence_())) {
    return;  // ended: its sequence is outside the journal, or the journal unreadable
  }
  spdlog::info("event=subscribed token={} from_sequence={} account=\"{}\" type_mask={}",
               request.token, from, request.filter.account_id.view(), request.filter.type_mask);
  subscriptions_.push_back(std::move(subscription));
}

void SubscriptionHub::Lane::drop_before(uint64_t sequence) {
  while (!events.empty() && events.front().sequence < sequence) {
    drop_oldest();
  }
}

void SubscriptionHub::Lane::keep_newest(size_t count) {
  while (events.size() > count) {
    drop_oldest();
  }
}

void SubscriptionHub::Lane::append(const std::vector<Outcome>& read, size_t events_max) {
  for (const Outcome& event : read) {
    if (events.size() >= events_max) {  // the oldest goes: the lane stays its size
      drop_oldest();
    }
    events.push_back(event);
  }
}

bool SubscriptionHub::serves_from(const Lane& lane) const {
  return std::any_of(subscriptions_.begin(), subscriptions_.end(),
                     [&lane](const std::unique_ptr<Subscription>& subscription) {
                       return !subscription->finished && subscription->lane == &lane;
                     });
}

bool SubscriptionHub::read_into(Lane& lane, uint64_t durable, size_t events_max) {
  read_buffer_.clear();
  Result<size_t> read = lane.reader->read(durable, events_max, read_buffer_);
  if (!read.is_ok()) {
    spdlog::error("event=subscription_journal_unreadable problem=\"{}\"", read.status().message());
    for (const std::unique_ptr<Subscription>& subscription : subscriptions_) {
      if (!subscription->finished && subscription->lane == &lane) {
        end(*subscription, ResultCode::Unavailable,
            "the journal could not be read: " + read.status().message());
      }
    }
    lane.reset();
    return true;
  }
  lane.append(read_buffer_, limits_.window_events);
  events_read_ += *read;
  return *read > 0;
}

bool SubscriptionHub::advance_head(uint64_t durable) {
  if (!head_.active()) {
    return false;
  }
  if (!serves_from(head_)) {
    // Nobody reads the window: it costs no reading until somebody catches up to the head
    // again (its memory stays for then).
    head_.reset();
    return false;
  }
  return read_into(head_, durable, limits_.window_events / 2);
}

bool SubscriptionHub::advance_trail(uint64_t durable, Clock::time_point now) {
  if (!trail_.active()) {
    return false;
  }
  uint64_t slowest = UINT64_MAX;  // the positions of its least and most advanced
  uint64_t leading = 0;
  for (const std::unique_ptr<Subscription>& subscription : subscriptions_) {
    if (!subscription->finished && subscription->lane == &trail_) {
      slowest = std::min(slowest, subscription->position());
      leading = std::max(leading, subscription->position());
    }
  }
  if (leading == 0) {
    trail_.reset();
    return false;
  }
  trail_.drop_before(slowest);  // what every subscription in it has been sent
  const uint64_t covered = trail_.reader->covered_through();
  // Half a lane read ahead of the most advanced, as the head lane reads half a lane a pass;
  // nothing once the head lane holds what follows (its subscriptions move there: serve).
  const size_t read_ahead_max = limits_.window_events / 2;
  if ((head_.active() && covered + 1 >= head_.from) ||
      covered + 1 - std::min(leading, covered + 1) >= read_ahead_max) {
    trail_full_since_.reset();  // nobody waits: the next wait is counted from its start
    return false;
  }
  if (trail_.events.size() + read_ahead_max > limits_.window_events) {
    // Full: the slowest holds the others back, for a while.
    if (!trail_full_since_) {
      trail_full_since_ = now;
    }
    if (now - *trail_full_since_ < kTrailWaitMax) {
      return false;
    }
    // It is left behind (serve gives it a reader of its own) and the others go on.
    trail_.keep_newest(limits_.window_events - read_ahead_max);
  }
  trail_full_since_.reset();
  const bool progressed = read_into(trail_, durable, read_ahead_max);
  if (trail_.active() && !head_.active() && trail_.reader->next_sequence() > durable) {
    // It has read everything durable: it goes on as the head lane, with its subscriptions.
    std::swap(head_, trail_);
    trail_.reset();
    for (const std::unique_ptr<Subscription>& subscription : subscriptions_) {
      if (subscription->lane == &trail_) {
        subscription->lane = &head_;
      }
    }
  }
  return progressed;
}

bool SubscriptionHub::place_behind_head(Subscription& subscription, uint64_t durable) {
  if (trail_.holds(subscription.position())) {
    subscription.lane = &trail_;
    return true;
  }
  Result<std::unique_ptr<read::DurableEventReader>> reader = read::DurableEventReader::open(
      *storage_, journal_directory_, subscription.next_sequence, durable);
  if (!reader.is_ok()) {
    end(subscription, code_of_open_failure(reader.status()), reader.status().message());
    return false;
  }
  if (!trail_.active()) {  // the trail starts here, for it and whoever comes by
    begin_lane(trail_, std::move(reader).value(), subscription.next_sequence);
    subscription.lane = &trail_;
  } else {
    subscription.reader = std::move(reader).value();
  }
  return true;
}

bool SubscriptionHub::serve(Subscription& subscription, uint64_t durable, Clock::time_point now) {
  const std::optional<size_t> unwritten = router_.unwritten_bytes(subscription.token);
  if (!unwritten) {
    subscription.finished = true;  // the connection has gone
    return false;
  }
  if (subscription.lane == &trail_ && head_.holds(subscription.position())) {
    subscription.lane = &head_;  // the trail caught up with the window
  }
  if (subscription.lane != nullptr && subscription.position() < subscription.lane->from) {
    // It fell behind its lane (whose oldest events went): it leaves it, before anything else,
    // so that a lane never waits for (or reads on for) a subscription it no longer holds.
    subscription.lane = nullptr;
  }
  if (*unwritten > kUnwrittenBytesMax) {
    // It reads slowly: it gets more once it has read what it has (out of a lane meanwhile, if
    // it fell behind, holding no reader until then).
    return false;
  }
  if (subscription.lane == nullptr && subscription.reader == nullptr &&
      !place_behind_head(subscription, durable)) {
    return true;  // ended
  }
  return subscription.lane != nullptr ? serve_from_lane(subscription, durable, now)
                                      : serve_from_reader(subscription, durable, now);
}

bool SubscriptionHub::serve_from_reader(Subscription& subscription, uint64_t durable,
                                        Clock::time_point now) {
  bool progressed = false;
  if (subscription.read_ahead.size() < limits_.batch_events_max) {
    read_buffer_.clear();
    Result<size_t> read = subscription.reader->read(
        durable, limits_.batch_events_max - subscription.read_ahead.size(), read_buffer_);
    if (!read.is_ok()) {
      end(subscription, ResultCode::Unavailable,
          "the journal could not be read: " + read.status().message());
      return true;
    }
    events_read_ += *read;
    for (const Outcome& event : read_buffer_) {
      if (subscription.filter.matches(event)) {
        subscription.read_ahead.push_back(event);
      }
    }
    progressed = *read > 0;
  }
  const auto wanted =
      static_cast<uint32_t>(std::min<uint64_t>(subscription.credit, limits_.batch_events_max));
  if (wanted > 0) {
    list_builder_.Clear();
    offsets_.clear();
    uint64_t last_sequence = subscription.reader->covered_through();
    for (size_t index = 0; index < subscription.read_ahead.size(); ++index) {
      const Outcome& event = subscription.read_ahead[index];
      if (offsets_.size() >= wanted ||
          (!offsets_.empty() && list_builder_.GetSize() >= limits_.batch_bytes_max)) {
        last_sequence = event.sequence - 1;
        break;
      }
      offsets_.push_back(encode_event(event, list_builder_));
    }
    const auto count = static_cast<uint32_t>(offsets_.size());
    const bool due = count > 0 || now - subscription.last_sent >= kProgressInterval;
    if (last_sequence >= subscription.next_sequence && due) {
      std::span<const uint8_t> list;
      if (count > 0) {
        list_builder_.Finish(
            protocol::CreateEventList(list_builder_, list_builder_.CreateVector(offsets_)));
        list = {list_builder_.GetBufferPointer(), list_builder_.GetSize()};
      }
      if (send_batch(subscription, last_sequence, count, list, durable, now)) {
        subscription.read_ahead.pop_front(count);
      }
      progressed = true;
    }
  }
  join_lane_if_caught_up(subscription, durable);
  return progressed;
}

void SubscriptionHub::join_lane_if_caught_up(Subscription& subscription, uint64_t durable) {
  if (subscription.finished || subscription.reader == nullptr || !subscription.read_ahead.empty() ||
      subscription.reader->covered_through() + 1 != subscription.next_sequence) {
    return;
  }
  for (Lane* lane : {&head_, &trail_}) {
    if (lane->holds(subscription.next_sequence)) {
      subscription.reader.reset();
      subscription.read_ahead = {};  // its memory too: the lane serves it now
      subscription.lane = lane;
      return;
    }
  }
  // Its reader becomes a lane: the head lane if it has read everything durable and there is
  // none, the trail lane if that is not in use (others catching up may join it there).
  Lane* lane = nullptr;
  if (!head_.active() && subscription.reader->next_sequence() > durable) {
    lane = &head_;
  } else if (!trail_.active()) {
    lane = &trail_;
  }
  if (lane != nullptr) {
    begin_lane(*lane, std::move(subscription.reader), subscription.next_sequence);
    subscription.read_ahead = {};
    subscription.lane = lane;
  }
}

void SubscriptionHub::begin_lane(Lane& lane, std::unique_ptr<read::DurableEventReader> reader,
                                 uint64_t from) {
  lane.reader = std::move(reader);
  lane.events.clear();
  lane.from = from;
  if (&lane == &trail_) {
    trail_full_since_.reset();
  }
}

bool SubscriptionHub::serve_from_lane(Subscription& subscription, uint64_t durable,
                                      Clock::time_point now) {
  if (subscription.next_sequence > subscription.lane->reader->covered_through()) {
    return false;  // it has everything the lane has
  }
  const auto wanted =
      static_cast<uint32_t>(std::min<uint64_t>(subscription.credit, limits_.batch_events_max));
  if (wanted == 0) {
    return false;
  }
  const SharedEncoding& encoding = encode_from_lane(subscription, wanted);
  if (encoding.events == 0 && now - subscription.last_sent < kProgressInterval) {
    subscription.scanned_through = encoding.last_sequence;
    return false;
  }
  send_batch(subscription, encoding.last_sequence, encoding.events, encoding.list, durable, now);
  return true;
}

const SubscriptionHub::SharedEncoding& SubscriptionHub::encode_from_lane(
    const Subscription& subscription, uint32_t wanted) {
  const Lane& lane = *subscription.lane;
  for (size_t index = 0; index < encodings_used_; ++index) {
    const SharedEncoding& done = encodings_[index];
    // Another credit gives the same batch unless the count cut it: one that ended short of its
    // own count (at the window's end or its byte limit) is what any count up from its events
    // makes. Live subscribers, whose credits differ, so share one encoding.
    const bool same_batch =
        done.events_wanted == wanted || (done.events < done.events_wanted && done.events <= wanted);
    if (done.lane == &lane && done.first_sequence == subscription.next_sequence && same_batch &&
        done.filter == subscription.filter) {
      return done;
    }
  }
  if (encodings_used_ == encodings_.size()) {
    encodings_.emplace_back();
  }
  SharedEncoding& encoding = encodings_[encodings_used_++];
  encoding.lane = &lane;
  encoding.first_sequence = subscription.next_sequence;
  encoding.events_wanted = wanted;
  encoding.filter = subscription.filter;
  encoding.last_sequence = lane.reader->covered_through();
  list_builder_.Clear();
  offsets_.clear();
  // What it has scanned already holds nothing it wants: the batch still starts at its next
  // sequence, the search after what was scanned.
  const uint64_t scan_from = std::max(subscription.next_sequence, subscription.scanned_through + 1);
  const size_t first = lane.events.lower_bound(
      0, scan_from,
      [](const Outcome& held, uint64_t sequence) { return held.sequence < sequence; });
  for (size_t index = first; index < lane.events.size(); ++index) {
    const Outcome& event = lane.events[index];
    if (!subscription.filter.matches(event)) {
      continue;
    }
    if (offsets_.size() >= wanted ||
        (!offsets_.empty() && list_builder_.GetSize() >= limits_.batch_bytes_max)) {
      encoding.last_sequence = event.sequence - 1;
      break;
    }
    offsets_.push_back(encode_event(event, list_builder_));
  }
  encoding.events = static_cast<uint32_t>(offsets_.size());
  encoding.list.clear();
  if (!offsets_.empty()) {
    list_builder_.Finish(
        protocol::CreateEventList(list_builder_, list_builder_.CreateVector(offsets_)));
    encoding.list.assign(list_builder_.GetBufferPointer(),
                         list_builder_.GetBufferPointer() + list_builder_.GetSize());
  }
  return encoding;
}

bool SubscriptionHub::send_batch(Subscription& subscription, uint64_t last_sequence,
                                 uint32_t event_count, std::span<const uint8_t> list,
                                 uint64_t durable, Clock::time_point now) {
  TALLY_ASSERT(last_sequence >= subscription.next_sequence && event_count <= subscription.credit);
  EventBatchHeader header;
  header.first_sequence = subscription.next_sequence;
  header.last_sequence = last_sequence;
  header.durable_sequence = durable;
  encode_event_batch(batch_builder_, subscription.id, header, list);
  framed_.clear();
  append_frame(framed_, finished_bytes(batch_builder_));
  if (router_.deliver(subscription.token, framed_, 0) == Delivery::kDropped) {
    subscription.finished = true;  // the connection has gone (or overflowed and is dropped)
    return false;
  }
  subscription.next_sequence = last_sequence + 1;
  subscription.credit -= event_count;
  subscription.last_sent = now;
  events_sent_ += event_count;
  ++batches_sent_;
  return true;
}

void SubscriptionHub::end(Subscription& subscription, ResultCode code, std::string_view message) {
  encode_subscription_ended(batch_builder_, subscription.id, code, message,
                            subscription.next_sequence - 1);
  framed_.clear();
  append_frame(framed_, finished_bytes(batch_builder_));
  router_.deliver(subscription.token, framed_, 0);
  subscription.finished = true;
  if (code != ResultCode::Ok) {
    spdlog::info("event=subscription_ended token={} code={} last_sequence={} reason=\"{}\"",
                 subscription.token, protocol::EnumNameResultCode(code),
                 subscription.next_sequence - 1, message);
  }
}

void SubscriptionHub::refuse(const SubscriptionRequest& request, ResultCode code,
                             std::string_view message) {
  encode_error(batch_builder_, &request.request_id, code, message);
  framed_.clear();
  append_frame(framed_, finished_bytes(batch_builder_));
  router_.deliver(request.token, framed_, 0);
}

void SubscriptionHub::remove_finished() {
  std::erase_if(subscriptions_, [](const std::unique_ptr<Subscription>& subscription) {
    return subscription->finished;
  });
}

void SubscriptionHub::publish_counters() {
  open_published_.store(subscriptions_.size(), std::memory_order_relaxed);
  events_sent_published_.store(events_sent_, std::memory_order_relaxed);
  batches_sent_published_.store(batches_sent_, std::memory_order_relaxed);
  events_read_published_.store(events_read_, std::memory_order_relaxed);
}

}  // namespace tally::net
