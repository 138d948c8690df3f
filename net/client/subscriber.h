// tally::client::Subscriber: a live subscription to tallyd's durable events (docs/protocol.md,
// "Subscriptions"), for programs that follow the ledger: `tally tail`, `tally-export`, tests.
//
// It subscribes from a sequence, grants credit as it consumes (a window of events ahead, topped
// up when half is used), and checks that every batch starts where the previous one ended, so
// nothing is missed or seen twice. When the connection drops, the client reconnects and the
// subscriber subscribes again from the sequence after the last batch it returned: a caller that
// records next_sequence() with what it did with the events resumes exactly there, in this
// process or the next.
//
// Threads: one thread, like the Client it holds.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/wire/outcome.h"
#include "net/client/client.h"
#include "net/protocol/messages.h"

namespace tally::client {

struct SubscriberOptions {
  uint64_t from_sequence = 1;          // 1: the whole journal
  std::string account_id;              // only this account's events; empty: every account
  std::vector<EventType> event_types;  // only these; empty: every type
  uint32_t credit_window = 16'384;     // events granted ahead (capped by the server's limit)
};

// One batch as it came: the sequences it covers and the events among them that matched.
class EventBatchView {
 public:
  explicit EventBatchView(std::vector<uint8_t> message);

  uint64_t first_sequence() const { return batch().first_sequence(); }
  uint64_t last_sequence() const { return batch().last_sequence(); }
  uint64_t durable_sequence() const { return batch().durable_sequence(); }
  size_t size() const { return events_ == nullptr ? 0 : events_->size(); }
  const protocol::Event& operator[](size_t index) const {
    return *events_->Get(static_cast<flatbuffers::uoffset_t>(index));
  }

 private:
  const protocol::EventBatch& batch() const;

  std::vector<uint8_t> message_;  // the Response, verified (nested EventList included)
  const flatbuffers::Vector<flatbuffers::Offset<protocol::Event>>* events_ = nullptr;
};

class Subscriber {
 public:
  // Connects and subscribes. Throws ClientError (kConnect, kTimeout, kProtocol).
  Subscriber(ClientOptions client, SubscriberOptions options);
  Subscriber(const Subscriber&) = delete;
  Subscriber& operator=(const Subscriber&) = delete;

  // The next batch, or nullopt if none came within `timeout`. Throws ClientError: kRefused with
  // the server's code when it ended the subscription (SequenceUnavailable: the sequence is not
  // in its journal; LimitExceeded: too many subscriptions; Unavailable: it stopped or could
  // not read its journal five times in a row: once, the subscriber reconnects and goes on),
  // kProtocol if a batch does not start where the last one ended, kConnect if the connection
  // cannot be restored.
  std::optional<EventBatchView> next(std::chrono::milliseconds timeout);

  // The first sequence of the next batch: everything before it was returned.
  uint64_t next_sequence() const { return next_sequence_; }
  // Ends the subscription and waits (up to `timeout`) for the server to confirm it; true once
  // it did (SubscriptionEnded, Ok).
  bool unsubscribe(std::chrono::milliseconds timeout = std::chrono::milliseconds(2'000));
  const Client& client() const { return client_; }

 private:
  void subscribe();
  void grant_credit(uint32_t consumed);
  // A reply of the current subscription: a batch to return, or nullopt (ended: throws).
  std::optional<EventBatchView> take(Reply reply);

  Client client_;
  SubscriberOptions options_;
  uint64_t next_sequence_;
  Id128 subscription_;
  uint64_t subscribed_at_reconnects_ = 0;
  uint32_t credit_left_ = 0;  // granted and not yet used, as this side counts it
  // Ends with Unavailable since the last batch: each time the subscriber reconnects and
  // subscribes again, up to kUnavailableRetries, then it reports the end.
  static constexpr uint32_t kUnavailableRetries = 5;
  uint32_t unavailable_in_a_row_ = 0;
  flatbuffers::FlatBufferBuilder builder_{256};
  std::vector<uint8_t> frame_;
};

// The event as the engine's Outcome (strings cut to the engine's limits, which the server's
// events already respect): for programs that keep or export events, like tally-export.
Outcome outcome_of(const protocol::Event& event);

}  // namespace tally::client
