// ResponseRouter: how responses reach connections. The replier (on the journaler's thread), the
// projectors and a connection's own network thread (for errors) deliver framed responses: sent
// on the socket at once when nothing is waiting for that connection (below), else appended to
// its outbox, which the connection's network thread takes and writes to the socket.
//
// Connections live in a fixed table of slots, one per allowed connection, so the table is the
// connection limit. A connection's token (the `origin` its requests carry through the engine)
// is its slot index plus the slot's generation, which changes whenever a connection leaves:
// a response for a connection that has gone is dropped (its effect is durable; the client's
// retry with the same request id gets the same answer).
//
// Memory: every byte of an outbox, and of the buffer its connection is writing, is charged to
// the server's MemoryBudget (by capacity, which is what the process holds) and released once
// written, or when the connection goes. An answer that the budget refuses (past its ceiling,
// or past its large outboxes' line for an outbox that holds much already), or that takes a
// connection's unwritten answers past outbox_bytes_max, overflows the outbox: it is emptied
// and the connection must be dropped. A query's origin (query_origin) carries a
// flag: delivering its answer releases the charge its connection took for the query's frame
// (query_charge_bytes), whether or not the connection is still there, since the frame was held
// by the projector until then.
//
// Sending directly: a connection attached with its socket's descriptor, with nothing waiting
// in its outbox and no write in progress, gets a delivered response sent on the spot, by the
// delivering thread (a non-blocking send under the slot's mutex). A lone request's answer then
// leaves as soon as it is durable, without waking the connection's network thread first; what
// the socket does not take at once goes to the outbox as before, so responses stay in order.
// The descriptor stays valid while the slot holds it: a connection detaches (under the same
// mutex) before it closes its socket. The connection is still woken for an answer sent this
// way, to count it (take() reports it among `answered`), but the client does not wait for that.
//
// Threads: every method may be called from any thread. Each slot has its own mutex, held for
// an append, a buffer swap or a non-blocking send, never across a wait; the replier wakes a
// connection at most once per drained outbox.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

#include "net/server/memory_budget.h"

namespace tally::net {

// Why an outbox overflowed, if it did: the connection must then be dropped.
enum class Overflow {
  kNone,
  kOutboxLimit,   // this connection's unwritten answers passed outbox_bytes_max
  kServerMemory,  // the memory budget refused an answer for it (MemoryBudget::try_charge_answer)
};

// A connection as the router sees it.
class ResponseSink {
 public:
  virtual ~ResponseSink() = default;
  // The outbox went from empty to non-empty: call take() soon (on the connection's own
  // thread; this is called from the delivering thread, without locks held).
  virtual void on_responses_ready() = 0;
  // The outbox overflowed (`why`): drop the connection soon, even in the middle of a write
  // (same threads as above).
  virtual void on_overflow(Overflow why) = 0;
};

// A sampled request's timestamps (monotonic, ns), carried with its answer to the write that
// sends it, where the last latency stages end.
struct AnswerTrace {
  int64_t queued_ns = 0;   // queued at the ingress (0: not stamped)
  int64_t durable_ns = 0;  // seen durable by the replier (0: no sampled answer)

  bool sampled() const { return durable_ns != 0; }
};

// What deliver() did with a response.
enum class Delivery : uint8_t {
  kDropped,  // the connection has gone or overflowed
  kQueued,   // in the outbox (all or the part the socket did not take at once)
  kSent,     // written to the socket whole, on the delivering thread
};

struct TakenResponses {
  size_t answered = 0;  // requests answered by the bytes taken
  Overflow overflow = Overflow::kNone;
  AnswerTrace trace;  // of one sampled answer among the bytes taken, if any
};

class ResponseRouter {
 public:
  // A buffer a connection has written is kept for the next answers up to this size, and given
  // back beyond it (so that a burst's memory goes back to the budget).
  static constexpr size_t kRetainedBufferBytes = 16 * 1024;
  // An outbox's first allocation: small answers do not reallocate one by one.
  static constexpr size_t kFirstOutboxBytes = 4 * 1024;
  // At most this many slots: a token's low word is the slot index, and its top bit flags a query.
  static constexpr uint32_t kConnectionsMax = 1u << 20;

  // `outbox_bytes_max`: the most a connection may have waiting to be written (taken but not
  // yet written counts too) before it is dropped as a client that does not read.
  // `query_charge_bytes`: what a connection charges `budget` for each query it hands to a
  // projector, released here when the query's answer is delivered.
  ResponseRouter(uint32_t connections_max, size_t outbox_bytes_max, MemoryBudget& budget,
                 uint64_t query_charge_bytes = 0);
  ResponseRouter(const ResponseRouter&) = delete;
  ResponseRouter& operator=(const ResponseRouter&) = delete;

  // A token for a new connection, or nullopt if every slot is taken. `socket_descriptor`: the
  // connection's socket, for sending directly (-1: never), open until the slot is detached.
  std::optional<uint64_t> attach(std::shared_ptr<ResponseSink> sink, int socket_descriptor = -1);
  // The connection is gone: its slot is free and later deliveries to `token` are dropped.
  void detach(uint64_t token);

  // The origin a connection gives its queries: its token, flagged so that the answer releases
  // the query's charge.
  static uint64_t query_origin(uint64_t token) { return token | kQueryFlag; }
  uint64_t query_charge_bytes() const { return query_charge_bytes_; }

  // Sends framed responses to the connection of `token` (or the one a query origin names),
  // directly when it can (see above), else through its outbox. `answered`: the requests they
  // answer (0 for a Hello, stats, an error about a frame that had no request id); a query's
  // answer is one response answering 1 (asserted). A sampled `trace` of a queued answer goes to the
  // take() that hands these bytes out, unless the outbox holds a sampled answer already (one per
  // write is plenty); for an answer sent, the caller ends the trace itself.
  Delivery deliver(uint64_t token, std::span<const uint8_t> framed, size_t answered,
                   AnswerTrace trace = {});
  // Whether the outbox of `token` overflowed (its sink was told so by on_overflow).
  Overflow overflow_of(uint64_t token) const;
  // What `token`'s connection has not yet written (its outbox and the write in progress), or
  // nullopt once it has gone: how a producer that may wait (a subscription) keeps a slow
  // reader's outbox small instead of overflowing it.
  std::optional<size_t> unwritten_bytes(uint64_t token) const;

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
  static constexpr uint64_t kQueryFlag = 1ULL << 31;

  struct Slot {
    mutable std::mutex mutex;
    uint32_t generation = 0;
    std::shared_ptr<ResponseSink> sink;  // null: free
    int socket_descriptor = -1;          // for sending directly; -1: never
    std::vector<uint8_t> outbox;
    size_t answered = 0;
    AnswerTrace trace;             // of a sampled answer in the outbox
    size_t in_write_bytes = 0;     // taken, not yet confirmed written
    size_t in_write_capacity = 0;  // the capacity of the buffer holding them (charged)
    size_t charged_bytes = 0;      // outbox.capacity() + in_write_capacity, in the budget
    bool wake_pending = false;     // the sink was woken and has not yet found the outbox empty
    Overflow overflow = Overflow::kNone;
  };
  Slot* slot_of(uint64_t token, uint32_t& generation);
  const Slot* slot_of(uint64_t token, uint32_t& generation) const;
  // With the slot's lock held. Appends `framed`, charging any growth; false (nothing appended)
  // if the growth would pass the budget's ceiling.
  bool append(Slot& slot, std::span<const uint8_t> framed);
  // With the slot's lock held: sends what the socket takes at once, if the slot may send
  // directly now; returns what is left to queue.
  static std::span<const uint8_t> send_directly(Slot& slot, std::span<const uint8_t> framed);
  // With the slot's lock held: empties the outbox for good, releasing its memory.
  void overflow(Slot& slot, Overflow why);
  // With the slot's lock held: the buffer a connection handed back to take() is written; keeps
  // it if small, else gives its memory back.
  void written(Slot& slot, std::vector<uint8_t>& out);
  // With the slot's lock held: releases everything charged for the slot.
  void release_all(Slot& slot);

  size_t outbox_bytes_max_;
  MemoryBudget& budget_;
  uint64_t query_charge_bytes_;
  std::vector<Slot> slots_;
  std::mutex free_mutex_;
  std::vector<uint32_t> free_slots_;
  std::atomic<uint32_t> open_{0};
};

}  // namespace tally::net
