// SubscriptionHub: streams the durable journal's events to subscribed connections
// (docs/protocol.md, "Subscriptions"), on one thread of its own.
//
// A subscription starts anywhere in the journal. Until it reaches what the hub already holds
// in memory it reads the journal through a reader of its own (DurableEventReader: only
// complete requests, only durable events); once it does, it hands its reader over (or drops
// it) and is served from the hub's window, the newest events, read once by the shared reader
// for every subscription at the head. Subscriptions at the same place with the same filter
// get one encoding of their events, copied into each one's batch: sixteen live subscribers
// cost one decode and one encode per event, not sixteen.
//
// Flow control: a batch carries at most the subscription's credit in events (the client
// grants more as it consumes), and nothing is sent to a connection that has more than
// kUnwrittenBytesMax unwritten, so a slow subscriber holds at most a batch of the server's
// memory and is never cut off for being slow: it falls behind in the journal, reading it
// later through its own reader. Commands never wait for subscribers: the hub only reads the
// journal's files. Batches cover consecutive sequence ranges (EventBatch), so a client can
// check it missed nothing; a subscription with nothing to send for a while gets a progress
// batch (no events) at most every kProgressInterval.
//
// Memory: the window holds at most window_events events (6 MiB at the default, kept once
// grown); each subscription catching up holds at most a batch of events read ahead (768 KiB),
// given back when it joins the window; subscriptions_max bounds their number.
//
// Threads: submit() from any thread (the connections'); start/stop from the control thread;
// the rest runs on the hub's thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
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
  size_t window_events = 16'384;        // the shared window (384 bytes each)
};

// What `tally stats` shows of the subscriptions. Any thread.
struct SubscriptionCounters {
  uint64_t open = 0;
  uint64_t events_sent = 0;
  uint64_t batches_sent = 0;
};

class SubscriptionHub {
 public:
  // A connection with more than this unwritten gets nothing more until it has written it.
  static constexpr size_t kUnwrittenBytesMax = 1 << 20;
  static constexpr std::chrono::milliseconds kProgressInterval{250};

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
  // One pass's encodings of window events, shared by subscriptions that get the same ones.
  struct SharedEncoding {
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
  // Reads what became durable into the window (while a subscription is served from it).
  bool advance_window(uint64_t durable);
  bool serve(Subscription& subscription, uint64_t durable, Clock::time_point now);
  bool serve_from_reader(Subscription& subscription, uint64_t durable, Clock::time_point now);
  bool serve_from_window(Subscription& subscription, uint64_t durable, Clock::time_point now);
  // A catching-up subscription that has reached the window (or the journal's durable end,
  // where the window starts if there is none) gives up its reader.
  void join_window_if_caught_up(Subscription& subscription, uint64_t durable);
  const SharedEncoding& encode_from_window(const Subscription& subscription, uint32_t wanted);
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
  // The shared reader and the window it fills: every sequence from window_from_ to
  // head_->covered_through() is represented (its event in window_, or none of the wanted).
  std::unique_ptr<read::DurableEventReader> head_;
  RingQueue<Outcome> window_;
  uint64_t window_from_ = 0;
  std::vector<Outcome> read_buffer_;       // the head's last read, before it joins the window
  std::vector<SharedEncoding> encodings_;  // this pass's
  size_t encodings_used_ = 0;
  flatbuffers::FlatBufferBuilder list_builder_{64 * 1024};
  flatbuffers::FlatBufferBuilder batch_builder_{64 * 1024};
  std::vector<flatbuffers::Offset<protocol::Event>> offsets_;
  std::vector<uint8_t> framed_;
  uint64_t events_sent_ = 0;
  uint64_t batches_sent_ = 0;

  std::thread thread_;
  std::atomic<bool> running_{false};
  std::atomic<bool> stop_requested_{false};
  std::atomic<uint64_t> open_published_{0};
  std::atomic<uint64_t> events_sent_published_{0};
  std::atomic<uint64_t> batches_sent_published_{0};
};

}  // namespace tally::net
