// SubscriptionHub: streams the durable journal's events to subscribed connections
// (docs/protocol.md, "Subscriptions"), on one thread of its own.
//
// Subscriptions are served from lanes: a shared reader of the journal and the events it read,
// decoded once for every subscription standing in it. The head lane (the window) holds the
// newest events, for live subscriptions; the trail lane holds events further back, for
// subscriptions catching up, and is read as fast as the most advanced of them takes it (waiting
// up to kTrailWaitMax for the slowest when full): sixteen subscribers starting from the same
// old sequence, or falling behind the window together, cost one decode of the journal, not
// sixteen. A subscription standing in neither lane (the trail in use elsewhere, or left behind
// it) reads through a reader of its own (DurableEventReader: only complete requests, only
// durable events) until it reaches a lane, then drops its reader. One whose connection has
// more than kUnwrittenBytesMax unwritten, once behind its lane, holds no lane and no reader.
// Subscriptions at the same place in the same lane with the same filter get one encoding of
// their events, copied into each one's batch.
//
// Flow control: a batch carries at most the subscription's credit in events (the client
// grants more as it consumes), and nothing is sent to a connection that has more than
// kUnwrittenBytesMax unwritten, so a slow subscriber holds at most a batch of the server's
// memory and is never cut off for being slow: it falls behind in the journal, reading it
// later. Commands never wait for subscribers: the hub only reads the journal's files. Batches
// cover consecutive sequence ranges (EventBatch), so a client can check it missed nothing; a
// subscription with nothing to send for a while gets a progress batch (no events) at most
// every kProgressInterval.
//
// Memory: each lane holds at most window_events events (6 MiB at the default, kept once
// grown); each subscription reading on its own holds at most a batch of events read ahead
// (768 KiB), given back when it joins a lane; subscriptions_max bounds their number.
//
// Threads: submit() from any thread (the connections'); start/stop from the control thread;
// the rest runs on the hub's thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <concurrentqueue/blockingconcurrentqueue.h>
#include <flatbuffers/flatbuffers.h>

#include "engine/base/ring_queue.h"
#include "engine/journal/storage.h"
#include "engine/read/durable_event_reader.h"
#include "net/protocol/subscription_request.h"
#include "net/server/response_router.h"

namespace tally::net {

struct SubscriptionLimits {
  uint32_t subscriptions_max = 64;      // server-wide
  uint32_t credit_max = 1u << 20;       // credit beyond it is capped
  uint32_t batch_events_max = 2048;     // events per batch
  size_t batch_bytes_max = 256 * 1024;  // encoded events per batch (one event may pass it)
  size_t window_events = 16'384;        // each shared lane's events (384 bytes each)
};

// What `tally stats` shows of the subscriptions. Any thread.
struct SubscriptionCounters {
  uint64_t open = 0;
  uint64_t events_sent = 0;
  uint64_t batches_sent = 0;
  // Journal events decoded for subscriptions, by the lanes and by their own readers: what
  // sharing the reading saves shows here.
  uint64_t events_read = 0;
};

class SubscriptionHub {
 public:
  // A connection with more than this unwritten gets nothing more until it has written it.
  static constexpr size_t kUnwrittenBytesMax = 1 << 20;
  static constexpr std::chrono::milliseconds kProgressInterval{250};
  // How long a full trail lane waits for its slowest subscription before it lets go of it (to
  // a reader of its own) and reads on for the others: a subscriber that reads slowly holds the
  // rest back this long at most.
  static constexpr std::chrono::milliseconds kTrailWaitMax{250};

  SubscriptionHub(ResponseRouter& router, SubscriptionLimits limits = {});
  SubscriptionHub(const SubscriptionHub&) = delete;
  SubscriptionHub& operator=(const SubscriptionHub&) = delete;
  ~SubscriptionHub();

  // Starts the hub's thread on the journal recovery accepted. `durable_sequence`: the last
  // event the journal holds durably (called from the hub's thread).
  void start(journal::Storage& storage, std::string journal_directory,
             std::function<uint64_t()> durable_sequence);
  // Ends every subscription (SubscriptionEnded, Unavailable) and joins the thread.
  void stop();

  // Hands a checked request to the hub (a connection's close too: kConnectionClosed). False if
  // the hub is not running (the caller refuses the request).
  bool submit(const SubscriptionRequest& request);

  SubscriptionCounters counters() const;
  const SubscriptionLimits& limits() const { return limits_; }

 private:
  using Clock = std::chrono::steady_clock;
  struct Subscription;
  // A shared reader and the events it read: every sequence from `from` to the reader's
  // covered_through() is represented (its event in `events`, or none: a cut request's). Not
  // in use while it has no reader.
  struct Lane {
    std::unique_ptr<read::DurableEventReader> reader;
    RingQueue<Outcome> events;
    uint64_t from = 0;

    bool active() const { return reader != nullptr; }
    // True if a subscription standing at `position` can be served here.
    bool holds(uint64_t position) const {
      return active() && position >= from && position <= reader->covered_through() + 1;
    }
    // Appends what `read` read, the oldest events going beyond `events_max`.
    void append(const std::vector<Outcome>& read, size_t events_max);
    // Drops the events before `sequence` (subscriptions still behind it must leave the lane).
    void drop_before(uint64_t sequence);
    // Drops the oldest events beyond the newest `count`.
    void keep_newest(size_t count);
    void drop_oldest() {
      from = events.front().sequence + 1;
      events.pop_front();
    }
    void reset() {
      reader.reset();
      events.clear();  // its memory stays for the next use
    }
  };
  // One pass's encodings of lane events, shared by subscriptions that get the same ones.
  struct SharedEncoding {
    const Lane* lane = nullptr;
    uint64_t first_sequence = 0;
    uint32_t events_wanted = 0;
    EventFilter filter;
    uint64_t last_sequence = 0;
    uint32_t events = 0;
    std::vector<uint8_t> list;  // a finished EventList
  };

  void run();
  // Takes what the connections sent; true if there was anything.
  bool take_requests();
  void handle(const SubscriptionRequest& request);
  void subscribe(const SubscriptionRequest& request);
  Subscription* find(uint64_t token, const Id128& id);
  bool serves_from(const Lane& lane) const;
  // Reads up to `events_max` more durable events into `lane`; ends the lane's subscriptions and
  // resets it if the journal cannot be read. True if anything happened.
  bool read_into(Lane& lane, uint64_t durable, size_t events_max);
  // Reads what became durable into the head lane (while a subscription is served from it).
  bool advance_head(uint64_t durable);
  // Reads further into the trail lane when its most advanced subscription nears its end, as
  // far as its least advanced one lets it (for kTrailWaitMax at most, then that one is left
  // behind); hands it over as the head lane once it reaches the durable end with no head lane.
  bool advance_trail(uint64_t durable, Clock::time_point now);
  // Places a subscription outside the head lane (new, or out of a lane it fell behind): in the
  // trail lane (started there if not in use), or on a reader of its own. False if it was ended.
  bool place_behind_head(Subscription& subscription, uint64_t durable);
  bool serve(Subscription& subscription, uint64_t durable, Clock::time_point now);
  bool serve_from_reader(Subscription& subscription, uint64_t durable, Clock::time_point now);
  bool serve_from_lane(Subscription& subscription, uint64_t durable, Clock::time_point now);
  // A subscription reading on its own that has reached a lane (or the journal's durable end,
  // where the head lane starts if there is none) gives up its reader.
  void join_lane_if_caught_up(Subscription& subscription, uint64_t durable);
  // Puts `lane` to use: `reader` stands at `from`, nothing read yet.
  void begin_lane(Lane& lane, std::unique_ptr<read::DurableEventReader> reader, uint64_t from);
  const SharedEncoding& encode_from_lane(const Subscription& subscription, uint32_t wanted);
  // Sends a batch covering [subscription.next_sequence, last_sequence] with `events` (a
  // finished EventList, or empty); false if the connection has gone.
  bool send_batch(Subscription& subscription, uint64_t last_sequence, uint32_t event_count,
                  std::span<const uint8_t> list, uint64_t durable, Clock::time_point now);
  void end(Subscription& subscription, ResultCode code, std::string_view message);
  void refuse(const SubscriptionRequest& request, ResultCode code, std::string_view message);
  void deliver(uint64_t token, flatbuffers::FlatBufferBuilder& builder);
  void remove_finished();
  void publish_counters();

  ResponseRouter& router_;
  const SubscriptionLimits limits_;
  journal::Storage* storage_ = nullptr;
  std::string journal_directory_;
  std::function<uint64_t()> durable_sequence_;

  moodycamel::BlockingConcurrentQueue<SubscriptionRequest> requests_;
  std::vector<std::unique_ptr<Subscription>> subscriptions_;
  Lane head_;   // the newest events (the window), for live subscriptions
  Lane trail_;  // events further back, for subscriptions catching up
  std::optional<Clock::time_point> trail_full_since_;  // waiting for its slowest since
  std::vector<Outcome> read_buffer_;       // a reader's last read, before it joins a lane
  std::vector<SharedEncoding> encodings_;  // this pass's
  size_t encodings_used_ = 0;
  flatbuffers::FlatBufferBuilder list_builder_{64 * 1024};
  flatbuffers::FlatBufferBuilder batch_builder_{64 * 1024};
  std::vector<flatbuffers::Offset<protocol::Event>> offsets_;
  std::vector<uint8_t> framed_;
  uint64_t events_sent_ = 0;
  uint64_t batches_sent_ = 0;
  uint64_t events_read_ = 0;

  std::thread thread_;
  std::atomic<bool> running_{false};
  std::atomic<bool> stop_requested_{false};
  std::atomic<uint64_t> open_published_{0};
  std::atomic<uint64_t> events_sent_published_{0};
  std::atomic<uint64_t> batches_sent_published_{0};
  std::atomic<uint64_t> events_read_published_{0};
};

}  // namespace tally::net
