// CompleteRequests: the one rule every reader of the journal follows. A request counts only
// when its last event (flag kLastInRequest) is in the journal: a crash between two appends of
// one request can leave its first events there, and recovery gives them no effect (the client
// never heard back, and its retry applies the request anew). So recovery (Ledger::replay), the
// snapshotter's mirror, the read side's projectors and the offline tools all pass the journal's
// events through this filter and apply what it hands back: a request's events together, once
// its last one has come; a request that another starts before it ends was cut, and its events
// are dropped (counted).
//
// Entry is an Outcome, or any type with a member `event` (an event and where it was read from).
// One thread. The span add() returns stays valid until the next add() or reset(), and may be
// `entry` itself (a one-event request is not copied): keep it alive while using the span.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "engine/wire/outcome.h"

namespace tally {

template <typename Entry = Outcome>
class CompleteRequests {
 public:
  // Takes the next event in sequence order; returns the events of the request it completes, or
  // nothing while that request is unfinished.
  std::span<const Entry> add(const Entry& entry) {
    if (completed_) {
      pending_.clear();
      completed_ = false;
    }
    const Outcome& event = event_of(entry);
    if (!pending_.empty() && starts_another_request(event_of(pending_.front()), event)) {
      events_dropped_ += pending_.size();
      pending_.clear();
    }
    if (pending_.empty() && event.is_last_in_request()) {
      complete_through_ = event.sequence;  // the common case: a request of one event
      return {&entry, 1};
    }
    pending_.push_back(entry);
    if (!event.is_last_in_request()) {
      return {};
    }
    completed_ = true;
    complete_through_ = event.sequence;
    return pending_;
  }

  // True while a request's events have come but not its last one.
  bool in_progress() const { return !completed_ && !pending_.empty(); }
  // The last sequence of the last complete request (0: none yet, or as set by start_after).
  uint64_t complete_through() const { return complete_through_; }
  // Events of requests that never completed, dropped so far.
  uint64_t events_dropped() const { return events_dropped_; }

  // Forgets everything; the next event starts a request. `sequence`: where reading resumes
  // after (a snapshot's sequence, always a request's end).
  void reset(uint64_t sequence = 0) {
    pending_.clear();
    completed_ = false;
    complete_through_ = sequence;
    events_dropped_ = 0;
  }

 private:
  static const Outcome& event_of(const Outcome& event) { return event; }
  template <typename Wrapped>
  static const Outcome& event_of(const Wrapped& entry) {
    return entry.event;
  }

  // Every request starts at command index 0 and keeps one request id to its end.
  static bool starts_another_request(const Outcome& first, const Outcome& next) {
    return next.request_id != first.request_id || next.command_index == 0;
  }

  std::vector<Entry> pending_;
  bool completed_ = false;
  uint64_t complete_through_ = 0;
  uint64_t events_dropped_ = 0;
};

}  // namespace tally
