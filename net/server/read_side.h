// ReadSide: tallyd's projectors and how queries reach them and answers leave them.
//
// Two projectors, each a thread with its own read model (engine/read/projector.h):
//   "accounts": details, balances, lists, reserve, top accounts, summaries (AccountModel);
//   "history":  statements, event trails, daily balances, search, balance as of (HistoryModel).
// Both follow the durable journal; at start-up each loads its newest valid checkpoint (in
// <checkpoint directory>/<model name>/, when checkpoints are on) and replays the journal after
// it, or without one rebuilds from the journal's first event, while commands are already being
// served (a query's min_sequence waits for it). preload() lets them read and decode their
// checkpoints while recovery runs, in turn, on the core it leaves idle; start() then checks them
// against the journal recovery accepted and lets the projectors follow it. Answers are framed and
// delivered through the ResponseRouter, like the replier's. Subscriptions (SubscriptionHub, a
// thread of its own) follow the same durable journal and start and stop with the projectors.
//
// Threads: start/stop from the control thread; the rest from any thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <shared_mutex>
#include <string>
#include <vector>

#include "engine/journal/storage.h"
#include "engine/read/projector.h"
#include "net/protocol/messages.h"
#include "net/server/response_router.h"
#include "net/server/subscription_hub.h"

namespace tally::net {

class ReadSide {
 public:
  ReadSide(ResponseRouter& router, std::chrono::milliseconds read_wait,
           SubscriptionLimits subscription_limits = {});
  ReadSide(const ReadSide&) = delete;
  ReadSide& operator=(const ReadSide&) = delete;
  ~ReadSide();

  // Before recovery is done (the data directory locked, prepare_checkpoints() done): makes the
  // projectors and has each read and decode its newest checkpoint, one after the other (with
  // recovery's thread, two runnable threads on two cores), judging nothing against the journal
  // and removing nothing until start(). `checkpoints.directory`: where each model's
  // checkpoint directory is ("": none).
  void preload(journal::Storage& storage, const std::string& journal_directory,
               const read::CheckpointPolicy& checkpoints = {});
  // After preload(): `durable_sequence`: the last event the journal holds durably (called from
  // the projectors' threads). `recovered_sequence`: the last complete request recovery found;
  // no query is answered from a read model that has not reached it (it waits, then gets
  // Unavailable with the progress).
  void start(std::function<uint64_t()> durable_sequence, uint64_t recovered_sequence);
  // Creates each model's checkpoint directory inside `checkpoints.directory` (if named).
  static Status prepare_checkpoints(const read::CheckpointPolicy& checkpoints);
  void stop();

  // True if `type` is a query a projector answers.
  bool answers(protocol::RequestBody type) const;
  // Hands a verified query (`frame`, a protocol::Request) to its projector, which answers
  // `origin` through the router. False (nothing taken) if no projector answers it or the read
  // side is not running.
  bool submit(protocol::RequestBody type, uint64_t origin, std::span<const uint8_t> frame);

  ProjectionReport report() const;
  // The subscriptions (running between start() and stop(): submit() refuses otherwise).
  SubscriptionHub& subscriptions() { return subscriptions_; }
  const SubscriptionHub& subscriptions() const { return subscriptions_; }
  // "<projector>: <why>" for each projector that stopped following the journal.
  std::vector<std::string> failures() const;

  // One read model's checkpoints, for the server's log.
  struct CheckpointReport {
    std::string model;
    // Its start-up (loading a checkpoint, or finding none it could use) is done; the fields
    // below but `failures` are only meaningful then.
    bool started = false;
    bool started_from_checkpoint = false;
    uint64_t checkpoint_sequence = 0;
    std::vector<std::string> skipped;  // "<file>: <why>" for each checkpoint not used
    read::CheckpointWriter::Failures failures;
  };
  std::vector<CheckpointReport> checkpoints() const;
  void rebuild();

 private:
  // Frames a projector's answers into the router; one per projector (its own buffer).
  class RouterSink final : public read::AnswerSink {
   public:
    explicit RouterSink(ResponseRouter& router) : router_(router) {}
    void deliver(uint64_t origin, std::span<const uint8_t> response) override;

   private:
    ResponseRouter& router_;
    std::vector<uint8_t> framed_;
  };

  ResponseRouter& router_;
  std::chrono::milliseconds read_wait_;
  std::function<uint64_t()> durable_sequence_;
  // The projectors preload in turn, in their order (accounts first: its checkpoint is the slower
  // to decode, 0.8 s against 0.3 on 1.3 M accounts, and its tail as long); declared before
  // them, it outlives them.
  read::PreloadTurns preload_turns_;
  std::vector<std::unique_ptr<RouterSink>> sinks_;
  std::vector<std::unique_ptr<read::Projector>> projectors_;
  journal::Storage* storage_ = nullptr;  // set by preload(), for the subscriptions
  std::string journal_directory_;
  SubscriptionHub subscriptions_;
  // Held shared by submit(), exclusively by stop(): a query is either refused or in a queue
  // the stopping projector still answers.
  mutable std::shared_mutex running_mutex_;
  bool running_ = false;
};

}  // namespace tally::net
