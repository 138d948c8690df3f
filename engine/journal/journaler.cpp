#include "engine/journal/journaler.h"

#include <thread>

namespace tally::journal {

void Journaler::record(Status status) {
  if (!status.is_ok() && failure_.is_ok()) {
    failure_ = std::move(status);
  }
}

void Journaler::on_event(const Outcome& event, int64_t, bool end_of_batch) {
  if (has_failed()) {
    return;
  }
  if (!event.is_replayed_answer()) {
    record(writer_.append(event));
  }
  if (!end_of_batch || has_failed()) {
    return;
  }
  if (policy_ == SyncPolicy::kNone) {
    // Nothing is ever durable: what is written is what the replier and the read side follow,
    // or queries waiting for a sequence would wait forever.
    record(writer_.flush());
    if (!has_failed()) {
      publish_progress(writer_.written_sequence());
    }
    return;
  }
  sync();
}

void Journaler::sync() {
  if (policy_ == SyncPolicy::kInterval) {
    std::this_thread::sleep_until(last_sync_ + interval_);  // entries gather meanwhile
  }
  record(writer_.sync());
  last_sync_ = std::chrono::steady_clock::now();
  publish_progress(writer_.durable_sequence());
}

void Journaler::publish_progress(uint64_t durable_sequence) {
  durable_bytes_.store(writer_.appended_bytes(), std::memory_order_relaxed);
  syncs_.store(writer_.syncs(), std::memory_order_relaxed);
  durable_sequence_.store(durable_sequence, std::memory_order_release);
}

void Journaler::on_shutdown() {
  if (!has_failed()) {
    record(writer_.close());  // the manifest says the journal ended cleanly here
    publish_progress(writer_.durable_sequence());
  }
}

}  // namespace tally::journal
