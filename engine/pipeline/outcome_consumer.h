// OutcomeConsumer: one thread that reads the event ring in order and hands each entry to its
// OutcomeHandler (the Disruptor's BatchEventProcessor), or to several handlers in turn.
//
// The consumer waits until the ring's cursor, and the cursor of every consumer it depends on,
// pass its next position; hands over everything available, flagging the last entry of the
// group (end_of_batch: the place to flush or sync once); then publishes its own cursor, which
// gates the producer and downstream consumers. It stops when the ring is halted and it has
// handled every published entry, or, once the ring has failed, when nothing more is available.
//
// With several handlers ("stages"), each handles the whole group before the next one starts
// on it, and a stage that has failed stops the group there: the journaler and the replier on
// one thread answer a group as soon as its sync returns, without waking another thread, and
// never answer what the journaler could not sync.
//
// Threads: constructed and wired on the setup thread; the handler runs only on the consumer's
// own thread; cursor() is read by anyone.
#pragma once

#include <string>
#include <thread>
#include <vector>

#include "engine/pipeline/outcome_ring.h"

namespace tally {

class OutcomeHandler {
 public:
  virtual ~OutcomeHandler() = default;
  // `position` is the ring position (not the ledger sequence: replayed answers have none).
  virtual void on_event(const Outcome& event, int64_t position, bool end_of_batch) = 0;
  // On the consumer thread, after the last event.
  virtual void on_shutdown() {}
  // Checked after every batch: true stops this consumer before it publishes its cursor, and
  // fails the ring, so nothing handled after the failure is seen downstream (a journal that
  // cannot sync acknowledges nothing more).
  virtual bool has_failed() const { return false; }
};

class OutcomeConsumer {
 public:
  // `dependencies`: cursors of consumers that must handle an entry before this one does.
  OutcomeConsumer(std::string name, OutcomeRing& ring, OutcomeHandler& handler,
                  std::vector<const Sequence*> dependencies = {});
  // `stages` (at least one, none null) handle each group in this order.
  OutcomeConsumer(std::string name, OutcomeRing& ring, std::vector<OutcomeHandler*> stages,
                  std::vector<const Sequence*> dependencies = {});
  OutcomeConsumer(const OutcomeConsumer&) = delete;
  OutcomeConsumer& operator=(const OutcomeConsumer&) = delete;
  ~OutcomeConsumer();

  void start();
  void join();

  const Sequence& cursor() const { return cursor_; }
  // How far stage `stage` (an index into the stages given) has handled entries: set once it
  // has handled a group, before the next stage starts on it (monitoring: a stage's lag).
  const Sequence& stage_cursor(size_t stage) const { return stage_cursors_.at(stage); }
  const std::string& name() const { return name_; }

 private:
  void run();
  // The highest position this consumer may read, or one below `next` when it should stop.
  int64_t wait_for(int64_t next) const;
  int64_t available() const;
  // Hands the group [first, last] to each stage in turn; false if a stage failed.
  bool handle(int64_t first, int64_t last);

  std::string name_;
  OutcomeRing& ring_;
  std::vector<OutcomeHandler*> stages_;
  std::vector<Sequence> stage_cursors_;  // one per stage
  std::vector<const Sequence*> dependencies_;
  Sequence cursor_;
  std::thread thread_;
};

}  // namespace tally
