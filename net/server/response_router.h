// ResponseRouter: how responses reach connections. The replier thread (and a connection's own
// network thread, for errors) deliver framed responses to a connection's outbox; the
// connection's network thread takes the outbox and writes it to the socket.
//
// Connections live in a fixed table of slots, one per allowed connection, so the table is the
// connection limit. A connection's token (the `origin` its requests carry through the engine)
// is its slot index plus the slot's generation, which changes whenever a connection leaves:
// a response for a connection that has gone is dropped (its effect is durable; the client's
// retry with the same request id gets the same answer).
//
// Threads: every method may be called from any thread. Each slot has its own mutex, held for
// an append or a buffer swap, never across I/O; the replier wakes a connection at most once
// per drained outbox.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

namespace tally::net {

// A connection as the router sees it.
class ResponseSink {
 public:
  virtual ~ResponseSink() = default;
  // The outbox went from empty to non-empty, or overflowed: call take() soon (on the
  // connection's own thread; this is called from the delivering thread, without locks held).
  virtual void on_responses_ready() = 0;
};

struct TakenResponses {
  size_t answered = 0;      // requests answered by the bytes taken
  bool overflowed = false;  // the outbox passed max_outbox_bytes: drop the connection
};

class ResponseRouter {
 public:
  // `max_outbox_bytes`: the most a connection may have waiting to be written (taken but not
  // yet written counts too) before it is dropped as a client that does not read.
  ResponseRouter(uint32_t max_connections, size_t max_outbox_bytes);
  ResponseRouter(const ResponseRouter&) = delete;
  ResponseRouter& operator=(const ResponseRouter&) = delete;

  // A token for a new connection, or nullopt if every slot is taken.
  std::optional<uint64_t> attach(std::shared_ptr<ResponseSink> sink);
  // The connection is gone: its slot is free and later deliveries to `token` are dropped.
  void detach(uint64_t token);

  // Appends one framed response (answering `answered` requests) to the outbox of `token`.
  // False if that connection has gone or overflowed.
  bool deliver(uint64_t token, std::span<const uint8_t> framed, size_t answered);

  // Swaps the outbox of `token` into `out` (cleared first). Calling it says that what the
  // previous take handed out is written. When nothing is waiting, the next deliver wakes the
  // sink again.
  TakenResponses take(uint64_t token, std::vector<uint8_t>& out);

  // Shutdown, once the network threads stopped: releases every connection.
  void detach_all();

  uint32_t open_connections() const { return open_.load(std::memory_order_relaxed); }
  // True when no outbox holds bytes and no taken bytes are still being written.
  bool all_written() const;

 private:
  struct Slot {
    mutable std::mutex mutex;
    uint32_t generation = 0;
    std::shared_ptr<ResponseSink> sink;  // null: free
    std::vector<uint8_t> outbox;
    size_t answered = 0;
    size_t in_write_bytes = 0;  // taken, not yet confirmed written
    bool wake_pending = false;  // the sink was woken and has not yet found the outbox empty
    bool overflowed = false;
  };
  Slot* slot_of(uint64_t token, uint32_t& generation);

  size_t max_outbox_bytes_;
  std::vector<Slot> slots_;
  std::mutex free_mutex_;
  std::vector<uint32_t> free_slots_;
  std::atomic<uint32_t> open_{0};
};

}  // namespace tally::net
